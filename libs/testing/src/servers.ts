import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres, startEmbeddedQdrant } from '@defect-rag/servers';
import { currentTestServerKind, startPostgresContainer, startQdrantContainer } from './containers';

export interface TestServers {
  databaseUrl: string;
  qdrantUrl: string;
  /** Stops both servers and deletes their data. */
  stop(): Promise<void>;
}

/**
 * A real PostgreSQL (with an empty `defect_rag` database) and a real Qdrant for one test file,
 * in a fresh temporary data dir on free ports, or in containers (see `TestServerKind`). Start it in
 * `beforeAll` and stop it in `afterAll`.
 */
export async function startTestServers(): Promise<TestServers> {
  if ((await currentTestServerKind()) === 'containers') {
    const started = await Promise.allSettled([startPostgresContainer(), startQdrantContainer()]);
    const stop = async () => {
      await Promise.all(started.map((result) => (result.status === 'fulfilled' ? result.value.stop() : undefined)));
    };
    const [postgres, qdrant] = started;
    if (postgres.status === 'rejected' || qdrant.status === 'rejected') {
      await stop();
      throw postgres.status === 'rejected' ? postgres.reason : (qdrant as PromiseRejectedResult).reason;
    }
    return { databaseUrl: postgres.value.url, qdrantUrl: qdrant.value.url, stop };
  }
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'defect-rag-test-'));
  // mkdtemp makes it 0700; run as root, PostgreSQL runs as the `postgres` user, who must enter it.
  await chmod(dataDir, 0o755);
  const started = await Promise.allSettled([
    startEmbeddedPostgres({ dataDir: path.join(dataDir, 'postgres') }),
    startEmbeddedQdrant({ dataDir: path.join(dataDir, 'qdrant') }),
  ]);
  const stop = async () => {
    await Promise.all(started.map((result) => (result.status === 'fulfilled' ? result.value.stop() : undefined)));
    await rm(dataDir, { recursive: true, force: true });
  };
  const [postgres, qdrant] = started;
  if (postgres.status === 'rejected' || qdrant.status === 'rejected') {
    await stop();
    throw postgres.status === 'rejected' ? postgres.reason : (qdrant as PromiseRejectedResult).reason;
  }
  return { databaseUrl: postgres.value.url, qdrantUrl: qdrant.value.url, stop };
}
