export {
  BatchQueue,
  batchId,
  type Batch,
  type BatchWork,
  type TakenBatch,
  type BatchResult,
  type BatchCounts,
  type BatchQueueOptions,
} from './batch-queue';
