import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '@defect-rag/runs';
import { copySampleSubset, sampleDatasetOrSkip, startTestServers, type TestServers } from '@defect-rag/testing';
import { createApiServer, type ApiServer } from '../src';
import { graphql, testBackend } from './helpers';

const sample = sampleDatasetOrSkip();

interface CropNode {
  id: string;
  labelled: boolean;
  hasDamage: boolean | null;
  photoId: string;
  box: { x: number; y: number; width: number; height: number };
}
const CROP = 'id labelled hasDamage photoId box { x y width height }';

describe.skipIf(!sample)('an unlabelled dataset through the API', () => {
  let servers: TestServers;
  let backend: Backend;
  let api: ApiServer;
  let dir: string;
  let datasetId: string;

  beforeAll(async () => {
    servers = await startTestServers();
    backend = await testBackend(servers, { DEFECT_RAG_DATASET_ROOTS: tmpdir() });
    api = await createApiServer(backend, { port: 0, host: '127.0.0.1' });
    // One annotated photo (labelled) and a plain one (unlabelled).
    dir = copySampleSubset(sample!, ['cdd_10', 'cps_car32']);
    const registered = await graphql<{ registerDataset: { id: string; unlabelled: boolean } }>(
      api.url,
      'mutation ($path: String!) { registerDataset(path: $path, name: "plain", unlabelled: true) { id unlabelled } }',
      { path: dir },
    );
    expect(registered.errors).toBeUndefined();
    expect(registered.data!.registerDataset.unlabelled).toBe(true);
    datasetId = registered.data!.registerDataset.id;
    const started = await graphql<{ startIngestion: { id: string } }>(
      api.url,
      'mutation ($id: ID!) { startIngestion(datasetId: $id) { id } }',
      { id: datasetId },
    );
    const runId = started.data!.startIngestion.id;
    for (;;) {
      const run = await graphql<{ run: { status: string; error: string | null } }>(
        api.url,
        'query ($id: ID!) { run(id: $id) { status error } }',
        { id: runId },
      );
      const { status, error } = run.data!.run;
      if (status !== 'RUNNING') {
        expect(status, error ?? '').toBe('SUCCEEDED');
        break;
      }
      await sleep(200);
    }
  }, 300_000);

  afterAll(async () => {
    await api?.close();
    await backend?.close();
    await servers?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('filters crops by labelled, counts unlabelled windows apart, and finds windows like a damage crop one per photo', async () => {
    const response = await graphql<{
      unlabelled: { totalCount: number; edges: { node: CropNode }[] };
      labelled: { totalCount: number; edges: { node: CropNode }[] };
      clean: { totalCount: number };
      stats: { points: number; damaged: number; clean: number; unlabelled: number };
      onlyUnlabelled: { points: number; unlabelled: number };
      dataset: { unlabelled: boolean; cleanCount: number; damagedCount: number };
    }>(
      api.url,
      `query ($id: ID!) {
        unlabelled: crops(filter: { datasetId: $id, labelled: false }, first: 50) { totalCount edges { node { ${CROP} } } }
        labelled: crops(filter: { datasetId: $id, labelled: true }, first: 50) { totalCount edges { node { ${CROP} } } }
        clean: crops(filter: { datasetId: $id, hasDamage: false }, first: 1) { totalCount }
        stats: indexStats(datasetId: $id) { points damaged clean unlabelled }
        onlyUnlabelled: indexStats(datasetId: $id, labelled: false) { points unlabelled }
        dataset(id: $id) { unlabelled cleanCount damagedCount }
      }`,
      { id: datasetId },
    );
    expect(response.errors).toBeUndefined();
    const data = response.data!;
    const windows = data.unlabelled.edges.map((edge) => edge.node);
    expect(windows.length).toBe(data.unlabelled.totalCount);
    expect(windows.length).toBeGreaterThan(0);
    expect(windows.every((crop) => !crop.labelled && crop.hasDamage === null && crop.box.width === 336)).toBe(true);
    expect(new Set(windows.map((crop) => crop.photoId)).size).toBe(1);
    expect(data.labelled.edges.every(({ node }) => node.labelled && node.hasDamage === true)).toBe(true);
    expect(data.clean.totalCount).toBe(0);
    expect(data.stats).toEqual({
      points: windows.length + data.labelled.totalCount,
      damaged: data.labelled.totalCount,
      clean: 0,
      unlabelled: windows.length,
    });
    expect(data.onlyUnlabelled).toEqual({ points: windows.length, unlabelled: windows.length });
    expect(data.dataset).toEqual({ unlabelled: true, cleanCount: 0, damagedCount: 1 });

    const example = data.labelled.edges[0]!.node.id;
    const found = await graphql<{ searchSimilar: { crop: CropNode }[] }>(
      api.url,
      `query ($q: SimilarityQuery!) { searchSimilar(query: $q) { crop { ${CROP} } } }`,
      { q: { cropId: example, filter: { datasetId, labelled: false }, onePerPhoto: true, limit: 10 } },
    );
    expect(found.errors).toBeUndefined();
    const hits = found.data!.searchSimilar.map(({ crop }) => crop);
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({ labelled: false, hasDamage: null, photoId: windows[0]!.photoId });
    expect(windows.map((crop) => crop.id)).toContain(hits[0]!.id);
  });
});
