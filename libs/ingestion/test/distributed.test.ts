import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceRoot } from '@defect-rag/runtime';
import {
  copySampleSubset,
  imageOnlyTestModel,
  sampleDatasetOrSkip,
  startTestPostgres,
  startTestQdrant,
  type TestPostgres,
  type TestQdrant,
} from '@defect-rag/testing';
import { VectorStore, type StoredCropPoint } from '@defect-rag/vector-store';
import { ingestDataset, type IngestionSummary, type WorkerBatchEvent } from '../src';
import { type Backend } from '@defect-rag/runs';
import { childEnv, testBackend, workerProcess } from '@defect-rag/runs/testing';

const sample = sampleDatasetOrSkip();

/** pg-boss's shortest: a killed worker's batch goes to another within about 10 s. */
const HEARTBEAT = { DEFECT_RAG_WORKER_HEARTBEAT_SECONDS: '10' };

const STEMS = [
  'cdd_1',
  'cdd_10',
  'cdd_13',
  'cdd_14',
  'cdd_15',
  'cdd_16',
  'cdd_17',
  'cps_car10',
  'cps_car118',
  'cps_car122',
  'cps_car142',
  'cps_car25',
];

/** A worker process (`fixtures/worker-process.ts`) and what it printed. */
interface Worker {
  child: ChildProcess;
  events: WorkerBatchEvent[];
  error: { error: string; message: string } | undefined;
  exited: Promise<NodeJS.Signals | number | null>;
  stderr: () => string;
}

function startWorker(env: NodeJS.ProcessEnv, onEvent: (worker: Worker, event: WorkerBatchEvent) => void = () => {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', workerProcess], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let pending = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const worker: Worker = {
    child,
    events: [],
    error: undefined,
    exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code))),
    stderr: () => stderr,
  };
  child.stdout!.on('data', (chunk) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines.filter(Boolean)) {
      const parsed = JSON.parse(line) as WorkerBatchEvent | { error: string; message: string };
      if ('error' in parsed) worker.error = parsed;
      else {
        worker.events.push(parsed);
        onEvent(worker, parsed);
      }
    }
  });
  return worker;
}

async function stopWorkers(workers: readonly Worker[]): Promise<void> {
  for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGTERM');
  await Promise.all(workers.map((worker) => worker.exited));
}

/** Every point (crops and photos) of a dataset, with vectors, by key. */
async function pointSet(url: string, summary: IngestionSummary): Promise<Map<string, StoredCropPoint>> {
  const store = new VectorStore({ url });
  const keys = (
    await Promise.all(
      (['crop', 'photo'] as const).map((level) =>
        store.scrollPayloads(summary.collection, { datasetId: summary.datasetId, level }),
      ),
    )
  )
    .flat()
    .map((ref) => ref.cropId);
  const points = await store.getPoints(summary.collection, keys, { withVectors: true });
  return new Map(points.map((point) => [point.cropId, point]));
}

function largestDifference(a: StoredCropPoint['vectors'], b: StoredCropPoint['vectors']): number {
  let largest = 0;
  for (const kind of ['image', 'text', 'fused'] as const) {
    const [x, y] = [a?.[kind] ?? [], b?.[kind] ?? []];
    expect(x.length).toBe(y.length);
    x.forEach((value, i) => (largest = Math.max(largest, Math.abs(value - y[i]!))));
  }
  return largest;
}

const sortedProblems = (summary: IngestionSummary) =>
  summary.problems.map((problem) => `${problem.stage} ${problem.code} ${problem.item}: ${problem.message}`).sort();

describe.skipIf(!sample)('a distributed ingestion (pg-boss, worker processes on loopback)', () => {
  let postgres: TestPostgres;
  let qdrant: TestQdrant;
  let referenceQdrant: TestQdrant;
  let databaseUrl: string;
  let coordinator: Backend;
  let dataDir: string;
  let dataset: string;
  const workers: Worker[] = [];

  beforeAll(async () => {
    [postgres, qdrant, referenceQdrant] = await Promise.all([
      startTestPostgres(),
      startTestQdrant(),
      startTestQdrant(),
    ]);
    databaseUrl = await postgres.createDatabase('distributed');
    dataDir = mkdtempSync(path.join(tmpdir(), 'defect-rag-distributed-'));
    coordinator = await testBackend({ databaseUrl, qdrantUrl: qdrant.url }, dataDir, undefined, HEARTBEAT);
    dataset = copySampleSubset(sample!, STEMS);
    // A truncated photo: a problem the coordinator finds as it reads the dataset.
    const broken = path.join(dataset, 'images', 'cps_car25.jpg');
    const bytes = readFileSync(broken);
    writeFileSync(broken, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    // Visual descriptions too long for the text model (with `enrich`): TEXT_TRUNCATED problems
    // that the workers find, crop by crop, and must record once however often a batch is done.
    const taxonomy = readFileSync(path.join(workspaceRoot, 'libs', 'taxonomy', 'taxonomy.default.yaml'), 'utf8');
    writeFileSync(
      path.join(dataset, 'taxonomy.yaml'),
      taxonomy.replace(/^(\s+visual: ).*$/gm, `$1${'a long visual description of the damage '.repeat(6).trim()}`),
    );
  });

  afterAll(async () => {
    await stopWorkers(workers);
    await coordinator?.close();
    await Promise.all([qdrant?.stop(), referenceQdrant?.stop()]);
    await postgres?.stop();
  });

  const env = (extra: NodeJS.ProcessEnv = {}) => ({
    ...childEnv({ databaseUrl, qdrantUrl: qdrant.url }, dataDir),
    ...HEARTBEAT,
    ...extra,
  });

  it('survives a worker SIGKILLed in the middle of a batch and ends with exactly the points of a single-process run', async () => {
    // The same dataset (same record, same ids) into another Qdrant, in this process.
    const single = await testBackend({ databaseUrl, qdrantUrl: referenceQdrant.url });
    const reference = await ingestDataset(single, { datasetDir: dataset, name: 'distributed', enrich: true }).finally(
      () => single.close(),
    );
    expect(reference.problems.some((problem) => problem.item === 'images/cps_car25.jpg')).toBe(true);
    const truncated = reference.problems.filter((problem) => problem.code === 'TEXT_TRUNCATED');
    expect(truncated.length).toBeGreaterThan(5);

    let completed = 0;
    let killed: { worker: Worker; event: WorkerBatchEvent } | undefined;
    const onEvent = (worker: Worker, event: WorkerBatchEvent) => {
      if (event.state === 'completed') completed++;
      else if (completed > 0 && !killed) {
        killed = { worker, event };
        // Some of its batch stored, the rest not: killed while it holds the batch.
        setTimeout(() => worker.child.kill('SIGKILL'), 300);
      }
    };
    workers.push(...[0, 1, 2].map(() => startWorker(env(), onEvent)));

    const summary = await ingestDataset(
      coordinator,
      { datasetDir: dataset, name: 'distributed', enrich: true },
      {},
      { batchPhotos: 2 },
    );
    expect(killed, 'a worker was killed holding a batch').toBeDefined();
    expect(await killed!.worker.exited).toBe('SIGKILL');
    expect(
      killed!.worker.events.filter((event) => event.state === 'completed').map((event) => event.index),
    ).not.toContain(killed!.event.index);
    // Its batch was delivered again, and completed by another worker.
    const redone = workers
      .filter((worker) => worker !== killed!.worker)
      .flatMap((worker) => worker.events)
      .filter((event) => event.state === 'completed' && event.index === killed!.event.index);
    expect(redone).toHaveLength(1);
    expect(redone[0]!.attempt).toBeGreaterThan(0);

    expect((await coordinator.db.runs.get(summary.runId)).status).toBe('SUCCEEDED');
    expect(summary.runId).not.toBe(reference.runId);
    expect(summary.datasetId).toBe(reference.datasetId);
    for (const key of ['images', 'crops', 'embedded', 'unchanged', 'points'] as const) {
      expect(summary[key], key).toEqual(reference[key]);
    }
    expect(summary.photos).toEqual(reference.photos);
    expect(sortedProblems(summary)).toEqual(sortedProblems(reference));
    const run = await coordinator.db.runs.get(summary.runId);
    expect(run.counts).toMatchObject({ embedded: reference.embedded, problems: reference.problems.length });

    const [points, expected] = await Promise.all([
      pointSet(qdrant.url, summary),
      pointSet(referenceQdrant.url, reference),
    ]);
    expect(points.size).toBe(reference.points + reference.photos.points);
    expect([...points.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [key, point] of points) {
      const other = expected.get(key)!;
      expect(point.payload, key).toEqual(other.payload);
      expect(largestDifference(point.vectors, other.vectors), key).toBeLessThan(1e-5);
    }
    await stopWorkers(workers.splice(0));
  }, 240_000);

  it('refuses a worker whose model differs from the run’s, whose batch another worker then does', async () => {
    const mismatched = startWorker(env({ DEFECT_RAG_MODEL_DIR: imageOnlyTestModel() }));
    workers.push(mismatched);
    const ingesting = ingestDataset(coordinator, { datasetDir: dataset, name: 'mismatch' }, {}, { batchPhotos: 6 });
    expect(await mismatched.exited).toBe(2);
    expect(mismatched.error?.error).toBe('WORKER_MODEL_MISMATCH');
    expect(mismatched.error?.message).toMatch(
      /embeds with defect-rag\/tiny-clip@sha256:[0-9a-f]{64} but this worker's model is defect-rag\/tiny-clip-image-only@sha256:[0-9a-f]{64}/,
    );
    expect(mismatched.events).toEqual([]);

    const good = startWorker(env());
    workers.push(good);
    const summary = await ingesting;
    expect((await coordinator.db.runs.get(summary.runId)).status).toBe('SUCCEEDED');
    const done = good.events.filter((event) => event.state === 'completed');
    expect(done.map((event) => event.index).sort()).toEqual([0, 1]);
    // The batch the refusing worker held and gave back: its second delivery.
    expect(done.some((event) => event.attempt > 0)).toBe(true);
    await stopWorkers(workers.splice(0));
  }, 180_000);

  it('is cancelled: the run ends CANCELLED and its workers take none of its remaining batches', async () => {
    let runId = '';
    let cancelledAt: number | undefined;
    const worker = startWorker(env(), (_worker, event) => {
      if (event.state === 'completed' && cancelledAt === undefined) {
        cancelledAt = worker.events.length;
        void coordinator.db.runs.requestCancel(runId);
      }
    });
    workers.push(worker);
    const ingesting = ingestDataset(
      coordinator,
      { datasetDir: dataset, name: 'cancelled' },
      { onRunStarted: (run) => (runId = run.id) },
      { batchPhotos: 1 },
    );
    await expect(ingesting).rejects.toMatchObject({ code: 'RUN_CANCELLED' });
    const run = await coordinator.db.runs.get(runId);
    expect(run.status).toBe('CANCELLED');
    // Time for the worker to have taken more, had it not skipped the run.
    await sleep(3_000);
    const queue = await coordinator.batchQueue();
    const counts = await queue.counts(runId);
    // One batch per photo of the dataset (the broken one is not read as a photo).
    expect(counts.total).toBe(run.counts.images);
    expect(counts).toMatchObject({ queued: 0, active: 0 });
    expect(counts.cancelled).toBeGreaterThan(0);
    // At most the batch it may have taken as the cancel came.
    expect(worker.events.length - cancelledAt!).toBeLessThanOrEqual(2);
    expect(worker.events.filter((event) => event.state === 'taken').length).toBeLessThan(counts.total);
    expect(worker.child.exitCode).toBeNull();
    await stopWorkers(workers.splice(0));
  }, 180_000);
});
