export { pingQdrant, type QdrantInfo } from './health';
export { collectionNameFor, RAW_IMAGE_VECTOR, type CollectionSpec } from './collection';
export {
  cropPayloadSchema,
  photoPointKey,
  type CropPayload,
  type PhotoDefect,
  type PhotoPayload,
  type CropPoint,
  type CropVectors,
  type StoredCropPoint,
  type StoredCropRef,
  type Vector,
} from './crop-point';
export type { CropFilter } from './filter';
export { pointIdForCrop } from './point-id';
export {
  VectorStore,
  type FacetCount,
  type ExampleSearch,
  type FacetKey,
  type PointSelector,
  type QueryExample,
  type SearchHit,
  type SearchOptions,
  type UpsertOptions,
  type VectorSearch,
  type VectorStoreOptions,
} from './vector-store';
