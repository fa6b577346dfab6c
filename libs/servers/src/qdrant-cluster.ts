import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { DefectRagError, type Logger } from '@defect-rag/runtime';
import type { ManagedServer } from './managed-server';
import { freePorts, LOOPBACK } from './ports';
import { startQdrantNode, type QdrantBinary } from './qdrant';

export interface QdrantClusterOptions {
  /** The cluster's folder; node i lives in `node-<i>/`. */
  dataDir: string;
  nodes: number;
  logger?: Logger;
  binary?: QdrantBinary;
}

export interface QdrantCluster {
  /** HTTP URL of each node, in node order; node 0 is the one the others bootstrapped from. */
  urls: string[];
  /** Stops one node (to see how the cluster copes), if this call started it. */
  stopNode(index: number): Promise<void>;
  stop(): Promise<void>;
}

const nodePortsSchema = z.object({ http: z.number().int(), grpc: z.number().int(), p2p: z.number().int() });
type NodePorts = z.infer<typeof nodePortsSchema>;
const clusterFileSchema = z.object({ nodes: z.array(nodePortsSchema).min(1) });

const PEERS_TIMEOUT_MS = 60_000;

/**
 * Starts (or reuses) a Qdrant cluster of `nodes` peers of the pinned binary on loopback ports:
 * node 0 first, then the others bootstrapping from its p2p port. Resolves once every node lists
 * every peer. The ports are chosen once and kept in `cluster.json`, because each peer remembers
 * the others' p2p URIs: a restarted cluster must come back on the same ports.
 */
export async function startQdrantCluster(options: QdrantClusterOptions): Promise<QdrantCluster> {
  const dir = path.resolve(options.dataDir);
  const layout = await clusterLayout(dir, options.nodes);
  const peerUri = (index: number) => `http://${LOOPBACK}:${layout[index]!.p2p}`;
  const startNode = (index: number) =>
    startQdrantNode({
      name: `Qdrant node ${index}`,
      dataDir: path.join(dir, `node-${index}`),
      ports: layout[index]!,
      binary: options.binary,
      logger: options.logger,
      peer: { uri: peerUri(index), ...(index > 0 ? { bootstrap: peerUri(0) } : {}) },
    });

  const started: ManagedServer<NodePorts>[] = [];
  const stop = async () => {
    await Promise.all(started.map((node) => node.stop()));
  };
  try {
    started.push(await startNode(0));
    const others = await Promise.allSettled(layout.slice(1).map((_, i) => startNode(i + 1)));
    for (const result of others) if (result.status === 'fulfilled') started.push(result.value);
    const failed = others.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    const urls = layout.map((ports) => `http://${LOOPBACK}:${ports.http}`);
    await waitForPeers(urls);
    return { urls, stopNode: (index) => started[index]?.stop() ?? Promise.resolve(), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function clusterLayout(dir: string, nodes: number): Promise<NodePorts[]> {
  const file = path.join(dir, 'cluster.json');
  await mkdir(dir, { recursive: true });
  const free = await freePorts(nodes * 3);
  const fresh = Array.from({ length: nodes }, (_, i) => ({
    http: free[i * 3]!,
    grpc: free[i * 3 + 1]!,
    p2p: free[i * 3 + 2]!,
  }));
  try {
    await writeFile(file, `${JSON.stringify({ nodes: fresh }, null, 2)}\n`, { flag: 'wx' });
    return fresh;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const parsed = clusterFileSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) {
    throw new DefectRagError('CONFIG_INVALID', `${file} is not a cluster layout; delete ${dir} to start over.`, {
      file,
    });
  }
  if (parsed.data.nodes.length !== nodes) {
    throw new DefectRagError(
      'CONFIG_INVALID',
      `${dir} holds a Qdrant cluster of ${parsed.data.nodes.length} nodes, not ${nodes}. ` +
        'Use another data directory for a cluster of another size.',
      { dir, nodes: parsed.data.nodes.length, requested: nodes },
    );
  }
  return parsed.data.nodes;
}

async function waitForPeers(urls: string[]): Promise<void> {
  const deadline = Date.now() + PEERS_TIMEOUT_MS;
  for (;;) {
    const counts = await Promise.all(urls.map(peerCount));
    if (counts.every((count) => count === urls.length)) return;
    if (Date.now() > deadline) {
      throw new DefectRagError(
        'SERVER_START_FAILED',
        `The Qdrant cluster did not form within ${PEERS_TIMEOUT_MS / 1000} s: the nodes see ${counts.join(', ')} ` +
          `of ${urls.length} peers. Their logs are in node-*/server.log.`,
        { urls, counts },
      );
    }
    await sleep(200);
  }
}

async function peerCount(url: string): Promise<number> {
  try {
    const response = await fetch(`${url}/cluster`, { signal: AbortSignal.timeout(2000) });
    const body = (await response.json()) as { result?: { peers?: Record<string, unknown> } };
    return Object.keys(body.result?.peers ?? {}).length;
  } catch {
    return 0;
  }
}
