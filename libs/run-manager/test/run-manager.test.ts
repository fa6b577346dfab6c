import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDefectRagError } from '@defect-rag/runtime';
import { copySampleSubset, sampleDatasetOrSkip } from '@defect-rag/testing';
import { registerDataset, RunManager } from '../src';
import { type Backend } from '@defect-rag/runs';
import { startTestBackend } from '@defect-rag/runs/testing';

const sample = sampleDatasetOrSkip();

describe.skipIf(!sample)('RunManager', () => {
  let backend: Backend;
  let stop: () => Promise<void>;
  let stems: string[];

  beforeAll(async () => {
    ({ backend, stop } = await startTestBackend());
    stems = readdirSync(path.join(sample!, 'images'))
      .map((file) => path.parse(file).name)
      .sort();
  }, 120_000);

  afterAll(async () => {
    await stop?.();
  });

  const dataset = (name: string, count: number) =>
    registerDataset(backend, { path: copySampleSubset(sample!, stems.slice(0, count)), name });

  /** Resolves once the manager has no job left for the run. */
  const jobEnded = async (manager: RunManager, runId: string) => {
    while (manager.activeRunIds().includes(runId)) await new Promise((resolve) => setTimeout(resolve, 50));
    return backend.db.runs.get(runId);
  };

  it('returns the run as soon as it exists, RUNNING, keeps other runs of the dataset out, and lets the job finish', async () => {
    const manager = new RunManager(backend);
    const { id } = await dataset('background', 8);
    const run = await manager.startIngestion(id, { batchSize: 2 });
    expect(run).toMatchObject({ datasetId: id, kind: 'INGEST', status: 'RUNNING', finishedAt: null });
    expect(manager.activeRunIds()).toEqual([run.id]);

    const conflict = await manager.startIngestion(id).catch((error: unknown) => error);
    expect(isDefectRagError(conflict, 'RUN_CONFLICT')).toBe(true);

    const done = await jobEnded(manager, run.id);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.counts.points).toBeGreaterThan(0);
    // The dataset is free again.
    const next = await manager.startIngestion(id);
    expect((await jobEnded(manager, next.id)).status).toBe('SUCCEEDED');
  });

  it('fails the start itself when the job stops before it has a run, and keeps no job behind', async () => {
    const manager = new RunManager(backend);
    const { id } = await dataset('no-model', 2);
    const failure = await manager.startIngestion(id, { modelDir: '/no/such/model' }).catch((error: unknown) => error);
    expect(isDefectRagError(failure, 'MODEL_NOT_FOUND')).toBe(true);
    expect(manager.activeRunIds()).toEqual([]);
    const unknown = await manager
      .startIngestion('00000000-0000-4000-8000-000000000000')
      .catch((error: unknown) => error);
    expect(isDefectRagError(unknown, 'DATASET_NOT_FOUND')).toBe(true);
  });

  it('cancel() stops a job of this process at once; cancelling a finished run is a RUN_CONFLICT', async () => {
    const manager = new RunManager(backend);
    const { id } = await dataset('cancelled', 30);
    const run = await manager.startIngestion(id, { batchSize: 1 });
    expect((await manager.cancel(run.id)).status).toBe('CANCELLED');
    const done = await jobEnded(manager, run.id);
    expect(done).toMatchObject({ status: 'CANCELLED', errorCode: 'RUN_CANCELLED' });

    const again = await manager.cancel(run.id).catch((error: unknown) => error);
    expect(isDefectRagError(again, 'RUN_CONFLICT')).toBe(true);
  });

  it('shutdown() cancels every job and resolves once each has recorded its end', async () => {
    const manager = new RunManager(backend);
    const runs = await Promise.all([
      dataset('shutdown-a', 30).then(({ id }) => manager.startIngestion(id, { batchSize: 1 })),
      dataset('shutdown-b', 30).then(({ id }) => manager.startIngestion(id, { batchSize: 1 })),
    ]);
    expect(manager.activeRunIds().sort()).toEqual(runs.map((run) => run.id).sort());
    await manager.shutdown();
    expect(manager.activeRunIds()).toEqual([]);
    for (const run of runs) expect((await backend.db.runs.get(run.id)).status).toBe('CANCELLED');
  });

  it('registerDataset refuses a missing folder and keeps the recorded options of an existing name', async () => {
    const missing = await registerDataset(backend, { path: '/no/such/folder', name: 'missing' }).catch(
      (error: unknown) => error,
    );
    expect(isDefectRagError(missing, 'DATASET_NOT_FOUND')).toBe(true);

    const first = await dataset('re-registered', 2);
    await backend.db.datasets.register({
      name: first.name,
      root: first.root,
      config: { taxonomyFile: null, splitFile: '/some/split.json' },
    });
    const refused = await registerDataset(backend, { path: sample!, name: 're-registered' }).catch(
      (error: unknown) => error,
    );
    expect(isDefectRagError(refused, 'DATASET_CONFLICT')).toBe(true);
    const moved = await registerDataset(backend, { path: sample!, name: ' re-registered ', repoint: true });
    expect(moved).toMatchObject({
      id: first.id,
      name: 're-registered',
      root: sample,
      config: { splitFile: '/some/split.json' },
    });
  });
});
