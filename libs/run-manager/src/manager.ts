import path from 'node:path';
import type { DatasetRecord, RunKind, RunRecord } from '@defect-rag/db';
import { DefectRagError, toDefectRagError } from '@defect-rag/runtime';
import { evaluateDataset, type EvaluateOptions } from '@defect-rag/evaluation';
import { ingestDataset, relabelDataset, type IngestOptions } from '@defect-rag/ingestion';
import {
  checkDatasetLocation,
  checkDatasetRoot,
  checkRepoint,
  getDataset,
  type Backend,
  type RunHooks,
} from '@defect-rag/runs';

/** What a caller may choose for an ingestion run; the folder and name come from the registered dataset. */
export type IngestionRunOptions = Omit<IngestOptions, 'datasetDir' | 'name' | 'repoint'>;
/** What a caller may choose for an evaluation run; the folder and name come from the registered dataset. */
export type EvaluationRunOptions = Omit<EvaluateOptions, 'datasetDir' | 'name'>;

interface ActiveRun {
  kind: RunKind;
  /** Known once the run record exists. */
  runId?: string;
  controller: AbortController;
  /** Settles when the job has ended and recorded its outcome; never rejects. */
  done: Promise<void>;
}

/**
 * Runs ingestion and evaluation jobs in the background of a long-lived process (the API server):
 * a start returns the run record as soon as it exists and the work goes on after it. One job at a
 * time per dataset in this process (RUN_CONFLICT otherwise); the dataset's database lock, taken by
 * the job itself, keeps other processes out too. Progress, counts and the outcome are on the run.
 */
export class RunManager {
  private readonly active = new Map<string, ActiveRun>();
  /** Datasets whose labels changed while a job of theirs ran: a RELABEL run follows that job. */
  private readonly relabelAfter = new Set<string>();
  private closing = false;

  /** `roots`: the folders its datasets must lie in (default: the configured DEFECT_RAG_DATASET_ROOTS, unset allows any). */
  constructor(
    private readonly backend: Backend,
    private readonly roots: readonly string[] | undefined = backend.config.datasetRoots,
  ) {}

  /**
   * Starts ingesting a registered dataset and returns its run, RUNNING. Fails without a run when the
   * job cannot start (unknown dataset, a run already in progress, a model that does not load…).
   */
  async startIngestion(datasetId: string, options: IngestionRunOptions = {}): Promise<RunRecord> {
    const dataset = await this.dataset(datasetId);
    return this.start(dataset, 'INGEST', (hooks) =>
      ingestDataset(this.backend, { ...options, datasetDir: dataset.root, name: dataset.name }, hooks),
    );
  }

  /**
   * Starts evaluating a registered dataset (an ingestion that brings its index up to date, then the
   * retrieval protocol) and returns the EVALUATE run, RUNNING; the report ends up in its metrics.
   */
  async startEvaluation(datasetId: string, options: EvaluationRunOptions = {}): Promise<RunRecord> {
    const dataset = await this.dataset(datasetId);
    return this.start(dataset, 'EVALUATE', (hooks) =>
      evaluateDataset(this.backend, { ...options, datasetDir: dataset.root, name: dataset.name }, hooks),
    );
  }

  /**
   * Starts a RELABEL run (`relabelDataset`) after a label of the dataset changed and returns it,
   * RUNNING. While a job of this process works on the dataset, returns null and starts the RELABEL
   * run when that job ends, once however many labels changed meanwhile.
   */
  async startRelabel(datasetId: string, params: Record<string, unknown>): Promise<RunRecord | null> {
    const dataset = await this.dataset(datasetId);
    if (this.active.has(dataset.id)) {
      this.relabelAfter.add(dataset.id);
      return null;
    }
    return this.start(dataset, 'RELABEL', (hooks) => relabelDataset(this.backend, dataset.id, params, hooks));
  }

  /**
   * Asks a run to stop and returns it, CANCELLED. A job of this process stops at once; one in
   * another process sees the status at its next batch. RUN_CONFLICT when it has already finished.
   */
  async cancel(runId: string): Promise<RunRecord> {
    const run = await this.backend.db.runs.requestCancel(runId);
    for (const job of this.active.values()) {
      if (job.runId === runId) job.controller.abort();
    }
    return run;
  }

  /** Ids of the runs executing in this process. */
  activeRunIds(): string[] {
    return [...this.active.values()].flatMap((job) => (job.runId ? [job.runId] : []));
  }

  /**
   * Cancels every job of this process and waits until each has recorded its end, so that no run is
   * left RUNNING behind a stopped server. Starting the same ingestion again skips the crops it
   * already indexed.
   */
  async shutdown(): Promise<void> {
    this.closing = true;
    const jobs = [...this.active.values()];
    for (const job of jobs) job.controller.abort();
    await Promise.all(jobs.map((job) => job.done));
  }

  /**
   * The registered dataset, checked again against the allowed folders (DATASET_FORBIDDEN): its
   * folder or its images/ may have become a link out of them since it was registered.
   */
  private async dataset(datasetId: string): Promise<DatasetRecord> {
    const dataset = await getDataset(this.backend, datasetId);
    await checkDatasetRoot(dataset.root, this.roots);
    return dataset;
  }

  private start(
    dataset: DatasetRecord,
    kind: RunKind,
    work: (hooks: RunHooks) => Promise<unknown>,
  ): Promise<RunRecord> {
    const running = this.active.get(dataset.id);
    if (running) {
      const which = `${running.kind.toLowerCase()} run${running.runId ? ` ${running.runId}` : ''}`;
      throw new DefectRagError(
        'RUN_CONFLICT',
        `an ${which} is already in progress for dataset "${dataset.name}"; wait for it or cancel it`,
        {
          datasetId: dataset.id,
          runId: running.runId,
        },
      );
    }
    const { logger } = this.backend;
    const controller = new AbortController();
    let reportStarted!: (run: RunRecord) => void;
    const started = new Promise<RunRecord>((resolve) => (reportStarted = resolve));
    const job: ActiveRun = { kind, controller, done: Promise.resolve() };
    this.active.set(dataset.id, job);

    const execution = work({
      signal: controller.signal,
      onRunStarted: (run) => {
        job.runId = run.id;
        logger.info(
          { runId: run.id, datasetId: dataset.id, kind },
          `run started: ${kind.toLowerCase()} of dataset "${dataset.name}"`,
        );
        reportStarted(run);
      },
    });
    job.done = execution
      .then(
        () => logger.info({ runId: job.runId, datasetId: dataset.id }, 'run succeeded'),
        (error: unknown) => {
          const failure = toDefectRagError(error);
          const level = failure.code === 'RUN_CANCELLED' ? 'info' : 'error';
          logger[level](
            { runId: job.runId, datasetId: dataset.id, code: failure.code },
            `run ended: ${failure.message}`,
          );
        },
      )
      .finally(() => {
        this.active.delete(dataset.id);
        if (this.relabelAfter.delete(dataset.id) && !this.closing) {
          this.startRelabel(dataset.id, { after: job.runId }).catch((error: unknown) =>
            logger.error({ datasetId: dataset.id, err: error }, 'the relabel run after a label could not start'),
          );
        }
      });

    // The run once it exists, or the error that stopped the job before it did.
    return Promise.race([
      started,
      execution.then(() => {
        throw new DefectRagError('INTERNAL', `the ${kind.toLowerCase()} job ended without creating a run`);
      }),
    ]);
  }
}

/**
 * Registers a dataset folder under a name, or with `repoint` points an existing name at this
 * folder (keeping the options its runs recorded). DATASET_FORBIDDEN outside `roots` (default: the
 * configured DEFECT_RAG_DATASET_ROOTS, unset allows any), DATASET_NOT_FOUND when the folder does not
 * exist, DATASET_CONFLICT when the name is another folder's and `repoint` is not set. `unlabelled`
 * declares its photos without an annotation file unlabelled (damage unknown) rather than clean,
 * for every ingestion of it that does not say otherwise; left out, the dataset keeps its setting.
 */
export async function registerDataset(
  backend: Backend,
  input: { path: string; name: string; repoint?: boolean; unlabelled?: boolean; roots?: readonly string[] },
): Promise<DatasetRecord> {
  const root = path.resolve(input.path);
  await checkDatasetLocation(root, input.roots ?? backend.config.datasetRoots);
  const name = input.name.trim();
  if (name === '') throw new DefectRagError('BAD_INPUT', 'the dataset name is empty');
  const existing = await backend.db.datasets.findByName(name);
  checkRepoint(existing, root, input.repoint);
  const config = { ...existing?.config, ...(input.unlabelled !== undefined && { unlabelled: input.unlabelled }) };
  return backend.db.datasets.register({ name, root, config });
}
