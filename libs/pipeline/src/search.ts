import path from 'node:path';
import sharp from 'sharp';
import type { Embedder } from '@defect-rag/embedding';
import { DefectRagError, vectorKindsFor, type VectorKind } from '@defect-rag/runtime';
import { rollUpZoneCounts } from '@defect-rag/taxonomy';
import { type CropFilter, type CropPayload, type SearchHit } from '@defect-rag/vector-store';
import type { Backend } from './backend';
import { activeTaxonomy } from './taxonomy';
import { expandZones } from './zone-filter';

export const MAX_SEARCH_LIMIT = 100;
/** Uploaded query images larger than this many pixels are refused before decoding (decompression bombs). */
export const MAX_QUERY_IMAGE_PIXELS = 40_000_000;

/** Exactly one of `cropId`, `image` or `text` says what to look for. */
export interface SimilarityQuery {
  cropId?: string;
  /** Encoded image bytes (JPEG, PNG, WebP…) or a file path. */
  image?: Buffer | string;
  text?: string;
  /** Which vectors to compare: `fused` (the default with a text tower), `image` (the default without) or `text`. */
  mode?: VectorKind;
  /** A served model's id (`backend.models()`); the default model when absent. */
  model?: string;
  filter?: CropFilter;
  limit?: number;
  minScore?: number;
  /** Compare with every point instead of the HNSW graph (slower, exact). */
  exact?: boolean;
}

/** A crop as the API and the CLI show it: its payload under readable names, plus its file. */
export interface CropView {
  id: string;
  datasetId: string;
  imageId: string;
  sourceImage: string;
  hasDamage: boolean;
  vehicleZone: string;
  area: string;
  damageTypes: string[];
  defects: CropPayload['defects'];
  textDescription: string;
  box: CropPayload['box'];
  gridPos: [number, number] | null;
  strategy: string;
  split: string | null;
  modelId: string;
  /** Absolute path of the crop's JPEG/PNG. */
  file: string;
}

export interface SimilarCrop {
  score: number;
  crop: CropView;
}

export interface SimilarityResult {
  mode: VectorKind;
  collection: string;
  modelId: string;
  randomWeights: boolean;
  items: SimilarCrop[];
}

/**
 * Finds the crops most similar to a stored crop (by its own vector, never itself), an image or a
 * text, in the chosen vector space, within the filter. A text or image query is embedded with the
 * configured model, so its vector lives in the same space as the index: a text query against the
 * `image` vectors is CLIP's text-to-image retrieval.
 */
export async function searchSimilar(backend: Backend, query: SimilarityQuery): Promise<SimilarityResult> {
  const given = (['cropId', 'image', 'text'] as const).filter((key) => query[key] !== undefined);
  if (given.length !== 1) {
    throw new DefectRagError(
      'BAD_INPUT',
      `give exactly one of cropId, image or text (got ${given.length === 0 ? 'none' : given.join(', ')})`,
    );
  }
  const embedder = await backend.servedModel(query.model);
  const mode = query.mode ?? defaultMode(embedder);
  checkMode(embedder, mode, query.text !== undefined);
  const limit = query.limit ?? 10;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT) {
    throw new DefectRagError('BAD_INPUT', `limit must be an integer from 1 to ${MAX_SEARCH_LIMIT}, got ${limit}`);
  }
  if (query.minScore !== undefined && !(query.minScore >= -1 && query.minScore <= 1)) {
    throw new DefectRagError('BAD_INPUT', `minScore must lie in [-1, 1], got ${query.minScore}`);
  }
  const collection = await backend.collection(embedder);
  const filter = await expandZones(backend, query.filter);
  const options = { using: mode, filter, limit, scoreThreshold: query.minScore, exact: query.exact };
  let hits: SearchHit[];
  if (query.cropId !== undefined) {
    hits = await backend.vectorStore.searchByCrop(collection, query.cropId, options);
  } else {
    const vector =
      query.text !== undefined ? await embedText(embedder, query.text) : await embedQueryImage(embedder, query.image!);
    hits = await backend.vectorStore.search(collection, { ...options, vector });
  }
  return {
    mode,
    collection,
    modelId: embedder.modelId,
    randomWeights: embedder.randomWeights,
    items: hits.map((hit) => ({ score: hit.score, crop: toCropView(backend, hit.payload) })),
  };
}

/** A served model as the API and the CLI describe it. */
export interface ModelInfo {
  id: string;
  contentHash: string;
  dimension: number;
  precision: string;
  randomWeights: boolean;
  collection: string;
  /** The search modes it answers, in the one order of vector kinds (image, text, fused). */
  modes: readonly VectorKind[];
  /** The default model (the first served) answers queries that name none. */
  isDefault: boolean;
}

/** Every served model, the default first; loads them (and makes their collections) on first use. */
export async function describeModels(backend: Backend): Promise<ModelInfo[]> {
  const models = await backend.models();
  return Promise.all(
    models.map(async (embedder, index) => ({
      id: embedder.modelId,
      contentHash: embedder.contentHash,
      dimension: embedder.dimension,
      precision: embedder.precision,
      randomWeights: embedder.randomWeights,
      collection: await backend.collection(embedder),
      modes: modesOf(embedder),
      isDefault: index === 0,
    })),
  );
}

/** The search modes a model supports: all three with a text tower, `image` alone without. */
export function modesOf(embedder: Embedder): readonly VectorKind[] {
  return vectorKindsFor(embedder.towers);
}

function defaultMode(embedder: Embedder): VectorKind {
  return embedder.hasTextTower ? 'fused' : 'image';
}

/** MODE_UNSUPPORTED, naming the model, for vectors or a text query the model cannot give. */
function checkMode(embedder: Embedder, mode: VectorKind, textQuery: boolean): void {
  const modes = modesOf(embedder);
  if (!modes.includes(mode) || (textQuery && !embedder.hasTextTower)) {
    throw new DefectRagError(
      'MODE_UNSUPPORTED',
      `model "${embedder.modelId}" has only an image tower: ${textQuery ? 'a text query' : `mode ${mode}`} is not ` +
        `available (it supports ${modes.join(', ')}); name a model with a text tower for text and fused searches`,
      { modelId: embedder.modelId, mode },
    );
  }
}

/** One stored crop by id; CROP_NOT_FOUND when the index has no such crop. */
export async function getCrop(backend: Backend, cropId: string): Promise<CropView> {
  const collection = await backend.collection(await backend.embedder());
  const [point] = await backend.vectorStore.getPoints(collection, [cropId]);
  if (!point) throw new DefectRagError('CROP_NOT_FOUND', `no crop "${cropId}" in the index`, { cropId });
  return toCropView(backend, point.payload);
}

export interface IndexStats {
  collection: string;
  points: number;
  damaged: number;
  clean: number;
  byZone: { value: string; count: number }[];
  byDamageType: { value: string; count: number }[];
  byArea: { value: string; count: number }[];
}

/**
 * Counts of the indexed crops (of one dataset, or all), by zone, damage type and area. A parent
 * zone's count includes its children's (the dataset's taxonomy, else the default).
 */
export async function indexStats(backend: Backend, datasetId?: string): Promise<IndexStats> {
  const collection = await backend.collection(await backend.embedder());
  const filter: CropFilter = datasetId ? { datasetId } : {};
  const store = backend.vectorStore;
  const [taxonomy, points, damaged, zones, types, areas] = await Promise.all([
    activeTaxonomy(backend, datasetId),
    store.count(collection, filter),
    store.count(collection, { ...filter, hasDamage: true }),
    store.facets(collection, 'vehicle_zone', filter),
    store.facets(collection, 'damage_types', filter),
    store.facets(collection, 'area', filter),
  ]);
  const asStrings = (counts: { value: string | boolean; count: number }[]) =>
    counts.map(({ value, count }) => ({ value: String(value), count }));
  return {
    collection,
    points,
    damaged,
    clean: points - damaged,
    byZone: rollUpZoneCounts(taxonomy, asStrings(zones)),
    byDamageType: asStrings(types),
    byArea: asStrings(areas),
  };
}

async function embedText(embedder: Embedder, text: string): Promise<Float32Array> {
  if (text.trim() === '') throw new DefectRagError('BAD_INPUT', 'the query text is empty');
  const [vector] = await embedder.embedTexts([text]);
  return vector!;
}

async function embedQueryImage(embedder: Embedder, image: Buffer | string): Promise<Float32Array> {
  // Checked here rather than left to the embedder so that a bad upload is named as the query's fault.
  try {
    const { width = 0, height = 0 } = await sharp(image, { limitInputPixels: MAX_QUERY_IMAGE_PIXELS }).metadata();
    if (width * height > MAX_QUERY_IMAGE_PIXELS) {
      throw new DefectRagError(
        'IMAGE_TOO_LARGE',
        `the query image has ${width}×${height} pixels; at most ${MAX_QUERY_IMAGE_PIXELS} are accepted`,
      );
    }
  } catch (error) {
    if (error instanceof DefectRagError) throw error;
    throw new DefectRagError(
      'IMAGE_DECODE_FAILED',
      `the query image cannot be decoded: ${(error as Error).message}`,
      {},
      { cause: error },
    );
  }
  const [vector] = await embedder.embedImages([image]);
  return vector!;
}

export function toCropView(backend: Backend, payload: CropPayload): CropView {
  return {
    id: payload.crop_id,
    datasetId: payload.dataset_id,
    imageId: payload.image_id,
    sourceImage: payload.image,
    hasDamage: payload.has_damage,
    vehicleZone: payload.vehicle_zone,
    area: payload.area,
    damageTypes: payload.damage_types,
    defects: payload.defects,
    textDescription: payload.text_description,
    box: payload.box,
    gridPos: payload.grid_pos,
    strategy: payload.strategy,
    split: payload.split,
    modelId: payload.model_id,
    file: path.join(backend.cropsDir(payload.dataset_id), payload.file),
  };
}
