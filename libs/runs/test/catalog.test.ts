import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDefectRagError } from '@defect-rag/runtime';
import { getDataset, getRun, listDatasets, listRuns, runProblems, type Backend } from '../src';
import { startTestBackend, type TestBackend } from './helpers';

const MISSING = '00000000-0000-4000-8000-000000000000';

let test: TestBackend;
let backend: Backend;

beforeAll(async () => {
  test = await startTestBackend();
  backend = test.backend;
}, 120_000);

afterAll(async () => {
  await test?.stop();
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected a rejection'),
    (error: unknown) => error,
  );
}

describe('catalog', () => {
  it('lists and gets datasets and runs; their problems page', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'defect-rag-catalog-'));
    const dataset = await backend.db.datasets.register({ name: 'catalog', root });
    const run = await backend.db.runs.create({ datasetId: dataset.id, kind: 'INGEST' });
    expect((await getDataset(backend, dataset.id)).name).toBe('catalog');
    expect((await listDatasets(backend, { first: 10 })).items.map((item) => item.id)).toContain(dataset.id);
    expect((await getRun(backend, run.id)).datasetId).toBe(dataset.id);
    expect((await listRuns(backend, { datasetId: dataset.id }, { first: 10 })).items.map((item) => item.id)).toEqual([
      run.id,
    ]);
    expect((await runProblems(backend, run.id, { first: 10 })).totalCount).toBe(0);
  });

  it('a missing dataset is DATASET_NOT_FOUND', async () => {
    expect(isDefectRagError(await rejection(getDataset(backend, MISSING)), 'DATASET_NOT_FOUND')).toBe(true);
  });

  it('a missing run is RUN_NOT_FOUND, for the run and for its problems', async () => {
    expect(isDefectRagError(await rejection(getRun(backend, MISSING)), 'RUN_NOT_FOUND')).toBe(true);
    const problems = await rejection(runProblems(backend, MISSING, { first: 10 }));
    expect(isDefectRagError(problems, 'RUN_NOT_FOUND')).toBe(true);
  });
});
