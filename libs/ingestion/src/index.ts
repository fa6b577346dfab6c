export {
  analyzeStage,
  splitStage,
  taxonomyClassifier,
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
export {
  ingestDataset,
  ingestInRun,
  ingestionRunSpec,
  planIngestion,
  type IngestOptions,
  type IngestHooks,
  type IngestionSummary,
} from './ingest';
export { DEFAULT_BATCH_PHOTOS, type Distribution, type LocalWorkers, type WorkerServers } from './distributed';
export { runWorker, type WorkerOptions, type WorkerBatchEvent } from './worker';
export { demoDatasetStage, type DemoDatasetStageOptions, type DemoDatasetSummary } from './demo-dataset';
export { deleteDataset, planDatasetDeletion, type DatasetDeletion } from './delete-dataset';
export { indexEmbeddings, type IndexEmbeddingsOptions, type IndexEmbeddingsSummary } from './index-embeddings';
export {
  addDefectLabel,
  markNoDamage,
  removeLabel,
  relabelDataset,
  exportLabels,
  LOCAL_AUTHOR,
  MAX_LABEL_POINTS,
  type DefectLabelInput,
  type NoDamageInput,
  type RelabelSummary,
} from './labels';
