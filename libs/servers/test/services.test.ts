import { existsSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@defect-rag/runtime';
import { startServices, type Services } from '../src/index';
import { exitOf, isPortOpen, serverPid, startFixture, tempDataDir, isPidAlive } from './helpers';

function configFor(dataDir: string, env: Record<string, string> = {}) {
  return loadConfig({ DEFECT_RAG_DATA_DIR: dataDir, ...env }, { dotenv: false });
}

async function selectOne(url: string): Promise<unknown> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query('select 1 as one')).rows[0];
  } finally {
    await client.end();
  }
}

describe('startServices', () => {
  let data: Awaited<ReturnType<typeof tempDataDir>>;

  beforeAll(async () => {
    data = await tempDataDir();
  });

  afterAll(async () => {
    await data?.remove();
  });

  it('uses DATABASE_URL and QDRANT_URL when set, starting nothing', async () => {
    const handlersBefore = process.listenerCount('SIGTERM');
    const services = await startServices(
      configFor(data.dir, {
        DATABASE_URL: 'postgresql://someone:secret@db.example:5432/defects',
        QDRANT_URL: 'https://qdrant.example:6333',
        QDRANT_API_KEY: 'key-1',
      }),
    );
    expect(services).toMatchObject({
      databaseUrl: 'postgresql://someone:secret@db.example:5432/defects',
      qdrantUrl: 'https://qdrant.example:6333',
      qdrantApiKey: 'key-1',
      embedded: { postgres: false, qdrant: false },
    });
    expect(process.listenerCount('SIGTERM')).toBe(handlersBefore);
    expect(existsSync(path.join(data.dir, 'postgres'))).toBe(false);
    expect(existsSync(path.join(data.dir, 'qdrant'))).toBe(false);
    await services.stop();
  });

  // The owner is a separate process, as with `defect-rag serve`; this one reuses its servers.
  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('starts both under the data dir, is reused, and %s stops them cleanly', async (signal, exitCode) => {
    const owner = startFixture('services-until-signal', [], { ...process.env, DEFECT_RAG_DATA_DIR: data.dir });
    try {
      const started = (await owner.output) as Omit<Services, 'stop'>;
      expect(started.embedded).toEqual({ postgres: true, qdrant: true });
      expect(await selectOne(started.databaseUrl)).toEqual({ one: 1 });
      expect((await fetch(`${started.qdrantUrl}/readyz`)).ok).toBe(true);

      const reused: Services = await startServices(configFor(data.dir));
      expect(reused).toMatchObject({ databaseUrl: started.databaseUrl, qdrantUrl: started.qdrantUrl });
      expect(reused.embedded).toEqual({ postgres: true, qdrant: true });
      await reused.stop();
      expect(await selectOne(started.databaseUrl)).toEqual({ one: 1 });

      const pids = [await serverPid(path.join(data.dir, 'postgres')), await serverPid(path.join(data.dir, 'qdrant'))];
      owner.child.kill(signal);
      expect(await exitOf(owner.child)).toEqual({ code: exitCode, signal: null });
      expect(pids.map(isPidAlive)).toEqual([false, false]);
      expect(await isPortOpen(Number(new URL(started.databaseUrl).port))).toBe(false);
      expect(await isPortOpen(Number(new URL(started.qdrantUrl).port))).toBe(false);
      expect(existsSync(path.join(data.dir, 'postgres', 'server.json'))).toBe(false);
      expect(existsSync(path.join(data.dir, 'qdrant', 'server.json'))).toBe(false);
    } finally {
      owner.child.kill('SIGKILL');
    }
  });
});
