import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBackend, type Backend } from '@defect-rag/runs';
import { type IngestionSummary } from '@defect-rag/ingestion';
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

  /** `defect-rag ingest` in a process group of its own (so that its workers can be killed with it). */
  function ingest(dataDir: string, ...args: string[]) {
    const child = spawn(process.execPath, [bin, 'ingest', ...args], {
      env: env(dataDir),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.on('exit', (code, signal) => resolve(signal ?? code)),
    );
    return { child, exited, stdout: () => stdout, stderr: () => stderr };
  }

  const subset = () =>
    copySampleSubset(sample!, ['cdd_10', 'cdd_13', 'cdd_14', 'cps_car10', 'cps_car118', 'cps_car122']);

  it('spreads the run over local worker processes and ends it SUCCEEDED with every point', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'defect-rag-workers-'));
    const run = ingest(dataDir, subset(), '--name', 'workers', '--workers', '2', '--batch-photos', '2', '--json');
    expect(await run.exited, run.stderr()).toBe(0);

    const summary = JSON.parse(run.stdout()) as IngestionSummary;
    expect(summary.images).toBe(6);
    expect(summary.embedded).toBe(summary.crops.total);
    expect(summary.points).toBe(summary.crops.total);
    expect(summary.photos).toMatchObject({ points: 6, embedded: 6 });
    const record = await backend.db.runs.get(summary.runId);
    expect(record.status).toBe('SUCCEEDED');
    // The coordinator only planned: the batches (3 of 2 photos) were the workers'.
    expect(record.progress.batches).toEqual({ done: 3, total: 3 });
    expect(record.progress.embedding).toBeUndefined();
  }, 240_000);

  it('resumes a distributed run whose coordinator and workers were SIGKILLed, queueing only what is left', async () => {
    const dataset = subset();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'defect-rag-workers-'));
    const args = [dataset, '--name', 'killed-coordinator', '--workers', '1', '--batch-photos', '1'];
    const killed = ingest(dataDir, ...args);
    // The test decides how far the run gets (a tiny-model batch takes well under the coordinator's
    // 500 ms progress poll, so watching progress cannot catch it halfway): once the 6 batches are
    // queued, the coordinator and its worker are frozen (the worker is still starting: it needs
    // seconds to load), and a worker of the test's own does 2 batches.
    let runId: string | undefined;
    for (const deadline = Date.now() + 120_000; Date.now() < deadline && !runId; await sleep(20)) {
      const found = await backend.db.datasets.findByName('killed-coordinator');
      const run = found && (await backend.db.runs.list({ datasetId: found.id }, { first: 1 })).items[0];
      if (run?.progress.batches) runId = run.id;
    }
    expect(runId, killed.stderr()).toBeDefined();
    process.kill(-killed.child.pid!, 'SIGSTOP');
    const helper = spawn(process.execPath, [bin, 'worker'], { env: env(dataDir), stdio: ['ignore', 'ignore', 'pipe'] });
    let helperStderr = '';
    const twoBatches = new Promise<void>((resolve) =>
      helper.stderr.on('data', (chunk) => {
        helperStderr += chunk;
        if ((helperStderr.match(/^run .* batch \d+:/gm) ?? []).length >= 2) resolve();
      }),
    );
    const helperExited = new Promise<unknown>((resolve) => helper.on('exit', resolve));
    await Promise.race([twoBatches, helperExited]);
    // The coordinator and every worker at once, as a lost machine would leave them.
    process.kill(-killed.child.pid!, 'SIGKILL');
    helper.kill('SIGKILL');
    expect(await killed.exited).toBe('SIGKILL');
    await helperExited;
    expect(helperStderr).toMatch(/batch \d+:[^]*batch \d+:/);
    expect((await backend.db.runs.get(runId!)).status).toBe('RUNNING');

    const resumed = ingest(dataDir, ...args, '--json');
    expect(await resumed.exited, resumed.stderr()).toBe(0);
    const summary = JSON.parse(resumed.stdout()) as IngestionSummary;
    expect(summary).toMatchObject({ resumed: true, runId, images: 6 });
    expect(summary.unchanged).toBeGreaterThan(0);
    expect(summary.embedded + summary.unchanged).toBe(summary.crops.total);
    expect(summary.points).toBe(summary.crops.total);
    expect(summary.photos.points).toBe(6);
    const record = await backend.db.runs.get(runId!);
    expect(record.status).toBe('SUCCEEDED');
    // Only the photos the killed run had not finished were queued again.
    expect(record.progress.batches!.done).toBe(record.progress.batches!.total);
    expect(record.progress.batches!.total).toBeLessThanOrEqual(4);
  }, 240_000);
});
