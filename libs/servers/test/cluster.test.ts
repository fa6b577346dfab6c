import { QdrantClient } from '@qdrant/js-client-rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQdrantCluster, type QdrantCluster } from '../src/index';
import { isPortOpen, tempDataDir, waitUntil } from './helpers';

interface ClusterInfo {
  result: { peer_id: number; peers: Record<string, { uri: string }>; raft_info: { leader: number } };
}

async function clusterInfo(url: string): Promise<ClusterInfo['result']> {
  return ((await (await fetch(`${url}/cluster`)).json()) as ClusterInfo).result;
}

describe('startQdrantCluster', () => {
  let data: Awaited<ReturnType<typeof tempDataDir>>;
  let cluster: QdrantCluster;

  beforeAll(async () => {
    data = await tempDataDir();
    cluster = await startQdrantCluster({ dataDir: data.dir, nodes: 3 });
  });

  afterAll(async () => {
    await cluster?.stop();
    await data?.remove();
  });

  it('forms a cluster of 3 peers that all see each other and agree on the leader', async () => {
    expect(cluster.urls).toHaveLength(3);
    const infos = await Promise.all(cluster.urls.map(clusterInfo));
    const peerIds = infos.map((info) => info.peer_id);
    expect(new Set(peerIds).size).toBe(3);
    for (const info of infos) {
      expect(Object.keys(info.peers).map(Number).sort()).toEqual([...peerIds].sort());
      expect(info.raft_info.leader).toBe(infos[0]!.raft_info.leader);
      for (const peer of Object.values(info.peers)) expect(peer.uri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    }
  });

  it('spreads a sharded, replicated collection over the peers', async () => {
    const client = new QdrantClient({ url: cluster.urls[0]! });
    await client.createCollection('spread', {
      vectors: { size: 2, distance: 'Dot' },
      shard_number: 3,
      replication_factor: 2,
    });
    await waitUntil(async () => (await new QdrantClient({ url: cluster.urls[2]! }).collectionExists('spread')).exists);
    const info = await client.collectionClusterInfo('spread');
    const replicas = info.local_shards.length + info.remote_shards.length;
    expect(replicas).toBe(6);
    expect(new Set(info.remote_shards.map((shard) => shard.peer_id)).size).toBe(2);
  });

  it('stops one node while the others keep answering', async () => {
    const port = Number(new URL(cluster.urls[2]!).port);
    await cluster.stopNode(2);
    expect(await isPortOpen(port)).toBe(false);
    expect((await fetch(`${cluster.urls[0]}/readyz`)).ok).toBe(true);
  });
});
