/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** Every field narrows the result (AND); a list matches ANY of its values. */
export type CropFilter = {
  /** Taxonomy area ids. */
  areas?: Array<string> | null | undefined;
  /** Crops with any of these damage type ids. */
  damageTypes?: Array<string> | null | undefined;
  datasetId?: string | null | undefined;
  /** true: damaged crops only; false: clean crops only. Crops of unlabelled photos are neither. */
  hasDamage?: boolean | null | undefined;
  /** true: crops of labelled photos only; false: windows of unlabelled photos only. */
  labelled?: boolean | null | undefined;
  /** train, test… */
  split?: string | null | undefined;
  /** Taxonomy zone ids; a zone also matches the zones below it (`side` matches `left_side` and `right_side`). */
  zones?: Array<string> | null | undefined;
};

/** A damage polygon of a photo. */
export type DefectLabelInput = {
  /** A damage type id of the dataset's taxonomy (see taxonomy). */
  damageType: string;
  /** The photo: `photo:<imageId>` or its image id. */
  photoId: string;
  /** At least 3 points, inside the photo, in its pixels. */
  polygon: Array<RegionPoint>;
};

export type LabelKind =
  | 'DEFECT'
  | 'NO_DAMAGE';

/** What a point of the index stands for. */
export type Level =
  /** A crop around defects or of clean bodywork (the default everywhere). */
  | 'CROP'
  /** A whole photo, one point per photo beside its crops. */
  | 'PHOTO';

/** A window of a photo with no damage: one of its crops, or a box. */
export type NoDamageInput = {
  /** A window inside the photo, in its pixels. */
  box?: RegionBox | null | undefined;
  /** A crop of the photo (a search result). */
  cropId?: string | null | undefined;
  photoId: string;
};

/** A part of the uploaded photo, exactly one of box or polygon, in its pixels: the query is cut from it the way the index cuts crops (a 336-px window around it with real context, overlapping tiles when it is larger). */
export type QueryRegion = {
  box?: RegionBox | null | undefined;
  /** At least 3 points. */
  polygon?: Array<RegionPoint> | null | undefined;
};

export type RagContextFormat =
  | 'MARKDOWN'
  | 'TEXT';

/** A rectangle, in source-photo pixels: its top-left corner, width and height. */
export type RegionBox = {
  height: number;
  width: number;
  x: number;
  y: number;
};

/** A point of a polygon, in source-photo pixels. */
export type RegionPoint = {
  x: number;
  y: number;
};

export type RunKind =
  | 'EVALUATE'
  | 'INDEX'
  | 'INGEST'
  | 'RELABEL';

export type RunStatus =
  | 'CANCELLED'
  | 'FAILED'
  | 'INTERRUPTED'
  | 'QUEUED'
  | 'RUNNING'
  | 'SUCCEEDED';

/** Which vectors to compare. */
export type SearchMode =
  /** The fused image+text vectors (the default for a model with a text tower). */
  | 'FUSED'
  /** The image vectors (the default for an image-only model); a text query against them is text-to-image retrieval. */
  | 'IMAGE'
  /** The description vectors. */
  | 'TEXT';

/** At least one of cropId / positiveCropIds, image or text says what to look for; image + text is a hybrid query (fused like the index, with alpha). */
export type SimilarityQuery = {
  /** Image weight of a hybrid (image + text) query, 0…1; default: the fusion α of the index's latest ingestion into this model's collection (0.5 for an average fusion). */
  alpha?: number | null | undefined;
  /** A crop in the index; it is never returned itself. */
  cropId?: string | null | undefined;
  /** Leave out the crops of these photos (Crop.photoId). */
  excludePhotoIds?: Array<string> | null | undefined;
  filter?: CropFilter | null | undefined;
  /** An image file (JPEG, PNG, WebP) sent as a GraphQL multipart request. */
  image?: File | null | undefined;
  /** CROP (the default) or PHOTO: whole photos. An uploaded image asking for PHOTO is taken as a whole photo and embedded as photo points are; a crop id asking for PHOTO (or a photo id asking for CROP) compares the two levels. */
  level?: Level | null | undefined;
  /** How many crops, 1…100. */
  limit?: number;
  /** Only crops at least this similar (cosine, -1…1). */
  minScore?: number | null | undefined;
  /** FUSED by default, IMAGE for an image-only model; a mode the model lacks is BAD_USER_INPUT (MODE_UNSUPPORTED). */
  mode?: SearchMode | null | undefined;
  /** The id of a served model (see models); the default model when absent. */
  model?: string | null | undefined;
  /** Relevance feedback: not like these crops (needs something to look for). None of them is returned. */
  negativeCropIds?: Array<string> | null | undefined;
  /** Paging: skip this many results first; offset + limit ≤ 100. */
  offset?: number | null | undefined;
  /** At most one crop per photo: each photo's best crop (Qdrant groups the hits by the photo). */
  onePerPhoto?: boolean | null | undefined;
  /** Relevance feedback: more like these crops (cropId counts as one of them). None of them is returned. */
  positiveCropIds?: Array<string> | null | undefined;
  /** A part of the uploaded image (needs image). */
  region?: QueryRegion | null | undefined;
  /** A description, e.g. "deep scratch on the rear bumper". */
  text?: string | null | undefined;
};

export type AddDefectLabelMutationVariables = Exact<{
  input: DefectLabelInput;
}>;


export type AddDefectLabelMutation = { addDefectLabel: { runId: string | null, label: { id: string, damageType: string | null, author: string } } };

export type MarkNoDamageMutationVariables = Exact<{
  input: NoDamageInput;
}>;


export type MarkNoDamageMutation = { markNoDamage: { runId: string | null, label: { id: string, author: string } } };

export type LabelRunQueryVariables = Exact<{
  id: string;
}>;


export type LabelRunQuery = { run: { id: string, status: RunStatus, error: string | null } | null };

export type LabelTypesQueryVariables = Exact<{
  datasetId?: string | null | undefined;
}>;


export type LabelTypesQuery = { taxonomy: { damageTypes: Array<{ id: string, name: string }> } };

export type PhotoLabelsQueryVariables = Exact<{
  id: string;
}>;


export type PhotoLabelsQuery = { photo: { id: string, hasDamage: boolean | null, damageTypes: Array<string>, labels: Array<{ id: string, kind: LabelKind, damageType: string | null, author: string, createdAt: string }> } | null };

export type CropFieldsFragment = { id: string, datasetId: string, imageId: string, photoId: string, sourceImage: string, imageUrl: string, sourceImageUrl: string, hasDamage: boolean | null, labelled: boolean, vehicleZone: string, area: string, damageTypes: Array<string>, textDescription: string, strategy: string, split: string | null, modelId: string, box: { x: number, y: number, width: number, height: number }, gridPosition: { row: number, column: number } | null, labels: Array<{ id: string, kind: LabelKind, damageType: string | null, author: string }>, defects: Array<{ label: string, type: string, critical: boolean, visibleFraction: number, polygon: Array<Array<number>>, box: { x: number, y: number, width: number, height: number } }> };

export type PhotoFieldsFragment = { id: string, imageUrl: string, sourceImage: string, width: number, height: number, zones: Array<string>, cropIds: Array<string>, defects: Array<{ label: string, type: string, zone: string, polygon: Array<Array<number>> }> };

export type SearchQueryVariables = Exact<{
  query: SimilarityQuery;
  photos: boolean;
}>;


export type SearchQuery = { searchSimilar: Array<{ score: number, crop: { id: string, datasetId: string, imageId: string, photoId: string, sourceImage: string, imageUrl: string, sourceImageUrl: string, hasDamage: boolean | null, labelled: boolean, vehicleZone: string, area: string, damageTypes: Array<string>, textDescription: string, strategy: string, split: string | null, modelId: string, photo?: { id: string, imageUrl: string, sourceImage: string, width: number, height: number, zones: Array<string>, cropIds: Array<string>, defects: Array<{ label: string, type: string, zone: string, polygon: Array<Array<number>> }> } | null, box: { x: number, y: number, width: number, height: number }, gridPosition: { row: number, column: number } | null, labels: Array<{ id: string, kind: LabelKind, damageType: string | null, author: string }>, defects: Array<{ label: string, type: string, critical: boolean, visibleFraction: number, polygon: Array<Array<number>>, box: { x: number, y: number, width: number, height: number } }> } }> };

export type BrowseCropsQueryVariables = Exact<{
  filter?: CropFilter | null | undefined;
  first: number;
  after?: string | null | undefined;
}>;


export type BrowseCropsQuery = { crops: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, datasetId: string, imageId: string, photoId: string, sourceImage: string, imageUrl: string, sourceImageUrl: string, hasDamage: boolean | null, labelled: boolean, vehicleZone: string, area: string, damageTypes: Array<string>, textDescription: string, strategy: string, split: string | null, modelId: string, box: { x: number, y: number, width: number, height: number }, gridPosition: { row: number, column: number } | null, labels: Array<{ id: string, kind: LabelKind, damageType: string | null, author: string }>, defects: Array<{ label: string, type: string, critical: boolean, visibleFraction: number, polygon: Array<Array<number>>, box: { x: number, y: number, width: number, height: number } }> } }> } };

export type CropQueryVariables = Exact<{
  id: string;
}>;


export type CropQuery = { crop: { id: string, datasetId: string, imageId: string, photoId: string, sourceImage: string, imageUrl: string, sourceImageUrl: string, hasDamage: boolean | null, labelled: boolean, vehicleZone: string, area: string, damageTypes: Array<string>, textDescription: string, strategy: string, split: string | null, modelId: string, box: { x: number, y: number, width: number, height: number }, gridPosition: { row: number, column: number } | null, labels: Array<{ id: string, kind: LabelKind, damageType: string | null, author: string }>, defects: Array<{ label: string, type: string, critical: boolean, visibleFraction: number, polygon: Array<Array<number>>, box: { x: number, y: number, width: number, height: number } }> } | null };

export type CropRagContextQueryVariables = Exact<{
  id: string;
  format: RagContextFormat;
}>;


export type CropRagContextQuery = { ragContext: { context: string, items: Array<{ score: number, crop: { id: string, datasetId: string, imageId: string, photoId: string, sourceImage: string, imageUrl: string, sourceImageUrl: string, hasDamage: boolean | null, labelled: boolean, vehicleZone: string, area: string, damageTypes: Array<string>, textDescription: string, strategy: string, split: string | null, modelId: string, box: { x: number, y: number, width: number, height: number }, gridPosition: { row: number, column: number } | null, labels: Array<{ id: string, kind: LabelKind, damageType: string | null, author: string }>, defects: Array<{ label: string, type: string, critical: boolean, visibleFraction: number, polygon: Array<Array<number>>, box: { x: number, y: number, width: number, height: number } }> } }> } };

export type ModelQueryVariables = Exact<{ [key: string]: never; }>;


export type ModelQuery = { model: { id: string, randomWeights: boolean } };

export type SearchOptionsQueryVariables = Exact<{ [key: string]: never; }>;


export type SearchOptionsQuery = { taxonomy: { zones: Array<{ id: string, name: string, parent: string | null }>, damageTypes: Array<{ id: string, name: string }> }, indexStats: { points: number, damaged: number, clean: number, byZone: Array<{ value: string, count: number }>, byDamageType: Array<{ value: string, count: number }> }, datasets: { edges: Array<{ node: { id: string, name: string } }> }, models: Array<{ id: string, modes: Array<SearchMode>, isDefault: boolean, randomWeights: boolean, textQueries: string }> };

export type RunFieldsFragment = { id: string, kind: RunKind, status: RunStatus, errorCode: string | null, error: string | null, createdAt: string, startedAt: string | null, finishedAt: string | null, dataset: { id: string, name: string }, progress: Array<{ stage: string, done: number, total: number }>, counts: Array<{ name: string, value: number }> };

export type DatasetsAndRunsQueryVariables = Exact<{ [key: string]: never; }>;


export type DatasetsAndRunsQuery = { datasets: { totalCount: number, edges: Array<{ node: { id: string, name: string, root: string, imageCount: number, damagedCount: number, cleanCount: number, defectCount: number, cropCount: number, updatedAt: string } }> }, runs: { totalCount: number, edges: Array<{ node: { id: string, kind: RunKind, status: RunStatus, errorCode: string | null, error: string | null, createdAt: string, startedAt: string | null, finishedAt: string | null, dataset: { id: string, name: string }, progress: Array<{ stage: string, done: number, total: number }>, counts: Array<{ name: string, value: number }> } }> } };

export type ProblemPageFragment = { problems: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, item: string, stage: string, code: string, message: string } }> } };

export type EvaluationFieldsFragment = { modelId: string, randomWeights: boolean, k: Array<number>, rankingK: number, trainCrops: number, testCrops: number, ranking: Array<{ rank: number, label: string, composite: number | null, compositeHnsw: number | null, map: number | null, criticalRecall: number | null, strictCriticalRecall: number | null, mrr: number | null }>, configurations: Array<{ label: string, exact: { damage: { precision: Array<{ k: number, value: number | null }>, recall: Array<{ k: number, value: number | null }>, map: Array<{ k: number, value: number | null }> }, type: { precision: Array<{ k: number, value: number | null }>, recall: Array<{ k: number, value: number | null }>, map: Array<{ k: number, value: number | null }> }, zone: { precision: Array<{ k: number, value: number | null }>, recall: Array<{ k: number, value: number | null }>, map: Array<{ k: number, value: number | null }> }, criticalRecall: Array<{ k: number, value: number | null }>, strictCriticalRecall: Array<{ k: number, value: number | null }>, composite: Array<{ k: number, value: number | null }> }, annRecall: Array<{ k: number, value: number | null }> | null, types: Array<{ type: string, queries: number, precision: Array<{ k: number, value: number | null }>, firstResult: Array<{ resultType: string, queries: number }> }> }>, sources: Array<{ source: string, photos: number, trainCrops: number, testCrops: number, configurations: Array<{ label: string, exact: { type: { precision: Array<{ k: number, value: number | null }> }, criticalRecall: Array<{ k: number, value: number | null }>, composite: Array<{ k: number, value: number | null }> } }> }>, discovery: { testPhotos: number, photos: number, windows: number, windowsWithDefect: number, queriesPerType: number, k: Array<number>, results: Array<{ retriever: string, onePerPhoto: boolean, rows: Array<{ type: string, queries: number, atK: Array<{ k: number, sameType: number, anyType: number }> }> }> } | null, files: { json: string, markdown: string, plot: string } };

export type CriterionFieldsFragment = { precision: Array<{ k: number, value: number | null }>, recall: Array<{ k: number, value: number | null }>, map: Array<{ k: number, value: number | null }> };

export type RunDetailQueryVariables = Exact<{
  id: string;
  after?: string | null | undefined;
}>;


export type RunDetailQuery = { run: { params: Record<string, unknown>, modelId: string | null, collection: string | null, id: string, kind: RunKind, status: RunStatus, errorCode: string | null, error: string | null, createdAt: string, startedAt: string | null, finishedAt: string | null, metrics: { modelId: string, randomWeights: boolean, k: Array<number>, rankingK: number, trainCrops: number, testCrops: number, ranking: Array<{ rank: number, label: string, composite: number | null, compositeHnsw: number | null, map: number | null, criticalRecall: number | null, strictCriticalRecall: number | null, mrr: number | null }>, configurations: Array<{ label: string, exact: { damage: { precision: Array<{ k: number, value: number | null }>, recall: Array<{ k: number, value: number | null }>, map: Array<{ k: number, value: number | null }> }, type: { precision: Array<{ k: number, value: number | null }>, recall: Array<{ k: number, value: number | null }>, map: Array<{ k: number, value: number | null }> }, zone: { precision: Array<{ k: number, value: number | null }>, recall: Array<{ k: number, value: number | null }>, map: Array<{ k: number, value: number | null }> }, criticalRecall: Array<{ k: number, value: number | null }>, strictCriticalRecall: Array<{ k: number, value: number | null }>, composite: Array<{ k: number, value: number | null }> }, annRecall: Array<{ k: number, value: number | null }> | null, types: Array<{ type: string, queries: number, precision: Array<{ k: number, value: number | null }>, firstResult: Array<{ resultType: string, queries: number }> }> }>, sources: Array<{ source: string, photos: number, trainCrops: number, testCrops: number, configurations: Array<{ label: string, exact: { type: { precision: Array<{ k: number, value: number | null }> }, criticalRecall: Array<{ k: number, value: number | null }>, composite: Array<{ k: number, value: number | null }> } }> }>, discovery: { testPhotos: number, photos: number, windows: number, windowsWithDefect: number, queriesPerType: number, k: Array<number>, results: Array<{ retriever: string, onePerPhoto: boolean, rows: Array<{ type: string, queries: number, atK: Array<{ k: number, sameType: number, anyType: number }> }> }> } | null, files: { json: string, markdown: string, plot: string } } | null, timings: Array<{ stage: string, ms: number }>, dataset: { id: string, name: string }, progress: Array<{ stage: string, done: number, total: number }>, counts: Array<{ name: string, value: number }>, problems: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, item: string, stage: string, code: string, message: string } }> } } | null };

export type RunProblemsQueryVariables = Exact<{
  id: string;
  after?: string | null | undefined;
}>;


export type RunProblemsQuery = { run: { problems: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, item: string, stage: string, code: string, message: string } }> } } | null };
