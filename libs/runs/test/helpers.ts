import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger, loadConfig, workspaceRoot } from '@defect-rag/runtime';
import { startTestServers, type TestServers } from '@defect-rag/testing';
import { openBackend, type Backend } from '../src';

export const tinyModelDir = path.join(workspaceRoot, 'models', 'tiny-clip');

/** A backend on the given servers, with its own data dir (crops) and the tiny model (or `modelDir`). */
export async function testBackend(
  urls: { databaseUrl: string; qdrantUrl: string },
  dataDir = mkdtempSync(path.join(tmpdir(), 'defect-rag-data-')),
  modelDir = tinyModelDir,
  env: NodeJS.ProcessEnv = {},
): Promise<Backend> {
  const config = loadConfig(
    {
      DATABASE_URL: urls.databaseUrl,
      QDRANT_URL: urls.qdrantUrl,
      DEFECT_RAG_DATA_DIR: dataDir,
      DEFECT_RAG_MODEL_DIR: modelDir,
      LOG_LEVEL: 'silent',
      ...env,
    },
    { cwd: workspaceRoot, dotenv: false },
  );
  return openBackend(config, createLogger('silent'));
}

export interface TestBackend {
  servers: TestServers;
  backend: Backend;
  /** Closes the backend, then stops the servers and deletes their data. */
  stop(): Promise<void>;
}

/** Fresh embedded servers and a backend on them: what most test files start in `beforeAll`. */
export async function startTestBackend(dataDir?: string, modelDir?: string): Promise<TestBackend> {
  const servers = await startTestServers();
  try {
    const backend = await testBackend(servers, dataDir, modelDir);
    return {
      servers,
      backend,
      stop: async () => {
        await backend.close();
        await servers.stop();
      },
    };
  } catch (error) {
    await servers.stop();
    throw error;
  }
}

/** The environment that makes a child `defect-rag` process use the same servers and model. */
export function childEnv(urls: { databaseUrl: string; qdrantUrl: string }, dataDir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: urls.databaseUrl,
    QDRANT_URL: urls.qdrantUrl,
    DEFECT_RAG_DATA_DIR: dataDir,
    DEFECT_RAG_MODEL_DIR: tinyModelDir,
    LOG_LEVEL: 'warn',
  };
}

/** `fixtures/worker-process.ts`: a worker of distributed ingestions in a process of its own. */
export const workerProcess = path.join(workspaceRoot, 'libs', 'ingestion', 'test', 'fixtures', 'worker-process.ts');

/** `fixtures/ingest-process.ts`: an ingestion in a process of its own, for tests that kill one. */
export const ingestProcess = path.join(workspaceRoot, 'libs', 'ingestion', 'test', 'fixtures', 'ingest-process.ts');
