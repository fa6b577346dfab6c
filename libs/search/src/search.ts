import path from 'node:path';
import {
  applyWhiteningTo,
  DEFAULT_PHOTO_VIEW,
  embedPhotoImage,
  fuse,
  fusionImageWeight,
  type Embedder,
  type FusionOptions,
} from '@defect-rag/embedding';
import { DefectRagError, vectorKindsFor, type PointLevel, type VectorKind } from '@defect-rag/runtime';
import {
  photoPointKey,
  type CropFilter,
  type CropPayload,
  type ExampleSearch,
  type PhotoPayload,
  type QueryExample,
  type SearchHit,
} from '@defect-rag/vector-store';
import { notACursor, type Backend } from '@defect-rag/runs';
import { cutQueryRegion, decodeQueryImage, type QueryRegion } from './query-region';
import { rollUpZoneCounts } from '@defect-rag/taxonomy';
import { activeTaxonomy } from './taxonomy';
import { expandZones } from './zone-filter';
import { labelPrototype } from './label-prototypes';

/** The most results one search gives, paging included (offset + limit). */
export const MAX_SEARCH_LIMIT = 100;
/** The most positive or negative example crops (and excluded photos, through the API) one query names. */
export const MAX_FEEDBACK_CROPS = 50;

/**
 * At least one of `cropId` / `positiveCropIds`, `image` or `text` says what to look for: each is a
 * positive example; `image` and `text` together are one hybrid example, fused like the index.
 */
export interface SimilarityQuery {
  cropId?: string;
  /** Encoded image bytes (JPEG, PNG, WebP…) or a file path. */
  image?: Buffer | string;
  text?: string;
  /** Image weight of a hybrid (image + text) query; default: the fusion of the index's latest ingestion. */
  alpha?: number;
  /** A part of `image`: the query crops are cut from it as phase 1 cuts a defect. */
  region?: QueryRegion;
  /** Relevance feedback: more like these stored crops (never returned). */
  positiveCropIds?: readonly string[];
  /** Relevance feedback: less like these stored crops (never returned). */
  negativeCropIds?: readonly string[];
  /** At most one crop per photo, its best. */
  onePerPhoto?: boolean;
  /** Leave out the crops of these photos (image ids). */
  excludePhotoIds?: readonly string[];
  /** Paging: skip this many results first; offset + limit ≤ MAX_SEARCH_LIMIT. */
  offset?: number;
  /**
   * Which vectors to compare: `fused` (the default with a text tower), `image` (the default without)
   * or `text`. An encoder pair's image and text queries search their own kind (and default to it).
   */
  mode?: VectorKind;
  /** A served model's id (`backend.models()`); the default model when absent. */
  model?: string;
  /**
   * What to find: crops (the default) or whole photos. An uploaded image asking for photos is
   * taken as a whole photo and embedded as photo points are; a crop id asking for photos, or a
   * photo's id asking for crops, compares the two levels.
   */
  level?: PointLevel;
  filter?: Omit<CropFilter, 'level'>;
  limit?: number;
  minScore?: number;
  /** Compare with every point instead of the HNSW graph (slower, exact). */
  exact?: boolean;
}

/** A point as the API and the CLI show it (a crop, or a whole photo): its payload under readable names, plus its file. */
export interface CropView {
  id: string;
  level: PointLevel;
  datasetId: string;
  imageId: string;
  sourceImage: string;
  /** Null for a point of an unlabelled photo: its damage is unknown. */
  hasDamage: boolean | null;
  /** False for the points of unlabelled photos. */
  labelled: boolean;
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
  /** Absolute path of the crop's JPEG/PNG; null for a photo point, whose image is `sourceImage` in its dataset's folder. */
  file: string | null;
  /** Photo points only. */
  photo: PhotoDetails | null;
}

/** What only a photo point has: its size, zones, defects with their polygons, and its crops' ids. */
export interface PhotoDetails {
  width: number;
  height: number;
  zones: string[];
  defects: PhotoPayload['defects'];
  cropIds: string[];
  view: PhotoPayload['view'];
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
 * Finds the crops most similar to what the query gives (stored crops by their own vectors, never
 * themselves; an image or a region of it; a text; an image and a text fused), least like its
 * negative crops, in the chosen vector space, within the filter. A text or image query is embedded
 * with the chosen model, so its vector lives in the same space as the index: a text query against
 * the `image` vectors is CLIP's text-to-image retrieval (an encoder pair cannot cross its spaces).
 */
export async function searchSimilar(backend: Backend, query: SimilarityQuery): Promise<SimilarityResult> {
  const prepared = await prepareSearch(backend, query);
  return runSearch(backend, prepared, prepared.search);
}

/** A query checked and embedded: what `runSearch` sends, again with another filter if need be (RAG normal references). */
export interface PreparedSearch {
  embedder: Embedder;
  collection: string;
  search: ExampleSearch;
}

/** Checks the query (BAD_INPUT, MODE_UNSUPPORTED) and embeds its image and text with the chosen model. */
export async function prepareSearch(backend: Backend, query: SimilarityQuery): Promise<PreparedSearch> {
  const positiveCropIds = [...(query.cropId !== undefined ? [query.cropId] : []), ...(query.positiveCropIds ?? [])];
  const negativeCropIds = query.negativeCropIds ?? [];
  checkQueryShape(query, positiveCropIds, negativeCropIds);
  const embedder = await backend.servedModel(query.model);
  const asked: QueryKind =
    query.image !== undefined && query.text !== undefined
      ? 'hybrid'
      : query.text !== undefined
        ? 'text'
        : query.image !== undefined
          ? 'image'
          : 'crop';
  const mode = query.mode ?? defaultMode(embedder, asked);
  checkMode(embedder, mode, asked);
  const collection = await backend.collection(embedder);
  const level = query.level ?? 'crop';
  const positive: QueryExample[] = positiveCropIds.map((cropId) => ({ cropId }));
  positive.push(...(await embedQuery(backend, embedder, collection, query, level)));
  return {
    embedder,
    collection,
    search: {
      using: mode,
      positive,
      negative: negativeCropIds.map((cropId) => ({ cropId })),
      filter: { ...(await expandZones(backend, query.filter)), level },
      limit: query.limit ?? 10,
      offset: query.offset ?? 0,
      onePerPhoto: query.onePerPhoto ?? false,
      excludeImageIds: query.excludePhotoIds ?? [],
      scoreThreshold: query.minScore,
      exact: query.exact,
    },
  };
}

/** Sends a prepared search (or a variant of it) to the model's collection. */
export async function runSearch(
  backend: Backend,
  { embedder, collection }: PreparedSearch,
  search: ExampleSearch,
): Promise<SimilarityResult> {
  const hits: SearchHit[] = await backend.vectorStore.searchExamples(collection, search);
  return {
    mode: search.using,
    collection,
    modelId: embedder.modelId,
    randomWeights: embedder.randomWeights,
    items: hits.map((hit) => ({ score: hit.score, crop: toCropView(backend, hit.payload) })),
  };
}

/** BAD_INPUT naming the fields of a query that do not go together or lie out of range. */
function checkQueryShape(query: SimilarityQuery, positiveCropIds: string[], negativeCropIds: readonly string[]): void {
  const problems: string[] = [];
  const hasImage = query.image !== undefined;
  const hasText = query.text !== undefined;
  if (positiveCropIds.length === 0 && !hasImage && !hasText) {
    problems.push(
      `give at least one of cropId, positiveCropIds, image or text${negativeCropIds.length > 0 ? ' (negativeCropIds alone say only what not to look for)' : ''}`,
    );
  }
  if (query.region !== undefined && !hasImage) problems.push('region needs image: it is a part of the uploaded image');
  if (query.alpha !== undefined && !(hasImage && hasText)) {
    problems.push('alpha weighs the image against the text of a hybrid query: give both image and text');
  }
  if (query.alpha !== undefined && !(query.alpha >= 0 && query.alpha <= 1)) {
    problems.push(`alpha must lie in [0, 1], got ${query.alpha}`);
  }
  for (const [name, ids] of [
    ['positiveCropIds', query.positiveCropIds ?? []],
    ['negativeCropIds', negativeCropIds],
  ] as const) {
    if (ids.length > MAX_FEEDBACK_CROPS)
      problems.push(`${name}: at most ${MAX_FEEDBACK_CROPS} crops, got ${ids.length}`);
  }
  const both = negativeCropIds.filter((id) => positiveCropIds.includes(id));
  if (both.length > 0) {
    problems.push(
      `crop ${both.map((id) => `"${id}"`).join(', ')} is both a positive (cropId or positiveCropIds) and a negative`,
    );
  }
  const limit = query.limit ?? 10;
  const offset = query.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT) {
    problems.push(`limit must be an integer from 1 to ${MAX_SEARCH_LIMIT}, got ${limit}`);
  } else if (!Number.isInteger(offset) || offset < 0) {
    problems.push(`offset must be a non-negative integer, got ${offset}`);
  } else if (offset + limit > MAX_SEARCH_LIMIT) {
    problems.push(
      `offset + limit must be at most ${MAX_SEARCH_LIMIT} (the results a search can page through), got ${offset} + ${limit}`,
    );
  }
  if (query.minScore !== undefined && !(query.minScore >= -1 && query.minScore <= 1)) {
    problems.push(`minScore must lie in [-1, 1], got ${query.minScore}`);
  }
  if (problems.length > 0) throw new DefectRagError('BAD_INPUT', problems.join('; '));
}

/**
 * The query's image and text as positive vectors: the image (or each window of its region), each
 * fused with the text when both are given, or the text alone.
 */
async function embedQuery(
  backend: Backend,
  embedder: Embedder,
  collection: string,
  query: SimilarityQuery,
  level: PointLevel,
): Promise<Float32Array[]> {
  const text =
    query.text === undefined
      ? undefined
      : embedder.hasTextTower
        ? await embedText(embedder, query.text)
        : await textPrototype(backend, collection, query);
  if (query.image === undefined) return text ? [text] : [];
  const images = await inCollectionSpace(
    backend,
    collection,
    query.region !== undefined
      ? await embedder.embedImages(await cutQueryRegion(query.image, query.region))
      : [await embedQueryImage(embedder, query.image, level)],
  );
  if (!text) return images;
  const fusion: FusionOptions = {
    strategy: 'weighted',
    alpha: query.alpha ?? (await indexFusionAlpha(backend, collection)),
  };
  return images.map((image) => fuse(image, text, fusion, embedder.space));
}

/**
 * Query image vectors in the space of the collection's `image` vectors: whitened with the
 * collection's stored transform when it is whitened (whitening-stage.ts of libs/ingestion), as
 * they are otherwise. Stored crops given as examples already are; so are label prototypes, which
 * sum the stored vectors.
 */
async function inCollectionSpace(
  backend: Backend,
  collection: string,
  images: Float32Array[],
): Promise<Float32Array[]> {
  const dimension = await backend.vectorStore.whitenedDimension(collection);
  if (dimension === null) return images;
  const whitening = await backend.db.whitenings.get(collection);
  if (!whitening) {
    throw new DefectRagError(
      'COLLECTION_MISMATCH',
      `collection ${collection} is whitened, but no ingestion into it has finished: its whitening is not fitted yet`,
      { collection },
    );
  }
  return images.map((image) => applyWhiteningTo(whitening, image, dimension));
}

/**
 * The image weight of the fused vectors in `collection`: the fusion of the latest successful
 * ingestion into it (0.5, the average, when none is recorded), so a hybrid query is fused like the
 * index it is compared with.
 */
async function indexFusionAlpha(backend: Backend, collection: string): Promise<number> {
  const page = await backend.db.runs.list({ kind: 'INGEST', status: 'SUCCEEDED', collection }, { first: 1 });
  const fusion = page.items[0]?.params.fusion as FusionOptions | undefined;
  return fusionImageWeight(fusion ?? { strategy: 'average' });
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
  /** How it answers text: its text tower, or the prototypes of the labels the text names (label-prototypes.ts). */
  textQueries: 'text-tower' | 'label-prototypes';
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
      textQueries: embedder.hasTextTower ? ('text-tower' as const) : ('label-prototypes' as const),
    })),
  );
}

/**
 * The search modes a model supports: all three with a text tower, `image` alone without. An encoder
 * pair answers each mode only for the queries that stay in one space (see `checkMode`).
 */
export function modesOf(embedder: Embedder): readonly VectorKind[] {
  return vectorKindsFor(embedder.towers);
}

/** What a query embeds: nothing (stored crops' own vectors), an image, a text, or both fused (hybrid). */
type QueryKind = 'crop' | 'image' | 'text' | 'hybrid';

function defaultMode(embedder: Embedder, query: QueryKind): VectorKind {
  if (!embedder.hasTextTower) return 'image';
  // An encoder pair's image or text is half of a fused vector: it searches its own space.
  if (embedder.space === 'separate' && (query === 'image' || query === 'text')) return query;
  return 'fused';
}

/**
 * MODE_UNSUPPORTED, naming the model, for vectors or a query the model cannot compare: an
 * image-only model has no text or fused vectors; an encoder pair's image and text vectors live in
 * separate spaces, so an image query searches image vectors only and a text query text vectors
 * only. A pair's fused vector needs both an image and a text, so only a stored crop or a hybrid
 * (image + text) query searches the fused vectors: one half alone would rank exactly like its own
 * space, under a misleading name.
 */
function checkMode(embedder: Embedder, mode: VectorKind, query: QueryKind): void {
  const modes = modesOf(embedder);
  // Without a text tower, text is answered in image space by label prototypes (label-prototypes.ts).
  if (!modes.includes(mode)) {
    throw new DefectRagError(
      'MODE_UNSUPPORTED',
      `model "${embedder.modelId}" has only an image tower: mode ${mode} is not ` +
        `available (it supports ${modes.join(', ')}; its text queries search image vectors through label prototypes)`,
      { modelId: embedder.modelId, mode },
    );
  }
  const own = query === 'hybrid' ? 'fused' : query;
  if (embedder.space === 'separate' && query !== 'crop' && mode !== own) {
    throw new DefectRagError(
      'MODE_UNSUPPORTED',
      `model "${embedder.modelId}" is an encoder pair whose image and text vectors live in separate spaces: ` +
        `a ${query} query searches ${own} vectors only, not mode ${mode}` +
        (mode === 'fused' ? ' (its fused vectors need an image and a text; search by a stored crop for those)' : ''),
      { modelId: embedder.modelId, mode },
    );
  }
}

/** One stored crop (or photo point) by id; CROP_NOT_FOUND when the index has no such point. */
export async function getCrop(backend: Backend, cropId: string): Promise<CropView> {
  const [crop] = await getCrops(backend, [cropId]);
  if (!crop) throw new DefectRagError('CROP_NOT_FOUND', `no crop "${cropId}" in the index`, { cropId });
  return crop;
}

/** The stored points among `cropIds`, in that order; ids not stored are left out. */
export async function getCrops(backend: Backend, cropIds: readonly string[]): Promise<CropView[]> {
  const collection = await backend.collection(await backend.embedder());
  return (await backend.vectorStore.getPoints(collection, cropIds)).map((point) => toCropView(backend, point.payload));
}

/**
 * A photo's point by its id (`photo:<image id>`) or its image id; PHOTO_NOT_FOUND when the index
 * has none (a dataset ingested before photo points existed has none until it is ingested again).
 */
export async function getPhoto(backend: Backend, id: string): Promise<CropView> {
  const key = id.startsWith('photo:') ? id : photoPointKey(id);
  const [photo] = await getCrops(backend, [key]);
  if (!photo || photo.level !== 'photo')
    throw new DefectRagError('PHOTO_NOT_FOUND', `no photo "${id}" in the index`, { photoId: id });
  return photo;
}

export interface IndexStats {
  collection: string;
  points: number;
  damaged: number;
  clean: number;
  /** Points of unlabelled photos: neither damaged nor clean. */
  unlabelled: number;
  byZone: { value: string; count: number }[];
  byDamageType: { value: string; count: number }[];
  byArea: { value: string; count: number }[];
  /** Damaged crops per (zone, damage type) pair that occurs, each crop under its own zone (not rolled up), then most frequent first. */
  zoneDamageTypes: { zone: string; damageType: string; count: number }[];
}

/**
 * Counts of the indexed crops (of one dataset, or all), by zone, damage type and area. A parent
 * zone's count includes its children's (the dataset's taxonomy, else the default). `labelled`
 * keeps the counts by zone and area to the crops of labelled (true) or unlabelled (false) photos;
 * left out, they count both, and `damaged`, `clean` and `unlabelled` tell them apart.
 */
export async function indexStats(backend: Backend, datasetId?: string, labelled?: boolean): Promise<IndexStats> {
  const collection = await backend.collection(await backend.embedder());
  const filter: CropFilter = { ...(datasetId && { datasetId }), ...(labelled !== undefined && { labelled }) };
  const store = backend.vectorStore;
  const [taxonomy, points, damaged, clean, zones, types, areas] = await Promise.all([
    activeTaxonomy(backend, datasetId),
    store.count(collection, filter),
    store.count(collection, { ...filter, hasDamage: true }),
    store.count(collection, { ...filter, hasDamage: false }),
    store.facets(collection, 'vehicle_zone', filter),
    store.facets(collection, 'damage_types', filter),
    store.facets(collection, 'area', filter),
  ]);
  const asStrings = (counts: { value: string | boolean; count: number }[]) =>
    counts.map(({ value, count }) => ({ value: String(value), count }));
  const byZone = asStrings(zones);
  const typesByZone = await Promise.all(
    byZone.map(({ value: zone }) =>
      store.facets(collection, 'damage_types', { ...filter, hasDamage: true, zones: [zone] }),
    ),
  );
  return {
    collection,
    points,
    damaged,
    clean,
    unlabelled: points - damaged - clean,
    byZone: rollUpZoneCounts(taxonomy, asStrings(zones)),
    byDamageType: asStrings(types),
    byArea: asStrings(areas),
    zoneDamageTypes: byZone.flatMap(({ value: zone }, i) =>
      typesByZone[i]!.map(({ value, count }) => ({ zone, damageType: String(value), count })),
    ),
  };
}

/** A page of the indexed crops (of the default model) that a filter matches, without a query: browsing. */
export interface CropPage {
  items: CropView[];
  hasNextPage: boolean;
  /** The last crop's id: the `after` of the next page. */
  endCursor: string | null;
  /** Crops the filter matches, over all pages. */
  totalCount: number;
}

/** The crops a filter matches, `first` at a time after the crop `after`, in the index's stable order. */
export async function browseCrops(
  backend: Backend,
  filter: CropFilter,
  { first, after }: { first: number; after?: string },
): Promise<CropPage> {
  const collection = await backend.collection(await backend.embedder());
  if (after !== undefined && (await getCrops(backend, [after])).length === 0) throw notACursor();
  const zoned = (await expandZones(backend, filter)) ?? filter;
  const [page, totalCount] = await Promise.all([
    backend.vectorStore.browse(collection, zoned, { first, after }),
    backend.vectorStore.count(collection, zoned),
  ]);
  const items = page.crops.map((payload) => toCropView(backend, payload));
  return { items, hasNextPage: page.hasMore, endCursor: items.at(-1)?.id ?? null, totalCount };
}

/** A model without a text tower answers text by the prototype of the labels it names (label-prototypes.ts). */
async function textPrototype(backend: Backend, collection: string, query: SimilarityQuery): Promise<Float32Array> {
  const taxonomy = await activeTaxonomy(backend, query.filter?.datasetId);
  const scope = query.filter?.datasetId !== undefined ? { datasetId: query.filter.datasetId } : {};
  return (await labelPrototype(backend, collection, taxonomy, query.text!, scope)).vector;
}

async function embedText(embedder: Embedder, text: string): Promise<Float32Array> {
  if (text.trim() === '') throw new DefectRagError('BAD_INPUT', 'the query text is empty');
  const [vector] = await embedder.embedTexts([text]);
  return vector!;
}

async function embedQueryImage(embedder: Embedder, image: Buffer | string, level: PointLevel): Promise<Float32Array> {
  // Checked here rather than left to the embedder so that a bad upload is named as the query's fault.
  await decodeQueryImage(image, (photo) => photo.metadata());
  if (level === 'photo') return embedPhotoImage(embedder, image, DEFAULT_PHOTO_VIEW);
  const [vector] = await embedder.embedImages([image]);
  return vector!;
}

export function toCropView(backend: Backend, payload: CropPayload): CropView {
  const { photo } = payload;
  return {
    id: payload.crop_id,
    level: payload.level,
    datasetId: payload.dataset_id,
    imageId: payload.image_id,
    sourceImage: payload.image,
    hasDamage: payload.has_damage,
    labelled: payload.labelled,
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
    file: photo ? null : path.join(backend.cropsDir(payload.dataset_id), payload.file),
    photo: photo
      ? {
          width: photo.width,
          height: photo.height,
          zones: photo.zones,
          defects: photo.defects,
          cropIds: photo.crop_ids,
          view: photo.view,
        }
      : null,
  };
}
