/**
 * The GraphQL operations the explorer sends, with the shapes of their answers (a subset of
 * apps/api/schema.graphql: only the fields asked for).
 */

export type SearchMode = 'FUSED' | 'IMAGE' | 'TEXT';
export type RunStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'INTERRUPTED';

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Defect {
  label: string;
  type: string;
  box: Box;
  visibleFraction: number;
}

export interface Crop {
  id: string;
  datasetId: string;
  imageId: string;
  sourceImage: string;
  imageUrl: string;
  hasDamage: boolean;
  vehicleZone: string;
  area: string;
  damageTypes: string[];
  textDescription: string;
  strategy: string;
  split: string | null;
  box: Box;
  gridPosition: { row: number; column: number } | null;
  defects: Defect[];
  modelId: string;
}

export interface SimilarCrop {
  score: number;
  crop: Crop;
}

/** Matches the API's CropFilter input: absent fields do not narrow. */
export interface CropFilter {
  hasDamage?: boolean;
  zones?: string[];
  damageTypes?: string[];
  datasetId?: string;
  split?: string;
}

export interface SimilarityQuery {
  cropId?: string;
  text?: string;
  /** Sent as a multipart file, never inside the JSON. */
  image?: null;
  filter?: CropFilter;
  mode: SearchMode;
  /** A served model's id; the API's default model when absent. */
  model?: string;
  limit: number;
  minScore?: number;
}

const CROP_FIELDS = `
  id datasetId imageId sourceImage imageUrl hasDamage vehicleZone area damageTypes textDescription
  strategy split modelId
  box { x y width height }
  gridPosition { row column }
  defects { label type visibleFraction box { x y width height } }
`;

export const SEARCH = `query Search($query: SimilarityQuery!) {
  searchSimilar(query: $query) { score crop { ${CROP_FIELDS} } }
}`;
export interface SearchData {
  searchSimilar: SimilarCrop[];
}

export const CROP = `query Crop($id: ID!) {
  crop(id: $id) { ${CROP_FIELDS} }
}`;
export interface CropData {
  crop: Crop | null;
}

/** The context an agent would get with this crop as its query. */
export const CROP_RAG_CONTEXT = `query CropRagContext($id: ID!, $format: RagContextFormat!) {
  ragContext(query: { cropId: $id, limit: 5 }, format: $format) { context items { score crop { ${CROP_FIELDS} } } }
}`;
export interface CropRagContextData {
  ragContext: { context: string; items: SimilarCrop[] };
}

export interface TaxonomyEntry {
  id: string;
  name: string;
}

export interface ValueCount {
  value: string;
  count: number;
}

export interface DatasetSummary {
  id: string;
  name: string;
  root: string;
  imageCount: number;
  damagedCount: number;
  cleanCount: number;
  defectCount: number;
  cropCount: number;
  updatedAt: string;
}

/** The model searches embed with: whether its scores mean anything. */
export const MODEL = `query Model { model { id randomWeights } }`;
export interface ModelData {
  model: { id: string; randomWeights: boolean };
}

/** What the search form offers: the vocabulary, what the index holds, and the datasets. */
export const SEARCH_OPTIONS = `query SearchOptions {
  taxonomy { zones { id name } damageTypes { id name } }
  indexStats { points damaged clean byZone { value count } byDamageType { value count } }
  datasets(first: 100) { edges { node { id name } } }
  models { id modes isDefault randomWeights }
}`;
export interface ServedModel {
  id: string;
  /** The modes it answers: IMAGE alone for an image-only model. */
  modes: SearchMode[];
  isDefault: boolean;
  randomWeights: boolean;
}
export interface SearchOptionsData {
  models: ServedModel[];
  taxonomy: { zones: TaxonomyEntry[]; damageTypes: TaxonomyEntry[] };
  indexStats: { points: number; damaged: number; clean: number; byZone: ValueCount[]; byDamageType: ValueCount[] };
  datasets: { edges: { node: Pick<DatasetSummary, 'id' | 'name'> }[] };
}

export interface StageProgress {
  stage: string;
  done: number;
  total: number;
}

export interface RunSummary {
  id: string;
  kind: 'INGEST' | 'EVALUATE';
  status: RunStatus;
  dataset: { id: string; name: string };
  progress: StageProgress[];
  counts: { name: string; value: number }[];
  errorCode: string | null;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

const RUN_FIELDS = `
  id kind status dataset { id name } errorCode error createdAt startedAt finishedAt
  progress { stage done total }
  counts { name value }
`;

export const DATASETS_AND_RUNS = `query DatasetsAndRuns {
  datasets(first: 100) { totalCount edges { node { id name root imageCount damagedCount cleanCount defectCount cropCount updatedAt } } }
  runs(first: 50) { totalCount edges { node { ${RUN_FIELDS} } } }
}`;
export interface DatasetsAndRunsData {
  datasets: { totalCount: number; edges: { node: DatasetSummary }[] };
  runs: { totalCount: number; edges: { node: RunSummary }[] };
}

export interface RunProblem {
  id: string;
  item: string;
  stage: string;
  code: string;
  message: string;
}

export interface RunDetail extends RunSummary {
  params: Record<string, unknown>;
  modelId: string | null;
  collection: string | null;
  timings: { stage: string; ms: number }[];
  metrics: Record<string, unknown> | null;
  problems: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: { node: RunProblem }[];
  };
}

const PROBLEM_PAGE = `problems(first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id item stage code message } } }`;

export const RUN_DETAIL = `query RunDetail($id: ID!, $after: String) {
  run(id: $id) {
    ${RUN_FIELDS}
    params modelId collection metrics
    timings { stage ms }
    ${PROBLEM_PAGE}
  }
}`;
export interface RunDetailData {
  run: RunDetail | null;
}

export const RUN_PROBLEMS = `query RunProblems($id: ID!, $after: String) {
  run(id: $id) { ${PROBLEM_PAGE} }
}`;
export interface RunProblemsData {
  run: Pick<RunDetail, 'problems'> | null;
}
