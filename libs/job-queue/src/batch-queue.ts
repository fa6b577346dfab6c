import { createHash } from 'node:crypto';
import { PgBoss, type JobWithMetadata } from 'pg-boss';
import { DefectRagError } from '@defect-rag/runtime';

/** pg-boss's tables live in a schema of their own beside the application's. */
const SCHEMA = 'job_queue';
/** One queue for the batches of every run: a worker takes the next batch of whichever run. */
const QUEUE = 'ingest-batches';
/**
 * How many times a batch is delivered again (after a failure, a dead worker or a release) before
 * it is failed for good, and its run with it.
 */
const RETRY_LIMIT = 5;
/** The longest a batch may stay taken, heartbeats or not; far above any batch's time. */
const EXPIRE_SECONDS = 6 * 60 * 60;

/** The work on some photos of a run, as its coordinator planned it. */
export interface BatchWork {
  /** Dataset-relative paths of the batch's photos. */
  photos: string[];
  /** The crops of those photos to cut, describe, embed and store. */
  crops: string[];
  /** The photos (of `photos`) whose photo point to embed and store. */
  photoPoints: string[];
}

/** Some photos of a run, handed to one worker at a time. */
export interface Batch extends BatchWork {
  runId: string;
  /** Its place among the run's batches, from 0. */
  index: number;
  /** What the run's vectors are made with (`modelId@contentHash`): a worker with another model must refuse it. */
  model: string;
}

/** A batch a worker holds: its heartbeat runs until it is completed, failed or released. */
export interface TakenBatch extends Batch {
  jobId: string;
  /** 0 for the first delivery; more when a batch is delivered again after a worker died or failed. */
  attempt: number;
}

/** What a worker reports on completing a batch; the run's counts are the sum over its batches. */
export type BatchResult = Record<string, number>;

export interface BatchCounts {
  /** Waiting for a worker: new, or back after a failure or a dead worker. */
  queued: number;
  active: number;
  completed: number;
  /** Delivered RETRY_LIMIT + 1 times without completing: the run cannot finish. */
  failed: number;
  cancelled: number;
  total: number;
}

export interface BatchQueueOptions {
  /**
   * A worker's heartbeat on the batch it holds (pg-boss's minimum is 10 s): a batch whose worker
   * misses it goes back to the queue for another, within about this long plus a supervision pass.
   */
  heartbeatSeconds: number;
}

/**
 * The batches of ingestion runs, on pg-boss in the run's own PostgreSQL (schema `job_queue`): no
 * other server. Delivery is at-least-once: a batch whose worker dies (no heartbeat) or fails is
 * delivered again, so the work of a batch must be idempotent.
 */
export class BatchQueue {
  private readonly heartbeats = new Map<string, NodeJS.Timeout>();

  private constructor(
    private readonly boss: PgBoss,
    private readonly options: BatchQueueOptions,
  ) {}

  /** Connects, installs or migrates pg-boss's schema when needed, and creates the queue. */
  static async open(databaseUrl: string, options: BatchQueueOptions): Promise<BatchQueue> {
    const boss = new PgBoss({
      connectionString: databaseUrl,
      schema: SCHEMA,
      max: 3,
      // Every instance supervises: dead workers' batches are redelivered while any process runs.
      superviseIntervalSeconds: Math.max(1, Math.round(options.heartbeatSeconds / 5)),
      schedule: false,
    });
    // pg-boss reports background failures as events; without a listener they would crash the process.
    boss.on('error', () => {});
    try {
      await boss.start();
      if (!(await boss.getQueue(QUEUE))) await boss.createQueue(QUEUE).catch(ignoreIfExists);
    } catch (error) {
      await boss.stop({ graceful: false }).catch(() => {});
      throw unavailable(error);
    }
    return new BatchQueue(boss, options);
  }

  /**
   * Queues a run's batches, numbered from 0. Idempotent: a batch's id is made from its run and
   * number, so queueing the same batches again adds nothing.
   */
  async enqueue(runId: string, batches: readonly BatchWork[], model: string): Promise<void> {
    if (batches.length === 0) return;
    await this.call(() =>
      this.boss.insert(
        QUEUE,
        batches.map((work, index) => ({
          id: batchId(runId, index),
          data: { ...work, runId, index, model } satisfies Batch,
          retryLimit: RETRY_LIMIT,
          expireInSeconds: EXPIRE_SECONDS,
          heartbeatSeconds: this.options.heartbeatSeconds,
        })),
      ),
    );
  }

  /** The next queued batch of any run, now held by this process (with a heartbeat), or null. */
  async take(): Promise<TakenBatch | null> {
    const [job] = await this.call(() => this.boss.fetch<Batch>(QUEUE, { batchSize: 1 }));
    if (!job) return null;
    const taken: TakenBatch = { ...job.data, jobId: job.id, attempt: job.retryCount };
    // At the batch's own heartbeat (its coordinator's setting), which may differ from this process's.
    const beat = setInterval(
      () => this.boss.touch(QUEUE, attemptOf(taken)).catch(() => {}),
      ((job.heartbeatSeconds ?? this.options.heartbeatSeconds) * 1000) / 2,
    );
    this.heartbeats.set(job.id, beat.unref());
    return taken;
  }

  /** Marks a held batch done with its result; a batch already delivered to another worker is left alone. */
  async complete(batch: TakenBatch, result: BatchResult): Promise<void> {
    this.stopHeartbeat(batch);
    await this.call(() => this.boss.complete(QUEUE, attemptOf(batch), result));
  }

  /** Gives a held batch back after an error: it is delivered again while it has deliveries left, then failed. */
  async fail(batch: TakenBatch, error: { code: string; message: string }): Promise<void> {
    this.stopHeartbeat(batch);
    await this.call(() => this.boss.fail(QUEUE, attemptOf(batch), { code: error.code, message: error.message }));
  }

  /**
   * Puts a held batch back in the queue for another worker, recording no error; its next delivery
   * counts as one, as after a dead worker.
   */
  async release(batch: TakenBatch): Promise<void> {
    this.stopHeartbeat(batch);
    await this.call(async () => {
      await this.boss.cancel(QUEUE, attemptOf(batch));
      await this.boss.resume(QUEUE, batch.jobId);
    });
  }

  /** Drops a held batch whose run no longer wants it (cancelled or finished). */
  async drop(batch: TakenBatch): Promise<void> {
    this.stopHeartbeat(batch);
    await this.call(() => this.boss.cancel(QUEUE, attemptOf(batch)));
  }

  /** How many of a run's batches are in each state. */
  async counts(runId: string): Promise<BatchCounts> {
    const counts: BatchCounts = { queued: 0, active: 0, completed: 0, failed: 0, cancelled: 0, total: 0 };
    for (const job of await this.jobsOf(runId)) {
      counts.total++;
      if (job.state === 'created' || job.state === 'retry') counts.queued++;
      else counts[job.state]++;
    }
    return counts;
  }

  /** The results of a run's completed batches, in batch order. */
  async results(runId: string): Promise<BatchResult[]> {
    return (await this.jobsOf(runId))
      .filter((job) => job.state === 'completed')
      .sort((a, b) => a.data.index - b.data.index)
      .map((job) => job.output as BatchResult);
  }

  /** Why a run's first failed batch failed for good (the error its worker reported), or null. */
  async failure(runId: string): Promise<{ index: number; code: string; message: string } | null> {
    const failed = (await this.jobsOf(runId))
      .filter((job) => job.state === 'failed')
      .sort((a, b) => a.data.index - b.data.index)[0];
    if (!failed) return null;
    const output = failed.output as { code?: unknown; message?: unknown } | null;
    return {
      index: failed.data.index,
      code: typeof output?.code === 'string' ? output.code : 'INTERNAL',
      message: typeof output?.message === 'string' ? output.message : JSON.stringify(output),
    };
  }

  /** Cancels a run's batches that are not done: queued ones are never delivered, held ones are not redelivered. */
  async cancelRun(runId: string): Promise<number> {
    const open = (await this.jobsOf(runId)).filter((job) => ['created', 'retry', 'active'].includes(job.state));
    if (open.length > 0)
      await this.call(() =>
        this.boss.cancel(
          QUEUE,
          open.map((job) => job.id),
        ),
      );
    return open.length;
  }

  /** Deletes every batch of a run, whatever its state: a resumed run queues its remaining work afresh. */
  async clearRun(runId: string): Promise<void> {
    const ids = (await this.jobsOf(runId)).map((job) => job.id);
    if (ids.length > 0) await this.call(() => this.boss.deleteJob(QUEUE, ids));
  }

  async close(): Promise<void> {
    for (const beat of this.heartbeats.values()) clearInterval(beat);
    this.heartbeats.clear();
    await this.boss.stop({ graceful: false, close: true }).catch(() => {});
  }

  private jobsOf(runId: string): Promise<JobWithMetadata<Batch>[]> {
    return this.call(() => this.boss.findJobs<Batch>(QUEUE, { data: { runId }, limit: 100_000 }));
  }

  private stopHeartbeat(batch: TakenBatch): void {
    clearInterval(this.heartbeats.get(batch.jobId));
    this.heartbeats.delete(batch.jobId);
  }

  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw unavailable(error);
    }
  }
}

/** The batch's job id: a UUID made from its run and number, so the same batch is never queued twice. */
export function batchId(runId: string, index: number): string {
  const hex = createHash('sha256').update(`${runId}:${index}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Settling by attempt: once a batch was delivered again, the old holder's calls leave it alone. */
function attemptOf(batch: TakenBatch) {
  return { id: batch.jobId, retryCount: batch.attempt };
}

function ignoreIfExists(error: unknown): void {
  if (!/exists/i.test((error as Error).message)) throw error;
}

/** A lost or refused connection as DATABASE_UNAVAILABLE; anything else unchanged. */
function unavailable(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  const lost =
    (typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01'].includes(code)) ||
    (error instanceof Error && /Connection terminated|connection is closed|Client was closed/i.test(error.message));
  if (!lost) return error;
  return new DefectRagError(
    'DATABASE_UNAVAILABLE',
    `the job queue cannot reach PostgreSQL: ${(error as Error).message}`,
    {},
    { cause: error },
  );
}
