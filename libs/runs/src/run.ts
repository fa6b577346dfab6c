import type { DatasetRecord, RunKind, RunRecord } from '@defect-rag/db';
import { DefectRagError, noProgress, toDefectRagError, type ProgressListener } from '@defect-rag/runtime';
import type { Backend } from './backend';
import { checkDatasetRoot, checkRepoint } from './dataset-roots';
import { RunRecorder } from './recorder';

/** What a caller of a run may hook into. */
export interface RunHooks {
  onProgress?: ProgressListener;
  /** Called once the run record exists, RUNNING, before any work: the API returns it to the caller here. */
  onRunStarted?: (run: RunRecord) => void;
  /** Aborting it cancels the run at its next check (RUN_CANCELLED; the run ends CANCELLED). */
  signal?: AbortSignal;
}

/** The dataset a run works on: registered under `name` (or pointed at `root` with `repoint`). */
export interface DatasetRegistration {
  name: string;
  root: string;
  repoint?: boolean;
  /** The options recorded on the dataset. */
  config: Record<string, unknown>;
}

/** The run record to create, or to resume. */
export interface RunSpec {
  kind: RunKind;
  params: Record<string, unknown>;
  /**
   * Makes the run resumable: an unfinished run of the dataset with the same kind and hash is picked
   * up instead of creating one, and the kind's other unfinished runs are abandoned (RUN_ABANDONED).
   */
  configHash?: string;
  modelId?: string;
  collection?: string;
}

/**
 * A run of this process, RUNNING: its record, where it reports (`recorder`), whether it resumed an
 * interrupted one, and its cancellation.
 */
export class ActiveRun {
  private metrics: Record<string, unknown> | undefined;

  constructor(
    readonly record: RunRecord,
    readonly dataset: DatasetRecord,
    readonly resumed: boolean,
    readonly recorder: RunRecorder,
    readonly signal: AbortSignal | undefined,
  ) {}

  get id(): string {
    return this.record.id;
  }

  /** Throws RUN_CANCELLED when the run was cancelled, from this process (signal) or another (its status). */
  checkCancelled(): Promise<void> {
    return this.recorder.checkCancelled(this.signal);
  }

  /** Metrics stored on the run when it succeeds. */
  setMetrics(metrics: Record<string, unknown>): void {
    this.metrics = metrics;
  }

  /**
   * Runs `work` as this run's work and records how it ended: SUCCEEDED, CANCELLED (RUN_CANCELLED)
   * or FAILED with the error, which is thrown on as a DefectRagError.
   */
  async complete<T>(work: (run: ActiveRun) => Promise<T>): Promise<T> {
    try {
      const result = await work(this);
      await this.recorder.finish('SUCCEEDED', undefined, this.metrics);
      return result;
    } catch (error) {
      throw await this.fail(error);
    }
  }

  /** Records the run's end after `error`; returns the error as a DefectRagError. */
  async fail(error: unknown): Promise<DefectRagError> {
    const failure = toDefectRagError(error);
    await this.recorder.finish(failure.code === 'RUN_CANCELLED' ? 'CANCELLED' : 'FAILED', failure).catch(() => {});
    return failure;
  }
}

/**
 * Registers the dataset, takes its lock (RUN_CONFLICT while another run holds it, in any process)
 * and runs `work` under it; the lock is released however `work` ends.
 */
export async function withDatasetLock<T>(
  backend: Backend,
  registration: DatasetRegistration,
  work: (dataset: DatasetRecord) => Promise<T>,
): Promise<T> {
  const { name, root } = registration;
  await checkDatasetRoot(root, backend.config.datasetRoots);
  checkRepoint(await backend.db.datasets.findByName(name), root, registration.repoint);
  const dataset = await backend.db.datasets.register({ name, root, config: registration.config });
  return withLockOf(backend, dataset, () => work(dataset));
}

/**
 * Runs `work` holding the lock of a registered dataset; RUN_CONFLICT while a run (of any process)
 * holds it. The lock is released however `work` ends.
 */
export async function withLockOf<T>(backend: Backend, dataset: DatasetRecord, work: () => Promise<T>): Promise<T> {
  const lock = await backend.db.tryLockDataset(dataset.id);
  if (!lock) {
    throw new DefectRagError(
      'RUN_CONFLICT',
      `another run is in progress for dataset "${dataset.name}"; wait for it or cancel it`,
      { datasetId: dataset.id },
    );
  }
  try {
    return await work();
  } finally {
    await lock.release();
  }
}

/**
 * Creates the run of a locked dataset (or resumes it, see `RunSpec.configHash`) and marks it
 * RUNNING with this process as its owner and a heartbeat; a resumed run's old problems are cleared.
 * The caller ends it with `complete` or `fail`.
 */
export async function openRun(
  backend: Backend,
  dataset: DatasetRecord,
  spec: RunSpec,
  hooks: Pick<RunHooks, 'onProgress' | 'signal'> = {},
): Promise<ActiveRun> {
  const { runs } = backend.db;
  const previous = spec.configHash ? await runs.findResumable(dataset.id, spec.kind, spec.configHash) : null;
  const run =
    previous ??
    (await runs.create({
      datasetId: dataset.id,
      kind: spec.kind,
      configHash: spec.configHash,
      modelId: spec.modelId,
      collection: spec.collection,
      params: spec.params,
    }));
  if (spec.configHash) await runs.abandonOthers(dataset.id, spec.kind, run.id);
  const recorder = new RunRecorder(runs, run.id, hooks.onProgress ?? noProgress);
  await recorder.start();
  return new ActiveRun(await runs.get(run.id), dataset, previous !== null, recorder, hooks.signal);
}

/**
 * One run, start to end: registers the dataset and takes its lock, creates or resumes the run,
 * tells `onRunStarted`, runs `work` in it and records its end (SUCCEEDED, FAILED with the error,
 * or CANCELLED). `spec` may depend on the registered dataset and is asked for under the lock.
 */
export async function withRun<T>(
  backend: Backend,
  registration: DatasetRegistration,
  spec: RunSpec | ((dataset: DatasetRecord) => Promise<RunSpec>),
  hooks: RunHooks,
  work: (run: ActiveRun) => Promise<T>,
): Promise<T> {
  return withDatasetLock(backend, registration, async (dataset) => {
    const run = await openRun(backend, dataset, typeof spec === 'function' ? await spec(dataset) : spec, hooks);
    hooks.onRunStarted?.(run.record);
    return run.complete(work);
  });
}
