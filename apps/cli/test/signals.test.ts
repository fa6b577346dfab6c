import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBackend, type Backend, type IngestionSummary } from '@defect-rag/pipeline';
import { createLogger, loadConfig, workspaceRoot } from '@defect-rag/runtime';
import { copySampleSubset, sampleDatasetOrSkip, startTestServers, type TestServers } from '@defect-rag/testing';

const sample = sampleDatasetOrSkip();
const bin = path.join(workspaceRoot, 'apps', 'cli', 'bin', 'defect-rag.mjs');
const tinyModelDir = path.join(workspaceRoot, 'models', 'tiny-clip');

describe.skipIf(!sample)('defect-rag ingest: signals and --workers', () => {
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

  it('spreads the run over local worker processes and ends it SUCCEEDED with every point', async () => {
    const dataset = copySampleSubset(sample!, ['cdd_10', 'cdd_13', 'cdd_14', 'cps_car10', 'cps_car118', 'cps_car122']);
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'defect-rag-workers-'));
    const args = [bin, 'ingest', dataset, '--name', 'workers', '--workers', '2', '--batch-photos', '2', '--json'];
    const child = spawn(process.execPath, args, { env: env(dataDir), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    expect(await new Promise((resolve) => child.on('exit', resolve)), stderr).toBe(0);

    const summary = JSON.parse(stdout) as IngestionSummary;
    expect(summary.images).toBe(6);
    expect(summary.embedded).toBe(summary.crops.total);
    expect(summary.points).toBe(summary.crops.total);
    expect(summary.photos).toMatchObject({ points: 6, embedded: 6 });
    const run = await backend.db.runs.get(summary.runId);
    expect(run.status).toBe('SUCCEEDED');
    // The coordinator only planned: the batches (3 of 2 photos) were the workers'.
    expect(run.progress.batches).toEqual({ done: 3, total: 3 });
    expect(run.progress.embedding).toBeUndefined();
  }, 240_000);
});
