export { openBackend, type Backend } from './backend';
export { runDoctor, type DoctorCheck, type DoctorReport } from './doctor';
export { findStrayServers, stopStrayServer, type StrayServer } from '@defect-rag/servers';
export {
  analyzeStage,
  splitStage,
  type AnalyzeStageOptions,
  type AnalyzeStageResult,
  type SplitStageOptions,
  type SplitStageResult,
  type DatasetStageOptions,
} from './dataset-stage';
export { cropsStage, type CropsStageOptions, type CropsStageResult } from './crops-stage';
export type { DatasetReport, SplitFile } from '@defect-rag/dataset';
export type { CropConfig, Phase1Summary } from '@defect-rag/crops';
export { contextsStage, type ContextsStageOptions, type ContextsStageResult } from './contexts-stage';
export type { ContextsSummary } from '@defect-rag/contexts';
export {
  embedStage,
  readEmbeddings,
  type EmbedStageOptions,
  type EmbedStageResult,
  type EmbeddingsIndex,
} from './embed-stage';
export type { ExecutionProvider, FusionOptions, FusionStrategy, Precision, PhotoView } from '@defect-rag/embedding';
export { PHOTO_VIEWS } from '@defect-rag/embedding';
export { ingestDataset, type IngestOptions, type IngestHooks, type IngestionSummary } from './ingest/ingest';
export { DEFAULT_BATCH_PHOTOS, type Distribution, type LocalWorkers, type WorkerServers } from './ingest/distributed';
export { runWorker, type WorkerOptions, type WorkerBatchEvent } from './ingest/worker';
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
export type {
  DatasetRecord,
  RunRecord,
  RunProblemRecord,
  RunFilter,
  RunKind,
  RunStatus,
  Page,
  PageRequest,
} from '@defect-rag/db';
export { demoDatasetStage, type DemoDatasetStageOptions, type DemoDatasetSummary } from './demo-dataset';
export { listRuns, getRun, runProblems, listDatasets, getDataset, getDatasetByName, pingDatabase } from './catalog';
export { deleteDataset, planDatasetDeletion, type DatasetDeletion } from './delete-dataset';
export { indexEmbeddings, type IndexEmbeddingsOptions, type IndexEmbeddingsSummary } from './index-embeddings';
export { RunManager, registerDataset, type IngestionRunOptions, type EvaluationRunOptions } from './runs/manager';
export { currentOwner, isOwnerGone, HEARTBEAT_STALE_MS } from './runs/owner';
export { activeTaxonomy } from './taxonomy';
export type { Taxonomy, DamageType, NamedId, Zone, PartMapping } from '@defect-rag/taxonomy';
export { childZones } from '@defect-rag/taxonomy';
export { pingQdrant, type QdrantInfo } from '@defect-rag/vector-store';
export {
  evaluateDataset,
  RANDOM_MODEL_WARNING,
  type EvaluateOptions,
  type EvaluateHooks,
  type EvaluationSummary,
  type EvaluationReport,
  type EvaluationMetrics,
  type EvaluationFiles,
  type RankingRow,
  type ConfigurationResult,
  type SearchMetrics,
  type MetricSet,
} from './evaluate';
// The evaluation's own measures, for tools/similarity (vectors computed outside an index).
export { agreementAtOne, planControlWindows, CONTROL_SEED, type AgreementItem } from './evaluate/control';
export { scoreQuery, RelevantCounts } from './evaluate/scoring';
export { memoryRetriever, type EvaluationCrop } from './evaluate/retrieval';
export { hubness } from './evaluate/metrics';
