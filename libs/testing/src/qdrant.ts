import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedQdrant, startQdrantCluster } from '@defect-rag/servers';
import { currentTestServerKind, startQdrantContainer } from './containers';

export interface TestQdrant {
  url: string;
  /** Stops the server and deletes its data. */
  stop(): Promise<void>;
}

export interface TestQdrantCluster {
  /** HTTP URL of each node, node 0 first. */
  urls: string[];
  /** Stops one node and leaves the others running. */
  stopNode(index: number): Promise<void>;
  /** Stops every node and deletes the cluster's data. */
  stop(): Promise<void>;
}

/**
 * A real Qdrant alone (no PostgreSQL) for one test file: embedded, in a fresh temporary folder on
 * free ports, or in a container (see `TestServerKind`).
 */
export async function startTestQdrant(): Promise<TestQdrant> {
  if ((await currentTestServerKind()) === 'containers') return startQdrantContainer();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'defect-rag-qdrant-'));
  try {
    const qdrant = await startEmbeddedQdrant({ dataDir });
    return {
      url: qdrant.url,
      stop: async () => {
        await qdrant.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * A real Qdrant cluster of `nodes` peers on loopback ports in a fresh temporary folder; embedded
 * whatever DEFECT_RAG_TEST_SERVERS says (its tests stop single nodes, which the binary allows).
 */
export async function startTestQdrantCluster(nodes: number): Promise<TestQdrantCluster> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'defect-rag-qdrant-cluster-'));
  try {
    const cluster = await startQdrantCluster({ dataDir, nodes });
    return {
      urls: cluster.urls,
      stopNode: (index) => cluster.stopNode(index),
      stop: async () => {
        await cluster.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}
