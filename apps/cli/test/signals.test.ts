import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBackend, type Backend } from '@defect-rag/pipeline';
import { createLogger, loadConfig, workspaceRoot } from '@defect-rag/runtime';
import { sampleDatasetOrSkip, startTestServers, type TestServers } from '@defect-rag/testing';

const sample = sampleDatasetOrSkip();
const bin = path.join(workspaceRoot, 'apps', 'cli', 'bin', 'defect-rag.mjs');
const tinyModelDir = path.join(workspaceRoot, 'models', 'tiny-clip');

describe.skipIf(!sample)('defect-rag ingest and signals', () => {
  let servers: TestServers;
  let backend: Backend;

  /** The CLI's environment: the test servers, a data dir of its own, the tiny model. */
  const env = (dataDir: string): NodeJS.ProcessEnv => ({
    ...process.env,
    DATABASE_URL: servers.databaseUrl,
    QDRANT_URL: servers.qdrantUrl,
    DEFECT_RAG_DATA_DIR: dataDir,
    DEFECT_RAG_MODEL_DIR: tinyModelDir,
    LOG_LEVEL: 'warn',
  });

  beforeAll(async () => {
    servers = await startTestServers();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'defect-rag-signals-'));
    await chmod(dataDir, 0o755);
    backend = await openBackend(loadConfig(env(dataDir), { dotenv: false }), createLogger('silent'));
  }, 120_000);

  afterAll(async () => {
    await backend?.close();
    await servers?.stop();
  });

  it('SIGINT or SIGTERM to a CLI ingest cancels its run (CANCELLED, exit 4) instead of leaving it RUNNING', async () => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const name = `signalled-${signal}`;
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'defect-rag-signal-'));
      const child = spawn(process.execPath, [bin, 'ingest', sample!, '--name', name, '--batch-size', '2'], {
        env: env(dataDir),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      let runId: string | undefined;
      for (const deadline = Date.now() + 120_000; Date.now() < deadline && !runId; await sleep(50)) {
        const dataset = await backend.db.datasets.findByName(name);
        const run = dataset && (await backend.db.runs.list({ datasetId: dataset.id }, { first: 1 })).items[0];
        if (run?.progress.embedding && run.progress.embedding.done > 0) runId = run.id;
      }
      expect(runId, stderr).toBeDefined();
      child.kill(signal);
      expect(await exited, stderr).toBe(4);
      expect(stderr).toContain('error [RUN_CANCELLED]');
      expect((await backend.db.runs.get(runId!)).status).toBe('CANCELLED');
    }
  }, 300_000);
});
