import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBackend, type Backend, type IngestionSummary } from '@defect-rag/pipeline';
import { createLogger, loadConfig, workspaceRoot } from '@defect-rag/runtime';
import { copySampleSubset, sampleDatasetOrSkip, startTestServers, type TestServers } from '@defect-rag/testing';

const sample = sampleDatasetOrSkip();
const bin = path.join(workspaceRoot, 'apps', 'cli', 'bin', 'defect-rag.mjs');
const tinyModelDir = path.join(workspaceRoot, 'models', 'tiny-clip');

describe.skipIf(!sample)('defect-rag ingest --workers', () => {
  let servers: TestServers;
  let backend: Backend;

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
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'defect-rag-workers-'));
    await chmod(dataDir, 0o755);
    backend = await openBackend(loadConfig(env(dataDir), { dotenv: false }), createLogger('silent'));
  }, 120_000);

  afterAll(async () => {
    await backend?.close();
    await servers?.stop();
  });

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
