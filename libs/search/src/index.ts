export {
  searchSimilar,
  browseCrops,
  type CropPage,
  MAX_FEEDBACK_CROPS,
  modesOf,
  describeModels,
  type ModelInfo,
  getCrop,
  getCrops,
  getPhoto,
  indexStats,
  MAX_SEARCH_LIMIT,
  type SimilarityQuery,
  type SimilarityResult,
  type SimilarCrop,
  type CropView,
  type PhotoDetails,
  type IndexStats,
} from './search';
export {
  ragContext,
  MAX_NORMAL_REFERENCES,
  type RagContext,
  type RagContextFormat,
  type RagContextItem,
  type RagContextOptions,
  type RagItemRole,
} from './rag-context';
export { MAX_REGION_WINDOWS, type QueryRegion } from './query-region';
export type { CropFilter } from '@defect-rag/vector-store';
export { activeTaxonomy } from './taxonomy';
export { labelPrototype, type LabelPrototype, type PrototypeScope } from './label-prototypes';
export type { Taxonomy, DamageType, NamedId, Zone, PartMapping } from '@defect-rag/taxonomy';
export { childZones } from '@defect-rag/taxonomy';
