import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDefectRagError } from '@defect-rag/runtime';
import { startEmbeddedPostgres, type EmbeddedServer } from '../src/index';
import { isPidAlive, isPortOpen, serverPid, startFixture, tempDataDir, waitUntil } from './helpers';

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

// One cluster for the whole file: initdb and the first start happen once, in beforeAll.
describe('startEmbeddedPostgres', () => {
  let data: Awaited<ReturnType<typeof tempDataDir>>;
  let serverDir: string;
  let server: EmbeddedServer;

  beforeAll(async () => {
    data = await tempDataDir();
    serverDir = path.join(data.dir, 'postgres');
    server = await startEmbeddedPostgres({ dataDir: serverDir });
  });

  afterAll(async () => {
    await server?.stop();
    await data?.remove();
  });

  it('starts on a free loopback port with the defect_rag database created', async () => {
    expect(server.reused).toBe(false);
    expect(new URL(server.url).hostname).toBe('127.0.0.1');
    expect(new URL(server.url).port).toBe(String(server.port));
    const rows = await query<{ one: number; db: string }>(server.url, 'select 1 as one, current_database() as db');
    expect(rows).toEqual([{ one: 1, db: 'defect_rag' }]);
  });

  it('keeps the cluster under the data dir, owned by the user the server runs as', () => {
    const pgdata = path.join(serverDir, 'pgdata');
    expect(existsSync(path.join(pgdata, 'PG_VERSION'))).toBe(true);
    // As root the server runs as `postgres` (it refuses root); otherwise as ourselves.
    const expectedOwner =
      process.getuid!() === 0
        ? Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }))
        : process.getuid!();
    expect(statSync(pgdata).uid).toBe(expectedOwner);
    expect(statSync(path.join(serverDir, 'credentials.json')).mode & 0o077).toBe(0);
  });

  it('reuses the running server on a second start in this process, whose stop leaves it running', async () => {
    const again = await startEmbeddedPostgres({ dataDir: serverDir, port: server.port });
    expect(again).toMatchObject({ reused: true, port: server.port, url: server.url });
    await again.stop();
    expect(await query(server.url, 'select 1')).toHaveLength(1);
  });

  it('reuses the running server from another process', async () => {
    const { output } = startFixture('start-server', ['postgres', serverDir]);
    expect(await output).toEqual({ port: server.port, reused: true, url: server.url });
    expect(await query(server.url, 'select 1')).toHaveLength(1);
  });

  it('refuses another port on a data dir in use with DATA_DIR_BUSY', async () => {
    const otherPort = server.port === 65535 ? server.port - 1 : server.port + 1;
    const error = await startEmbeddedPostgres({ dataDir: serverDir, port: otherPort }).catch((e: unknown) => e);
    expect(isDefectRagError(error, 'DATA_DIR_BUSY')).toBe(true);
    expect((error as Error).message).toContain(`port ${server.port}`);
    expect((error as Error).message).toContain(`pid ${await serverPid(serverDir)}`);
  });

  it('recovers from a server that was killed, keeping the data', async () => {
    await query(server.url, 'create table survivors (name text); insert into survivors values ($$kept$$)');
    const killedPid = await serverPid(serverDir);
    process.kill(killedPid, 'SIGKILL');
    await waitUntil(() => !isPidAlive(killedPid));

    server = await startEmbeddedPostgres({ dataDir: serverDir });
    expect(server.reused).toBe(false);
    expect(await serverPid(serverDir)).not.toBe(killedPid);
    expect(await query(server.url, 'select name from survivors')).toEqual([{ name: 'kept' }]);
  });

  it('starts after a kill whose postmaster.pid names a process that is not this server, removing the file', async () => {
    const killedPid = await serverPid(serverDir);
    process.kill(killedPid, 'SIGKILL');
    await waitUntil(() => !isPidAlive(killedPid));
    // As a killed postmaster left a zombie, or its pid went to another process: PostgreSQL sees a
    // live pid in the file and refuses to start ("lock file postmaster.pid already exists").
    // Of the user PostgreSQL runs as (`postgres` under root): another user's pid it takes for stale.
    const owner = process.getuid?.() === 0 ? serviceUser() : {};
    const other = spawn('sleep', ['30'], { stdio: 'ignore', ...owner });
    try {
      const pidFile = path.join(serverDir, 'pgdata', 'postmaster.pid');
      const lines = readFileSync(pidFile, 'utf8').split('\n');
      writeFileSync(pidFile, [String(other.pid), ...lines.slice(1)].join('\n'));

      server = await startEmbeddedPostgres({ dataDir: serverDir });
      expect(server.reused).toBe(false);
      expect(await query(server.url, 'select 1 as one')).toEqual([{ one: 1 }]);
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('stops: the process ends, the port closes and the state file goes', async () => {
    const pid = await serverPid(serverDir);
    await server.stop();
    expect(isPidAlive(pid)).toBe(false);
    expect(await isPortOpen(server.port)).toBe(false);
    expect(existsSync(path.join(serverDir, 'server.json'))).toBe(false);
  });
});

function serviceUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}
