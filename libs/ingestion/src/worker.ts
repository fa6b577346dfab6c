import { setTimeout as sleep } from 'node:timers/promises';
import { planDatasetCrops, type CropRecord, type PhotoRecord } from '@defect-rag/crops';
import type { DatasetImage } from '@defect-rag/dataset';
import { readLabelledDataset } from './labelled-dataset';
import type { RunRecord } from '@defect-rag/db';
import type { BatchQueue, TakenBatch } from '@defect-rag/job-queue';
import { DefectRagError, isDefectRagError, toDefectRagError } from '@defect-rag/runtime';
import { TaxonomyNormalizer } from '@defect-rag/taxonomy';
import type { Backend } from '@defect-rag/runs';
import { criticalTypesOf } from './crop-payload';
import { planIngestion, type IngestOptions, type IngestionPlan } from './ingest';
import { hashImages, ingestPhotoBatch, photoWork } from './photo-work';

/** How long an idle worker waits before asking the queue again. */
const IDLE_MS = 1_000;

export interface WorkerOptions {
  /** This worker's model folder; by default the run's, else the configured one. */
  modelDir?: string;
  /** Aborting it stops the worker after the batch in hand. */
  signal?: AbortSignal;
  /** Told when this worker starts on a batch and when it has completed it. */
  onBatch?: (event: WorkerBatchEvent) => void;
}

export interface WorkerBatchEvent {
  state: 'taken' | 'completed';
  runId: string;
  index: number;
  photos: number;
  /** 0 on a batch's first delivery. */
  attempt: number;
  /** Crops embedded, once completed. */
  embedded?: number;
}

/** A run as a worker sees it: its plan rebuilt from the run's parameters, with this worker's model. */
interface RunContext {
  plan: IngestionPlan;
  collection: string;
  normalizer: TaxonomyNormalizer;
  images: Map<string, DatasetImage>;
  crops: Map<string, CropRecord>;
  photos: Map<string, PhotoRecord>;
}

/**
 * A worker of distributed ingestions (`defect-rag worker`): takes batches of any run from the
 * queue, one at a time, and does their photos' work (`ingestPhotoBatch`) into the run's
 * collection, recording the batch's problems on the run. A batch of a run that is no longer
 * running (cancelled, finished) is dropped unworked. The worker refuses (and stops with
 * WORKER_MODEL_MISMATCH or WORKER_CONFIG_MISMATCH, the batch going back to the queue) a run whose
 * vectors its model or its files would make differently. A batch that fails is given back for
 * another delivery and the worker goes on. Returns how many batches it completed once `signal`
 * aborts.
 */
export async function runWorker(backend: Backend, options: WorkerOptions = {}): Promise<{ batches: number }> {
  const queue = await backend.batchQueue();
  const contexts = new Map<string, Promise<RunContext>>();
  let completed = 0;
  while (!options.signal?.aborted) {
    const batch = await queue.take();
    if (!batch) {
      await sleep(IDLE_MS, undefined, { signal: options.signal }).catch(() => {});
      continue;
    }
    // A deleted run (its dataset deleted) is as gone as a cancelled one.
    const run = await backend.db.runs.get(batch.runId).catch((error: unknown) => {
      if (isDefectRagError(error) && error.code === 'RUN_NOT_FOUND') return null;
      throw error;
    });
    if (run?.status !== 'RUNNING') {
      contexts.delete(batch.runId);
      await queue.drop(batch);
      continue;
    }
    let context: RunContext;
    try {
      context = await contextOf(contexts, backend, run, options.modelDir);
      checkIdentity(context.plan, run, batch);
    } catch (error) {
      // Nothing of this batch is this worker's to do: another worker takes it.
      await queue.release(batch);
      throw error;
    }
    const event = { runId: run.id, index: batch.index, photos: batch.photos.length, attempt: batch.attempt };
    options.onBatch?.({ ...event, state: 'taken' });
    try {
      const embedded = await workOn(backend, queue, context, run, batch);
      completed++;
      options.onBatch?.({ ...event, state: 'completed', embedded });
    } catch (error) {
      const failure = toDefectRagError(error);
      backend.logger.warn(
        { runId: run.id, batch: batch.index, code: failure.code },
        `batch ${batch.index} of run ${run.id} failed, given back: ${failure.message}`,
      );
      await queue.fail(batch, failure);
    }
  }
  return { batches: completed };
}

async function workOn(
  backend: Backend,
  queue: BatchQueue,
  context: RunContext,
  run: RunRecord,
  batch: TakenBatch,
): Promise<number> {
  const { plan } = context;
  const images = batch.photos.map((photo) => known(context.images, photo, 'photo', run));
  const crops = batch.crops.map((cropId) => known(context.crops, cropId, 'crop', run));
  const points = new Set(batch.photoPoints);
  const work = photoWork({
    backend,
    embedder: plan.embedder,
    collection: context.collection,
    datasetId: run.datasetId,
    root: plan.root,
    config: plan.config,
    taxonomy: plan.taxonomy,
    normalizer: context.normalizer,
    enrich: plan.enrich,
    fusion: plan.fusion,
    criticalTypes: criticalTypesOf(plan.taxonomy),
    identity: plan.identity,
    imageHashes: await hashImages(plan.root, images),
    // Timings are the coordinator's to record: several workers would overwrite each other's.
    timed: (_stage, work) => work(),
  });
  const result = await ingestPhotoBatch(
    work,
    images.map((image) => ({
      image,
      crops: crops.filter((crop) => crop.image === image.path),
      photo: points.has(image.path) ? known(context.photos, image.path, 'photo point', run) : undefined,
    })),
  );
  await backend.db.runs.replacePhotoProblems(run.id, batch.photos, result.problems);
  await queue.complete(batch, { embedded: result.embedded, photos: result.photos });
  return result.embedded;
}

/** The run's plan rebuilt here once per run: its dataset read and its crops planned as the coordinator did. */
function contextOf(
  contexts: Map<string, Promise<RunContext>>,
  backend: Backend,
  run: RunRecord,
  modelDir: string | undefined,
): Promise<RunContext> {
  let context = contexts.get(run.id);
  if (!context) {
    context = (async () => {
      const params = run.params as unknown as IngestOptions;
      const plan = await planIngestion(backend, { ...params, modelDir: modelDir ?? params.modelDir });
      const dataset = await readLabelledDataset(backend, run.datasetId, plan.root, {
        name: plan.name,
        unlabelled: plan.unlabelled,
      });
      const normalizer = new TaxonomyNormalizer(plan.taxonomy);
      const crops = planDatasetCrops(dataset, { normalizer, config: plan.config, split: plan.split });
      return {
        plan,
        collection: run.collection ?? (await backend.collection(plan.embedder)),
        normalizer,
        images: new Map(dataset.images.map((image) => [image.path, image])),
        crops: new Map(crops.crops.map((crop) => [crop.crop_id, crop])),
        photos: new Map(crops.photos.map((photo) => [photo.image, photo])),
      };
    })();
    // A run this worker could not plan may be planned after a fix: not remembered.
    context.catch(() => contexts.delete(run.id));
    contexts.set(run.id, context);
  }
  return context;
}

/** Refuses a batch whose vectors this worker would make differently from the run's. */
function checkIdentity(plan: IngestionPlan, run: RunRecord, batch: TakenBatch): void {
  const model = String(plan.identity.model);
  if (model !== batch.model) {
    throw new DefectRagError(
      'WORKER_MODEL_MISMATCH',
      `run ${run.id} embeds with ${batch.model} but this worker's model is ${model}: start the worker with the run's model folder (--model)`,
      { runId: run.id, runModel: batch.model, workerModel: model },
    );
  }
  if (plan.configHash !== run.configHash) {
    throw new DefectRagError(
      'WORKER_CONFIG_MISMATCH',
      `run ${run.id} was planned from other files than this worker sees (dataset ${plan.root}, taxonomy or split): every worker needs the same dataset, taxonomy and split files at the same paths`,
      { runId: run.id, runConfigHash: run.configHash, workerConfigHash: plan.configHash },
    );
  }
}

function known<T>(items: ReadonlyMap<string, T>, key: string, what: string, run: RunRecord): T {
  const item = items.get(key);
  if (item === undefined) {
    throw new DefectRagError(
      'DATASET_INVALID',
      `run ${run.id}: the ${what} "${key}" of a batch is not in the dataset as this worker reads it (changed since the run was planned?)`,
      { runId: run.id, [what]: key },
    );
  }
  return item;
}
