import type { Problem } from '@defect-rag/runtime';
import { DefectRagError } from '@defect-rag/runtime';
import type { PrismaClient, Prisma } from './generated/prisma/client';
import { toPage, type Page, type PageRequest } from './page';

export type RunKind = 'INGEST' | 'EVALUATE' | 'INDEX' | 'RELABEL';
export type RunStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'INTERRUPTED';

export interface StageProgress {
  done: number;
  total: number;
}

export interface RunRecord {
  id: string;
  datasetId: string;
  kind: RunKind;
  status: RunStatus;
  params: Record<string, unknown>;
  configHash: string | null;
  modelId: string | null;
  collection: string | null;
  progress: Record<string, StageProgress>;
  counts: Record<string, number>;
  metrics: Record<string, unknown> | null;
  timings: Record<string, number>;
  errorCode: string | null;
  error: string | null;
  /** The process running it, `<host>:<pid>`; null before it starts. */
  owner: string | null;
  heartbeatAt: Date | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
}

export interface RunProblemRecord extends Problem {
  id: string;
  createdAt: Date;
}

export interface RunFilter {
  datasetId?: string;
  kind?: RunKind;
  status?: RunStatus;
  collection?: string;
}

export interface NewRun {
  datasetId: string;
  kind: RunKind;
  params?: Record<string, unknown>;
  configHash?: string;
  modelId?: string;
  collection?: string;
}

const FINISHED: RunStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

export class RunRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async create(input: NewRun): Promise<RunRecord> {
    const row = await this.prisma.run.create({
      data: {
        datasetId: input.datasetId,
        kind: input.kind,
        params: (input.params ?? {}) as Prisma.InputJsonObject,
        configHash: input.configHash ?? null,
        modelId: input.modelId ?? null,
        collection: input.collection ?? null,
      },
    });
    return toRecord(row);
  }

  async get(id: string): Promise<RunRecord> {
    const row = await this.prisma.run.findUnique({ where: { id } });
    if (!row) throw new DefectRagError('RUN_NOT_FOUND', `Run ${id} does not exist`);
    return toRecord(row);
  }

  async list(filter: RunFilter, { first, after }: PageRequest): Promise<Page<RunRecord>> {
    const where = { ...filter };
    const [rows, totalCount] = await Promise.all([
      this.prisma.run.findMany({
        where,
        take: first + 1,
        ...(after ? { cursor: { id: after }, skip: 1 } : {}),
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      }),
      this.prisma.run.count({ where }),
    ]);
    return toPage(rows.map(toRecord), first, totalCount);
  }

  /** The newest unfinished run of a dataset with this config, which a new run can resume. */
  async findResumable(datasetId: string, kind: RunKind, configHash: string): Promise<RunRecord | null> {
    const row = await this.prisma.run.findFirst({
      where: { datasetId, kind, configHash, status: { notIn: FINISHED } },
      orderBy: { createdAt: 'desc' },
    });
    return row && toRecord(row);
  }

  async markRunning(id: string, owner: string | null = null): Promise<RunRecord> {
    return toRecord(
      await this.prisma.run.update({
        where: { id },
        data: {
          status: 'RUNNING',
          startedAt: new Date(),
          errorCode: null,
          error: null,
          owner,
          heartbeatAt: new Date(),
        },
      }),
    );
  }

  /** Says the run's process is still there; a cancelled or finished run is left as it is. */
  async heartbeat(id: string): Promise<void> {
    await this.prisma.run.updateMany({ where: { id, status: 'RUNNING' }, data: { heartbeatAt: new Date() } });
  }

  /**
   * Marks INTERRUPTED every queued or running run whose process `isGone` says is gone (given its
   * owner and its last sign of life), so none stays RUNNING for ever; the next run with the same
   * options resumes it. Returns the runs marked.
   */
  async interruptOrphans(isGone: (owner: string | null, lastSeen: Date) => boolean): Promise<RunRecord[]> {
    const candidates = await this.prisma.run.findMany({ where: { status: { in: ['QUEUED', 'RUNNING'] } } });
    const orphans = candidates.filter((run) => isGone(run.owner, run.heartbeatAt ?? run.updatedAt));
    const marked: RunRecord[] = [];
    for (const run of orphans) {
      // Only if still as seen: its process may have finished it in the meantime.
      const { count } = await this.prisma.run.updateMany({
        where: { id: run.id, status: run.status, heartbeatAt: run.heartbeatAt },
        data: {
          status: 'INTERRUPTED',
          errorCode: 'RUN_INTERRUPTED',
          error: `the process running it${run.owner ? ` (${run.owner})` : ''} stopped before it finished; the next run with the same options resumes it`,
        },
      });
      if (count > 0) marked.push(await this.get(run.id));
    }
    return marked;
  }

  /** Sets one stage's progress without reading the others, so concurrent stages never overwrite each other. */
  async setStageProgress(id: string, stage: string, progress: StageProgress): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE "runs" SET "progress" = "progress" || jsonb_build_object(${stage}::text, ${JSON.stringify(progress)}::jsonb), "updated_at" = now()
      WHERE "id" = ${id}::uuid`;
  }

  async mergeCounts(id: string, counts: Record<string, number>): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE "runs" SET "counts" = "counts" || ${JSON.stringify(counts)}::jsonb, "updated_at" = now() WHERE "id" = ${id}::uuid`;
  }

  async mergeTimings(id: string, timings: Record<string, number>): Promise<void> {
    await this.prisma.$executeRaw`
      UPDATE "runs" SET "timings" = "timings" || ${JSON.stringify(timings)}::jsonb, "updated_at" = now() WHERE "id" = ${id}::uuid`;
  }

  /** Records the run's end; a cancelled run stays CANCELLED whatever its process reports. */
  async finish(
    id: string,
    outcome: {
      status: Exclude<RunStatus, 'QUEUED' | 'RUNNING'>;
      metrics?: Record<string, unknown>;
      errorCode?: string;
      error?: string;
    },
  ): Promise<RunRecord> {
    const cancelled = (await this.get(id)).status === 'CANCELLED';
    const row = await this.prisma.run.update({
      where: { id },
      data: {
        status: cancelled ? 'CANCELLED' : outcome.status,
        finishedAt: new Date(),
        ...(outcome.metrics ? { metrics: outcome.metrics as Prisma.InputJsonObject } : {}),
        errorCode: outcome.errorCode ?? null,
        error: outcome.error ?? null,
      },
    });
    return toRecord(row);
  }

  /**
   * Marks every other unfinished run of this kind on the dataset FAILED. Called by the holder of
   * the dataset's lock, which proves those runs' processes are gone. Other kinds are left alone: an
   * evaluation creates its run before the ingestion it starts with.
   */
  async abandonOthers(datasetId: string, kind: RunKind, keepRunId: string): Promise<number> {
    const { count } = await this.prisma.run.updateMany({
      where: { datasetId, kind, id: { not: keepRunId }, status: { in: ['QUEUED', 'RUNNING', 'INTERRUPTED'] } },
      data: {
        status: 'FAILED',
        finishedAt: new Date(),
        errorCode: 'RUN_ABANDONED',
        error: 'the process running it stopped before it finished',
      },
    });
    return count;
  }

  /** Asks a queued or running run to stop: its process sees the status and stops at its next batch. */
  async requestCancel(id: string): Promise<RunRecord> {
    const run = await this.get(id);
    if (FINISHED.includes(run.status)) {
      throw new DefectRagError('RUN_CONFLICT', `run ${id} has already finished (${run.status})`, {
        runId: id,
        status: run.status,
      });
    }
    return toRecord(await this.prisma.run.update({ where: { id }, data: { status: 'CANCELLED' } }));
  }

  async clearProblems(runId: string): Promise<void> {
    await this.prisma.runProblem.deleteMany({ where: { runId } });
  }

  async addProblems(runId: string, problems: readonly Problem[]): Promise<void> {
    if (problems.length === 0) return;
    await this.prisma.runProblem.createMany({
      data: problems.map(({ item, stage, code, message }) => ({ runId, item, stage, code, message })),
    });
  }

  /**
   * Replaces the problems of these photos of a run with `problems` (each naming its photo), in one
   * transaction: a batch of photos done again, after its first worker died, counts its problems once.
   */
  async replacePhotoProblems(
    runId: string,
    photos: readonly string[],
    problems: readonly (Problem & { photo: string })[],
  ): Promise<void> {
    await this.prisma.$transaction([
      this.prisma.runProblem.deleteMany({ where: { runId, photo: { in: [...photos] } } }),
      this.prisma.runProblem.createMany({
        data: problems.map(({ item, stage, code, message, photo }) => ({ runId, item, stage, code, message, photo })),
      }),
    ]);
  }

  /** Every problem of a run, in the order they were recorded. */
  async allProblems(runId: string): Promise<Problem[]> {
    const rows = await this.prisma.runProblem.findMany({ where: { runId }, orderBy: { id: 'asc' } });
    return rows.map((row) => ({
      item: row.item,
      stage: row.stage as Problem['stage'],
      code: row.code as Problem['code'],
      message: row.message,
    }));
  }

  async listProblems(runId: string, { first, after }: PageRequest): Promise<Page<RunProblemRecord>> {
    const [rows, totalCount] = await Promise.all([
      this.prisma.runProblem.findMany({
        where: { runId, ...(after ? { id: { gt: BigInt(after) } } : {}) },
        take: first + 1,
        orderBy: { id: 'asc' },
      }),
      this.prisma.runProblem.count({ where: { runId } }),
    ]);
    const records = rows.map((row) => ({
      id: row.id.toString(),
      item: row.item,
      stage: row.stage as Problem['stage'],
      code: row.code as Problem['code'],
      message: row.message,
      createdAt: row.createdAt,
    }));
    return toPage(records, first, totalCount);
  }
}

function toRecord(row: Prisma.RunModel): RunRecord {
  return {
    ...row,
    params: row.params as unknown as Record<string, unknown>,
    progress: row.progress as unknown as Record<string, StageProgress>,
    counts: row.counts as unknown as Record<string, number>,
    metrics: row.metrics as unknown as Record<string, unknown> | null,
    timings: row.timings as unknown as Record<string, number>,
  };
}
