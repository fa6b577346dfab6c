import path from 'node:path';
import { openDatabase, type Database } from '@defect-rag/db';
import { loadModel, type Embedder } from '@defect-rag/embedding';
import { BatchQueue } from '@defect-rag/job-queue';
import { DefectRagError, vectorKindsFor, type Config, type Logger } from '@defect-rag/runtime';
import { startServices, type Services } from '@defect-rag/servers';
import { VectorStore } from '@defect-rag/vector-store';
import { isOwnerGone } from './owner';

/**
 * What the CLI commands and the API work against: the two servers (embedded or configured), the
 * migrated database, the vector store and the loaded models. One per process; `close()` stops the
 * embedded servers this process started and leaves reused or external ones running.
 */
export interface Backend {
  config: Config;
  logger: Logger;
  services: Services;
  db: Database;
  vectorStore: VectorStore;
  /** The model in `modelDir` (the configured default by default), loaded once and shared. */
  embedder(modelDir?: string): Promise<Embedder>;
  /** Every served model (`config.modelDirs`), in order: the first is the default. */
  models(): Promise<Embedder[]>;
  /** A served model by its id, the default one without; BAD_INPUT naming the served ids otherwise. */
  servedModel(modelId?: string): Promise<Embedder>;
  /**
   * The collection holding this model's vectors, created (with its indexes) on first use; `whiten`
   * makes it whitened to that many dimensions (COLLECTION_MISMATCH for an existing one made otherwise).
   */
  collection(model: CollectionModel, options?: { whiten?: number }): Promise<string>;
  /** Where the crop images of a dataset are written and served from. */
  cropsDir(datasetId: string): string;
  /** The queue of distributed ingestions' batches (pg-boss in the same database), started on first use. */
  batchQueue(): Promise<BatchQueue>;
  close(): Promise<void>;
}

/** What decides a model's collection: a loaded model, or a phase-3 folder's description of one. */
export type CollectionModel = Pick<Embedder, 'modelId' | 'dimension' | 'towers'> &
  Partial<Pick<Embedder, 'dimensions'>>;

export async function openBackend(config: Config, logger: Logger): Promise<Backend> {
  const services = await startServices(config, logger);
  try {
    const db = await openDatabase(services.databaseUrl);
    // Runs whose process died (SIGKILL, a crash, a lost machine) would otherwise stay RUNNING.
    for (const run of await db.runs.interruptOrphans((owner, lastSeen) => isOwnerGone(owner, lastSeen)))
      logger.warn(
        `run ${run.id} was interrupted (${run.owner ?? 'no owner'}); the next run with its options resumes it`,
      );
    const vectorStore = new VectorStore({
      url: services.qdrantUrl,
      apiKey: services.qdrantApiKey,
      hnswEf: config.qdrantHnswEf,
    });
    const embedders = new Map<string, Promise<Embedder>>();
    const collections = new Map<string, Promise<string>>();
    const embedder = (modelDir = config.modelDir) => {
      const dir = path.resolve(modelDir);
      let loading = embedders.get(dir);
      if (!loading) {
        loading = loadModel(dir);
        // A folder that failed to load may be fixed and asked for again.
        loading.catch(() => embedders.delete(dir));
        embedders.set(dir, loading);
      }
      return loading;
    };
    const models = () => Promise.all(config.modelDirs.map((dir) => embedder(dir)));
    let queue: Promise<BatchQueue> | undefined;
    const batchQueue = () => {
      if (!queue) {
        queue = BatchQueue.open(services.databaseUrl, { heartbeatSeconds: config.workerHeartbeatSeconds });
        queue.catch(() => (queue = undefined));
      }
      return queue;
    };
    return {
      config,
      logger,
      services,
      db,
      vectorStore,
      embedder,
      models,
      servedModel: async (modelId) => {
        if (modelId === undefined) return embedder();
        const served = await models();
        const found = served.find((model) => model.modelId === modelId);
        if (!found) {
          throw new DefectRagError(
            'BAD_INPUT',
            `model "${modelId}" is not served here; the served models are ${served.map((model) => `"${model.modelId}"`).join(', ')}`,
            { modelId },
          );
        }
        return found;
      },
      collection: (embedder, { whiten } = {}) => {
        const key = `${embedder.modelId}\0${embedder.dimension}\0${whiten ?? ''}`;
        let ensuring = collections.get(key);
        if (!ensuring) {
          ensuring = vectorStore.ensureCollection({
            modelId: embedder.modelId,
            dimension: embedder.dimension,
            vectors: vectorKindsFor(embedder.towers),
            dimensions: embedder.dimensions,
            whiten,
            hnsw: { m: config.qdrantIndex.hnswM, efConstruct: config.qdrantIndex.hnswEfConstruct },
            ...(config.qdrantIndex.quantization === 'int8' && { quantization: 'int8' as const }),
            onDisk: config.qdrantIndex.onDisk,
            ...(config.qdrantShards > 1 || config.qdrantReplicationFactor > 1
              ? { sharding: { shards: config.qdrantShards, replicationFactor: config.qdrantReplicationFactor } }
              : {}),
          });
          // Checked once per process: searches must not pay two extra Qdrant requests each. A
          // failure (Qdrant down) is not remembered, so the next call tries again.
          ensuring.catch(() => collections.delete(key));
          collections.set(key, ensuring);
        }
        return ensuring;
      },
      cropsDir: (datasetId) => path.join(config.dataDir, 'crops', datasetId),
      batchQueue,
      close: async () => {
        await queue?.then(
          (opened) => opened.close(),
          () => {},
        );
        await Promise.all(
          [...embedders.values()].map((loading) =>
            loading.then(
              (embedder) => embedder.close(),
              () => {},
            ),
          ),
        );
        await db.close();
        await services.stop();
      },
    };
  } catch (error) {
    await services.stop();
    throw error;
  }
}
