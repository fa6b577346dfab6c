import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../src/index';
import { tempDataDir, waitUntil } from './helpers';

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'start-server.ts');

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ one: number }>('select 1 as one')).rows[0]?.one === 1;
  } finally {
    await client.end();
  }
}

describe('a first initdb that was killed', () => {
  it('is detected at the next start and the cluster created again, with no password file left', async () => {
    const data = await tempDataDir();
    const dir = path.join(data.dir, 'postgres');
    try {
      // Its own process group, so SIGKILL takes initdb with it, as a killed terminal or container would.
      const child = spawn(process.execPath, ['--import', 'tsx', fixture, 'postgres', dir], {
        detached: true,
        stdio: 'ignore',
      });
      await waitUntil(() => existsSync(path.join(dir, 'pgdata.init', 'PG_VERSION')), 60_000);
      process.kill(-child.pid!, 'SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      expect(existsSync(path.join(dir, 'credentials.json'))).toBe(false);

      const server = await startEmbeddedPostgres({ dataDir: dir });
      try {
        expect(await answers(server.url)).toBe(true);
        expect(existsSync(path.join(dir, 'pgdata', 'PG_VERSION'))).toBe(true);
        expect(existsSync(path.join(dir, 'pgdata.init'))).toBe(false);
        expect(existsSync(path.join(dir, 'initdb-password'))).toBe(false);
      } finally {
        await server.stop();
      }
    } finally {
      await data.remove();
    }
  }, 180_000);

  it('in the earlier layout (PG_VERSION written, the password file still there) is rebuilt too', async () => {
    const data = await tempDataDir();
    const dir = path.join(data.dir, 'postgres');
    try {
      mkdirSync(dir, { mode: 0o755 });
      mkdirSync(path.join(dir, 'pgdata'), { mode: 0o700 });
      writeFileSync(path.join(dir, 'pgdata', 'PG_VERSION'), '18\n');
      writeFileSync(path.join(dir, 'initdb-password'), 'leaked\n', { mode: 0o600 });
      const server = await startEmbeddedPostgres({ dataDir: dir });
      try {
        expect(await answers(server.url)).toBe(true);
        expect(existsSync(path.join(dir, 'initdb-password'))).toBe(false);
        expect(server.url).not.toContain('leaked');
      } finally {
        await server.stop();
      }
    } finally {
      await data.remove();
    }
  }, 180_000);
});
