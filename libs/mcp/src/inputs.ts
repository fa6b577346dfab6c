import { z } from 'zod';
import { filterChecks, finite, oneRegionShape, optional, queryChecks, regionPolygon } from '@defect-rag/interface';
import { MAX_NORMAL_REFERENCES, MAX_SEARCH_LIMIT, type SimilarityQuery } from '@defect-rag/search';
import { DefectRagError, POINT_LEVELS, VECTOR_KINDS } from '@defect-rag/runtime';

/**
 * The tools' input schemas: the field checks are the GraphQL inputs' (`@defect-rag/interface`),
 * the names are theirs too, so an agent and a GraphQL client say the same thing the same way.
 */

export const cropFilter = z
  .object({
    hasDamage: optional(z.boolean()).describe(
      'true: damaged crops only; false: clean crops only. Crops of unlabelled photos are neither.',
    ),
    labelled: optional(z.boolean()).describe(
      'true: crops of labelled photos only; false: windows of unlabelled photos only (damage unknown), to find damage nobody has labelled yet.',
    ),
    zones: filterChecks.zones.describe(
      'Taxonomy zone ids; a zone also matches the zones below it (`side` matches `left_side` and `right_side`).',
    ),
    areas: filterChecks.areas.describe('Taxonomy area ids (bumper, door, hood…).'),
    damageTypes: filterChecks.damageTypes.describe('Crops with any of these damage type ids.'),
    datasetId: filterChecks.datasetId.describe('One dataset (see list_datasets).'),
    split: filterChecks.split.describe('train, test…'),
  })
  .describe(
    'Every field narrows the result (AND); a list matches ANY of its values. The taxonomy resource lists the ids.',
  );

const point = z.object({ x: finite, y: finite });
const region = z
  .object({
    box: optional(point.extend({ width: finite, height: finite })).describe(
      'x, y of the top-left corner, width, height.',
    ),
    polygon: regionPolygon(point).describe('At least 3 points.'),
  })
  .refine(oneRegionShape.holds, { message: oneRegionShape.message, path: ['box'] })
  .describe(
    'A part of the image, exactly one of box or polygon, in its pixels: the query is cut from it the way the index cuts crops.',
  );

export const similarityQuery = z.object({
  cropId: queryChecks.cropId.describe('A crop in the index to find more like; it is never returned itself.'),
  image: optional(z.base64({ error: 'not base64' })).describe(
    'An image file (JPEG, PNG or WebP), base64-encoded: a photo of a vehicle or a part of one.',
  ),
  region: optional(region),
  text: queryChecks.text.describe(
    'A description, e.g. "deep scratch on the rear bumper" (needs a model with a text tower, see list_models).',
  ),
  filter: optional(cropFilter),
  level: optional(z.enum(POINT_LEVELS)).describe('crop (the default): crops; photo: whole photos.'),
  onePerPhoto: optional(z.boolean()).describe("At most one crop per photo: each photo's best crop."),
  limit: z.int().default(10).describe(`How many results, 1…${MAX_SEARCH_LIMIT}.`),
  mode: optional(z.enum(VECTOR_KINDS)).describe(
    'Which vectors to compare: fused (the default for a model with a text tower), image or text.',
  ),
  model: queryChecks.model.describe('A served model id (see list_models); the default model when absent.'),
  minScore: queryChecks.minScore.describe('Only results at least this similar (cosine, -1…1).'),
});

export const ragQuery = similarityQuery.extend({
  format: z.enum(['text', 'markdown']).default('text'),
  normalReferences: z
    .int()
    .default(0)
    .describe(
      `Up to this many clean crops (0…${MAX_NORMAL_REFERENCES}) of the zones and areas of the similar damaged crops, added as normal references: what that bodywork looks like undamaged.`,
    ),
  maxCharacters: optional(z.int().min(1)).describe(
    'The context is at most this long: items are left out from the end until it fits.',
  ),
  images: z.boolean().default(false).describe("Add each cited crop's JPEG as image content after the context."),
});

/** The pipeline's query from a tool's checked arguments: the image decoded, within the upload limit. */
export function toPipelineQuery(query: z.output<typeof similarityQuery>, maxUploadBytes: number): SimilarityQuery {
  const { image, region, ...rest } = query;
  return {
    ...rest,
    image: image === undefined ? undefined : decodeImage(image, maxUploadBytes),
    region: region && { box: region.box, polygon: region.polygon?.map(({ x, y }) => [x, y] as const) },
  };
}

/** The HTTP body limit keeps the base64 text itself within reach of `maxBytes`. */
function decodeImage(base64: string, maxBytes: number): Buffer {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length > maxBytes)
    throw new DefectRagError(
      'PAYLOAD_TOO_LARGE',
      `the uploaded image is larger than ${maxBytes} bytes (DEFECT_RAG_MAX_UPLOAD_BYTES)`,
      { maxBytes },
    );
  if (bytes.length === 0) throw new DefectRagError('IMAGE_DECODE_FAILED', 'the uploaded image is empty');
  return bytes;
}
