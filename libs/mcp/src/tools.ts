import { readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { z } from 'zod';
import { cropId, optional, pageSize, shortText, uuid, uuidCursor } from '@defect-rag/interface';
import { deleteDataset } from '@defect-rag/ingestion';
import { getDataset, listDatasets, type Backend } from '@defect-rag/runs';
import {
  browseCrops,
  describeModels,
  getCrop,
  getPhoto,
  indexStats,
  ragContext,
  searchSimilar,
  type CropView,
} from '@defect-rag/search';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { DefectRagError } from '@defect-rag/runtime';
import { cropFilter, ragQuery, similarityQuery, toPipelineQuery } from './inputs';

/** What a tool call gets besides its arguments. */
export interface ToolContext {
  backend: Backend;
  /** Prefix of image URLs (the API's public or own URL); none over stdio, where get_crop gives the image. */
  imageUrlBase: string | undefined;
}

export type ToolResult = CallToolResult;
type ToolContent = CallToolResult['content'][number];

export interface Tool<S extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  input: S;
  /** Changes or deletes data: listed only when the server was started with writes allowed. */
  writes?: true;
  run(args: z.output<S>, context: ToolContext): Promise<ToolResult>;
}

const tool = <S extends z.ZodType>(definition: Tool<S>) => definition as unknown as Tool;

/** Images larger than this are sent downscaled to MAX_IMAGE_SIDE (crops, 336 px, never are). */
const MAX_IMAGE_BYTES = 1024 * 1024;
const MAX_IMAGE_SIDE = 1024;

/** A result as JSON text (for any client) and as structured content (for those that read it). */
function result(data: Record<string, unknown>, extra: ToolContent[] = []): ToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(data, null, 2) }, ...extra], structuredContent: data };
}

/** A crop as an agent reads it: what it shows, in words, and where its image is. */
function describeCrop(view: CropView, imageUrlBase: string | undefined) {
  return {
    id: view.id,
    level: view.level,
    photoId: view.imageId,
    datasetId: view.datasetId,
    hasDamage: view.hasDamage,
    labelled: view.labelled,
    zone: view.vehicleZone,
    // Where in its photo: what an analyst walking through candidate windows looks at.
    box: view.box,
    area: view.area,
    damageTypes: view.damageTypes,
    labels: view.defects.map(({ label }) => label),
    critical: view.defects.some(({ critical }) => critical),
    description: view.textDescription,
    split: view.split,
    ...(imageUrlBase !== undefined && { imageUrl: `${imageUrlBase}/crops/${encodeURIComponent(view.id)}` }),
  };
}

/** The crop's own image file, or for a photo point its photo, as MCP image content. */
async function imageOf(backend: Backend, view: CropView): Promise<ToolContent> {
  const file = view.file ?? (await photoFile(backend, view));
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new DefectRagError(
      'IMAGE_NOT_FOUND',
      `the image of "${view.id}" is missing on the server`,
      { cropId: view.id },
      { cause: error },
    );
  }
  if (bytes.length > MAX_IMAGE_BYTES) {
    const jpeg = await sharp(bytes)
      .rotate()
      .resize(MAX_IMAGE_SIDE, MAX_IMAGE_SIDE, { fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality: 85 })
      .toBuffer();
    return { type: 'image', data: jpeg.toString('base64'), mimeType: 'image/jpeg' };
  }
  const mimeType = path.extname(file).toLowerCase() === '.png' ? 'image/png' : 'image/jpeg';
  return { type: 'image', data: bytes.toString('base64'), mimeType };
}

/** The photo a crop was cut from, in its dataset's folder and never outside it. */
async function photoFile(backend: Backend, view: CropView): Promise<string> {
  const dataset = await getDataset(backend, view.datasetId, `crop "${view.id}"`);
  const file = path.resolve(dataset.root, view.sourceImage);
  const inside = path.relative(dataset.root, file);
  if (inside.startsWith('..') || path.isAbsolute(inside))
    throw new DefectRagError('IMAGE_NOT_FOUND', `the source image of "${view.id}" is outside its dataset folder`);
  return file;
}

const datasetPage = z.object({
  first: pageSize.default(20),
  after: uuidCursor.describe('endCursor of the previous page.'),
});

/** Every tool; the server lists those with `writes` only when started with writes allowed. */
export const TOOLS: Tool[] = [
  tool({
    name: 'search_similar_defects',
    description:
      'Finds the indexed crops (or whole photos) most similar to a crop id, an image (optionally a region of it), a text, or an image and a text together, within the filter, best first. Each result has its cosine score (-1…1; check list_models for randomWeights and the evaluations resource before trusting it), labels and description.',
    input: similarityQuery,
    async run(args, { backend, imageUrlBase }) {
      const found = await searchSimilar(backend, toPipelineQuery(args, backend.config.maxUploadBytes));
      return result({
        modelId: found.modelId,
        mode: found.mode,
        randomWeights: found.randomWeights,
        items: found.items.map(({ score, crop }) => ({ score, ...describeCrop(crop, imageUrlBase) })),
      });
    },
  }),
  tool({
    name: 'get_rag_context',
    description:
      'The same retrieval as search_similar_defects as a prompt-ready context block that cites each crop by id, plus optional normal references (clean crops of the same zones and areas); with images: true, the cited crops themselves.',
    input: ragQuery,
    async run({ format, normalReferences, maxCharacters, images, ...query }, { backend, imageUrlBase }) {
      const rag = await ragContext(backend, toPipelineQuery(query, backend.config.maxUploadBytes), {
        format,
        normalReferences,
        maxCharacters,
        ...(imageUrlBase !== undefined && {
          imageUrl: (crop: CropView) => `${imageUrlBase}/crops/${encodeURIComponent(crop.id)}`,
        }),
      });
      const items = rag.items.map(({ role, score, crop }) => ({ role, score, ...describeCrop(crop, imageUrlBase) }));
      const pictures = images ? await Promise.all(rag.items.map(({ crop }) => imageOf(backend, crop))) : [];
      return {
        content: [{ type: 'text', text: rag.context }, ...pictures],
        structuredContent: { context: rag.context, items },
      };
    },
  }),
  tool({
    name: 'get_crop',
    description: "A crop by id: its labels, zone, area, defects and description, and its image (the crop's JPEG).",
    input: z.object({ id: cropId }),
    async run({ id }, { backend, imageUrlBase }) {
      const view = await getCrop(backend, id);
      return result(
        { ...describeCrop(view, imageUrlBase), box: view.box, defects: view.defects, strategy: view.strategy },
        [await imageOf(backend, view)],
      );
    },
  }),
  tool({
    name: 'get_photo',
    description: `A whole photo by its id (photo:<imageId>) or image id (a crop's photoId): its size, zones, defects and crop ids, and the photo itself (downscaled to ${MAX_IMAGE_SIDE} px when larger than ${MAX_IMAGE_BYTES} bytes).`,
    input: z.object({ id: cropId }),
    async run({ id }, { backend, imageUrlBase }) {
      const view = await getPhoto(backend, id);
      return result({ ...describeCrop(view, imageUrlBase), photo: view.photo }, [await imageOf(backend, view)]);
    },
  }),
  tool({
    name: 'browse_crops',
    description: "The indexed crops a filter matches, without a query, in the index's stable order, a page at a time.",
    input: z.object({
      filter: optional(cropFilter),
      first: pageSize.default(20),
      after: optional(cropId).describe('endCursor of the previous page.'),
    }),
    async run({ filter, first, after }, { backend, imageUrlBase }) {
      const page = await browseCrops(backend, filter ?? {}, { first, after });
      return result({
        totalCount: page.totalCount,
        hasNextPage: page.hasNextPage,
        endCursor: page.endCursor,
        items: page.items.map((view) => describeCrop(view, imageUrlBase)),
      });
    },
  }),
  tool({
    name: 'zone_damage_table',
    description:
      'How many indexed crops (of one dataset, or all) there are per zone, damage type and area (damaged, clean and unlabelled apart), and the zone × damage type table of the damaged ones.',
    input: z.object({
      datasetId: shortText.describe('One dataset (see list_datasets); all when absent.'),
      labelled: optional(z.boolean()).describe(
        'true: count only crops of labelled photos; false: only windows of unlabelled photos.',
      ),
    }),
    async run({ datasetId, labelled }, { backend }) {
      const { collection: _collection, ...stats } = await indexStats(backend, datasetId, labelled);
      return result(stats);
    },
  }),
  tool({
    name: 'list_models',
    description:
      'The served embedding models, the default first: the search modes each answers, and randomWeights (a test model: its scores mean nothing).',
    input: z.object({}),
    async run(_args, { backend }) {
      const models = await describeModels(backend);
      return result({ models: models.map(({ collection: _collection, ...model }) => model) });
    },
  }),
  tool({
    name: 'list_datasets',
    description: 'The registered datasets, newest first, with their counts from their last ingestion.',
    input: datasetPage,
    async run({ first, after }, { backend }) {
      const page = await listDatasets(backend, { first, after });
      return result({ ...page, items: page.items.map(({ config: _config, ...dataset }) => dataset) });
    },
  }),
  tool({
    name: 'delete_dataset',
    description:
      'Deletes a dataset: its points from every collection, its crop and report files, its runs and its record; never its photos. CONFLICT while a run of it is in progress.',
    input: z.object({ id: uuid('dataset') }),
    writes: true,
    async run({ id }, { backend }) {
      const { dataset, points, runs, cropFiles } = await deleteDataset(backend, id);
      return result({ dataset: { id: dataset.id, name: dataset.name }, points, runs, cropFiles });
    },
  }),
];
