import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '@defect-rag/servers';
import { currentTestServerKind, startPostgresContainer } from './containers';

export interface TestPostgres {
  url: string;
  /** Creates an empty database on the server and returns its URL, so tests do not share state. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server and deletes its data. */
  stop(): Promise<void>;
}

/**
 * A real PostgreSQL for one test file: embedded, in a fresh temporary data dir on a free port, or
 * in a container (see `TestServerKind`).
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const server = (await currentTestServerKind()) === 'containers' ? await startPostgresContainer() : await embedded();
  return {
    url: server.url,
    createDatabase: async (name) => {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      const url = new URL(server.url);
      url.pathname = `/${name}`;
      return url.toString();
    },
    stop: () => server.stop(),
  };
}

async function embedded(): Promise<{ url: string; stop(): Promise<void> }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'defect-rag-pg-'));
  // mkdtemp makes it 0700; run as root, PostgreSQL runs as the `postgres` user, who must enter it.
  await chmod(dataDir, 0o755);
  const server = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'postgres') });
  return {
    url: server.url,
    stop: async () => {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
