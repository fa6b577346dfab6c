export {
  BatchQueue,
  batchId,
  type Batch,
  type TakenBatch,
  type BatchResult,
  type BatchCounts,
  type BatchQueueOptions,
} from './batch-queue';
