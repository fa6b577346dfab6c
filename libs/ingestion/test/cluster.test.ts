import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  copySampleSubset,
  sampleDatasetOrSkip,
  startTestPostgres,
  startTestQdrantCluster,
  type TestPostgres,
  type TestQdrantCluster,
} from '@defect-rag/testing';
import { createLogger, loadConfig, workspaceRoot } from '@defect-rag/runtime';
import { ingestDataset } from '../src';
import { openBackend, type Backend } from '@defect-rag/runs';
import { searchSimilar, type SimilarityQuery } from '@defect-rag/search';
import { tinyModelDir } from '@defect-rag/runs/testing';

const sample = sampleDatasetOrSkip();

describe.skipIf(!sample)('ingestion into a 3-node Qdrant cluster (3 shards, replication factor 2)', () => {
  let postgres: TestPostgres;
  let cluster: TestQdrantCluster;
  let backend: Backend;

  beforeAll(async () => {
    [postgres, cluster] = await Promise.all([startTestPostgres(), startTestQdrantCluster(3)]);
    const config = loadConfig(
      {
        DATABASE_URL: await postgres.createDatabase('cluster'),
        // Node 1, not node 0: the node stopped below must not be the one the backend talks to.
        QDRANT_URL: cluster.urls[1],
        DEFECT_RAG_QDRANT_SHARDS: '3',
        DEFECT_RAG_QDRANT_REPLICATION_FACTOR: '2',
        DEFECT_RAG_MODEL_DIR: tinyModelDir,
        DEFECT_RAG_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'defect-rag-cluster-')),
      },
      { cwd: workspaceRoot, dotenv: false },
    );
    backend = await openBackend(config, createLogger('silent'));
  }, 180_000);

  afterAll(async () => {
    await backend?.close();
    await cluster?.stop();
    await postgres?.stop();
  });

  it('still answers every search with the same results after a node stops', async () => {
    const dir = copySampleSubset(sample!, [
      'cdd_10',
      'cdd_13',
      'cdd_14',
      'cdd_15',
      'cps_car10',
      'cps_car118',
      'cps_car122',
    ]);
    const summary = await ingestDataset(backend, { datasetDir: dir, name: 'clustered' });
    expect(summary.points).toBe(summary.crops.total);
    const info = (await (await fetch(`${cluster.urls[0]}/collections/${summary.collection}`)).json()) as {
      result: { config: { params: { shard_number: number; replication_factor: number } } };
    };
    expect(info.result.config.params).toMatchObject({ shard_number: 3, replication_factor: 2 });

    const refs = await backend.vectorStore.scrollPayloads(summary.collection, { datasetId: summary.datasetId });
    const queries: SimilarityQuery[] = [
      ...refs.slice(0, 8).map((ref) => ({ cropId: ref.cropId, limit: 10 })),
      { text: 'scratch on the front bumper', filter: { hasDamage: true }, limit: 10 },
      { text: 'clean paint', mode: 'image', filter: { hasDamage: false }, limit: 10 },
    ];
    const answer = async () =>
      Promise.all(
        queries.map(async (query) =>
          (await searchSimilar(backend, { ...query, exact: true })).items.map((item) => item.crop.id),
        ),
      );
    const before = await answer();
    expect(before.every((ids) => ids.length > 0)).toBe(true);

    await cluster.stopNode(2);
    expect(await answer()).toEqual(before);
    expect(await backend.vectorStore.count(summary.collection, { datasetId: summary.datasetId })).toBe(
      summary.crops.total,
    );
  });
});
