import { setTimeout as sleep } from 'node:timers/promises';
import type { BatchWork } from '@defect-rag/job-queue';
import { DefectRagError, ERROR_CODES, type ErrorCode } from '@defect-rag/runtime';
import type { Backend } from '@defect-rag/runs';
import { planPhotoPoints, removeObsoletePhotoPoints, type PhotoIngestionContext } from './photos';

/** Photos per batch unless the coordinator says otherwise. */
export const DEFAULT_BATCH_PHOTOS = 8;
/** How often the coordinator looks at its batches. */
const POLL_MS = 500;

/** The servers the workers of a run must use: the coordinator's own. */
export interface WorkerServers {
  databaseUrl: string;
  qdrantUrl: string;
  qdrantApiKey: string | undefined;
}

/** Worker processes the coordinator starts itself (`ingest --workers N`); workers elsewhere may join. */
export interface LocalWorkers {
  /** Starts them once the run's batches are queued. */
  start(servers: WorkerServers): void;
  /** Rejects, saying why, once every one of them has exited. */
  exited(): Promise<never>;
  /** Stops those still running and waits for them. */
  stop(): Promise<void>;
}

/** How a run is spread over workers. */
export interface Distribution {
  /** Photos per batch: a batch is what a worker takes at a time, and what is done again if it dies. */
  batchPhotos?: number;
  workers?: LocalWorkers;
}

/** What the coordinator knows of its run once planned. */
export interface DistributedRun {
  backend: Backend;
  runId: string;
  /** `modelId@contentHash` of the run: workers with another model refuse its batches. */
  model: string;
  photos: PhotoIngestionContext;
  /** Every photo of the dataset, in order, with the crops of it still to make. */
  images: readonly { path: string; crops: readonly string[] }[];
  checkCancelled: () => Promise<void>;
  progress: (done: number, total: number) => Promise<void>;
}

/**
 * The coordinator's part of a distributed run, after planning: queues the photos with work left as
 * batches (a resumed run's old batches are deleted first, their work being planned again), starts
 * its local workers, waits until every batch is done, then brings the photo points' deletions and
 * figures up to date. Returns the crops and photo points the workers made, summed over completed
 * batches (each counted once, however often it was delivered).
 */
export async function runBatches(run: DistributedRun, distribution: Distribution) {
  const { backend, runId } = run;
  const queue = await backend.batchQueue();
  const photoPlan = await planPhotoPoints(run.photos);
  const photoTodo = new Set(photoPlan.todo.map((photo) => photo.image));
  const withWork = run.images.filter((image) => image.crops.length > 0 || photoTodo.has(image.path));
  const size = distribution.batchPhotos ?? DEFAULT_BATCH_PHOTOS;
  const batches: BatchWork[] = [];
  for (let start = 0; start < withWork.length; start += size) {
    const images = withWork.slice(start, start + size);
    batches.push({
      photos: images.map((image) => image.path),
      crops: images.flatMap((image) => image.crops),
      photoPoints: images.filter((image) => photoTodo.has(image.path)).map((image) => image.path),
    });
  }
  await queue.clearRun(runId);
  await queue.enqueue(runId, batches, run.model);

  const { workers } = distribution;
  const { services } = backend;
  workers?.start({
    databaseUrl: services.databaseUrl,
    qdrantUrl: services.qdrantUrl,
    qdrantApiKey: services.qdrantApiKey,
  });
  try {
    const exited = workers?.exited();
    // Observed here so that an exit after the batches are done is no unhandled rejection.
    exited?.catch(() => {});
    for (;;) {
      try {
        await run.checkCancelled();
      } catch (error) {
        await queue.cancelRun(runId);
        throw error;
      }
      const counts = await queue.counts(runId);
      await run.progress(counts.completed, counts.total);
      if (counts.failed > 0) {
        const failure = (await queue.failure(runId))!;
        await queue.cancelRun(runId);
        throw new DefectRagError(
          asErrorCode(failure.code),
          `batch ${failure.index} of run ${runId} failed on every delivery; the last error: ${failure.message}`,
          { runId, batch: failure.index },
        );
      }
      if (counts.completed === counts.total) break;
      if (counts.queued === 0 && counts.active === 0) {
        throw new DefectRagError('INTERNAL', `run ${runId}: batches were cancelled outside the run`, { runId });
      }
      await Promise.race([sleep(POLL_MS), ...(exited ? [exited] : [])]);
    }
  } finally {
    await workers?.stop();
  }

  const results = await queue.results(runId);
  const sum = (key: string) => results.reduce((total, result) => total + (result[key] ?? 0), 0);
  const photos = await removeObsoletePhotoPoints(run.photos, photoPlan, sum('photos'));
  return { embedded: sum('embedded'), photos };
}

function asErrorCode(code: string): ErrorCode {
  return (ERROR_CODES as readonly string[]).includes(code) ? (code as ErrorCode) : 'INTERNAL';
}
