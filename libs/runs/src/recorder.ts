import {
  DefectRagError,
  type DefectRagError as Failure,
  type Problem,
  type ProgressListener,
} from '@defect-rag/runtime';
import type { RunRepository } from '@defect-rag/db';
import { currentOwner, HEARTBEAT_MS } from './owner';

/** Progress is written to the run at most this often per stage; listeners get every event. */
const PROGRESS_WRITE_INTERVAL_MS = 500;

/**
 * Everything a run tells the database about itself: stage progress (throttled), counts, timings
 * and problems, its start and its end. Also the one place that notices a cancel request.
 */
export class RunRecorder {
  readonly problems: Problem[] = [];
  readonly timings: Record<string, number> = {};
  private readonly lastWrite = new Map<string, number>();
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly runs: RunRepository,
    private readonly runId: string,
    private readonly onProgress: ProgressListener,
  ) {}

  /** Marks the run RUNNING; a resumed run's problems from the interrupted attempt are found again, so they are cleared. */
  async start(): Promise<void> {
    await this.runs.clearProblems(this.runId);
    await this.runs.markRunning(this.runId, currentOwner());
    // While this process lives, the run is not an orphan (see isOwnerGone); never keeps it alive.
    this.heartbeat ??= setInterval(() => {
      this.runs.heartbeat(this.runId).catch(() => {});
    }, HEARTBEAT_MS).unref();
  }

  async progress(stage: string, done: number, total: number): Promise<void> {
    this.onProgress({ stage, done, total });
    const now = Date.now();
    if (done < total && now - (this.lastWrite.get(stage) ?? 0) < PROGRESS_WRITE_INTERVAL_MS) return;
    this.lastWrite.set(stage, now);
    await this.runs.setStageProgress(this.runId, stage, { done, total });
  }

  async addProblems(problems: readonly Problem[]): Promise<void> {
    if (problems.length === 0) return;
    this.problems.push(...problems);
    await this.runs.addProblems(this.runId, problems);
  }

  async counts(counts: Record<string, number>): Promise<void> {
    await this.runs.mergeCounts(this.runId, counts);
  }

  async timing(stage: string, ms: number): Promise<void> {
    this.timings[stage] = ms;
    await this.runs.mergeTimings(this.runId, { [stage]: Math.round(ms) });
  }

  /** Runs `work` as a stage and records its wall time. */
  async stage<T>(stage: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      await this.timing(stage, performance.now() - started);
    }
  }

  /** Like `stage`, but adds to the stage's time: for work done in many small pieces. */
  async timed<T>(stage: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      await this.timing(stage, (this.timings[stage] ?? 0) + performance.now() - started);
    }
  }

  /** Throws RUN_CANCELLED when the run was cancelled, from this process (signal) or another (its status). */
  async checkCancelled(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted || (await this.runs.get(this.runId)).status === 'CANCELLED') {
      throw new DefectRagError('RUN_CANCELLED', `run ${this.runId} was cancelled`);
    }
  }

  async finish(
    status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED',
    failure?: Failure,
    metrics?: Record<string, unknown>,
  ): Promise<void> {
    clearInterval(this.heartbeat);
    await this.runs.finish(this.runId, {
      status,
      ...(failure ? { errorCode: failure.code, error: failure.message } : {}),
      ...(metrics ? { metrics } : {}),
    });
  }
}
