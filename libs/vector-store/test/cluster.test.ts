import { startTestQdrantCluster, type TestQdrantCluster } from '@defect-rag/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VectorStore, type CropFilter } from '../src';
import { DIMENSION, syntheticPoints } from './synthetic';

/**
 * 3 nodes, 3 shards, each shard on 2 nodes. ensureCollection sets the write consistency factor to
 * the replication factor, so an acknowledged upsert is on both replicas of its shard; reads use
 * Qdrant's default read consistency (one replica per shard), which falls over to the surviving
 * replica. With any single node down every shard still has a complete replica, so every search
 * must give the same answer as before.
 */
describe('a 3-node Qdrant cluster with one node down', () => {
  const points = syntheticPoints(300, 23);
  let cluster: TestQdrantCluster;
  let collection: string;

  const queries: { name: string; run: (store: VectorStore) => Promise<unknown> }[] = [
    ...(['fused', 'image', 'text'] as const).map((using) => ({
      name: `search ${using}`,
      run: (store: VectorStore) => store.search(collection, { vector: points[5]!.vectors[using]!, using, limit: 20 }),
    })),
    ...(
      [
        { hasDamage: true },
        { zones: ['roof', 'rear'] },
        { damageTypes: ['broken_glass'], split: 'train' },
      ] as CropFilter[]
    ).map((filter) => ({
      name: `filtered search ${JSON.stringify(filter)}`,
      run: (store: VectorStore) =>
        store.search(collection, { vector: points[9]!.vectors.fused!, using: 'fused', filter, limit: 20 }),
    })),
    {
      name: 'exact search',
      run: (store) =>
        store.search(collection, { vector: points[1]!.vectors.text!, using: 'text', limit: 50, exact: true }),
    },
    {
      name: 'search by crop',
      run: (store) => store.searchByCrop(collection, points[42]!.cropId, { using: 'image', limit: 20 }),
    },
    { name: 'count', run: (store) => store.count(collection, { hasDamage: false }) },
    { name: 'facets', run: (store) => store.facets(collection, 'vehicle_zone') },
  ];

  beforeAll(async () => {
    cluster = await startTestQdrantCluster(3);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('answers every search through each surviving node exactly as before the node stopped', async () => {
    const store = new VectorStore({ url: cluster.urls[0]! });
    collection = await store.ensureCollection({
      modelId: 'cluster',
      dimension: DIMENSION,
      sharding: { shards: 3, replicationFactor: 2 },
    });
    await store.upsert(collection, points, { batchSize: 50, concurrency: 2 });
    expect(await store.count(collection)).toBe(points.length);

    const shards = (await (await fetch(`${cluster.urls[0]}/collections/${collection}/cluster`)).json()) as {
      result: { shard_count: number; local_shards: unknown[]; remote_shards: unknown[] };
    };
    expect(shards.result.shard_count).toBe(3);
    expect(shards.result.local_shards.length + shards.result.remote_shards.length).toBe(6);

    const before = await Promise.all(queries.map((query) => query.run(store)));
    await cluster.stopNode(1);

    for (const url of [cluster.urls[0]!, cluster.urls[2]!]) {
      const survivor = new VectorStore({ url });
      for (const [i, query] of queries.entries()) {
        expect(await query.run(survivor), `${query.name} through ${url}`).toEqual(before[i]);
      }
    }
  });
});
