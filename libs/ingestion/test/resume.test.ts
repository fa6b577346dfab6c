import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedQdrant, type EmbeddedServer } from '@defect-rag/servers';
import {
  copySampleSubset,
  sampleDatasetOrSkip,
  startTestPostgres,
  type TestPostgres,
  type TestServers,
} from '@defect-rag/testing';
import { VectorStore } from '@defect-rag/vector-store';
import { ingestDataset } from '../src';
import { type Backend } from '@defect-rag/runs';
import { childEnv, ingestProcess, startTestBackend, testBackend } from '@defect-rag/runs/testing';

const sample = sampleDatasetOrSkip();

/** crop id → sha256 of its payload, for every point of the dataset. */
async function snapshot(store: VectorStore, collection: string, cropIds: string[]): Promise<Map<string, string>> {
  const points = await store.getPoints(collection, cropIds);
  return new Map(
    points.map((point) => [point.cropId, createHash('sha256').update(JSON.stringify(point.payload)).digest('hex')]),
  );
}

describe.skipIf(!sample)('a run killed with SIGKILL', () => {
  let servers: TestServers;
  let backend: Backend;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    ({ servers, backend, stop } = await startTestBackend());
  }, 120_000);

  afterAll(async () => {
    await stop?.();
  });

  it('is resumed by the next run, which ends with exactly the points of an uninterrupted run and redoes no finished crop', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'defect-rag-resume-'));
    const args = ['--import', 'tsx', ingestProcess, sample!, 'resumed', '4'];
    const child = spawn(process.execPath, args, { env: childEnv(servers, dataDir), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.on('exit', (code, signal) => resolve(signal ?? code)),
    );

    const store = new VectorStore({ url: servers.qdrantUrl });
    const dataset = async () => backend.db.datasets.findByName('resumed');
    let killedAt = 0;
    for (const deadline = Date.now() + 120_000; Date.now() < deadline;) {
      const found = await dataset();
      const run = found && (await backend.db.runs.list({ datasetId: found.id }, { first: 1 })).items[0];
      if (run?.collection) {
        killedAt = await store.count(run.collection, { datasetId: found!.id }).catch(() => 0);
        if (killedAt >= 60) break;
      }
      await sleep(50);
    }
    child.kill('SIGKILL');
    expect(await exited, stderr).toBe('SIGKILL');
    expect(killedAt).toBeGreaterThanOrEqual(60);

    const interrupted = (await backend.db.runs.list({ datasetId: (await dataset())!.id }, { first: 1 })).items[0]!;
    expect(interrupted.status).toBe('RUNNING');

    const resumed = await ingestDataset(backend, { datasetDir: sample!, name: 'resumed' });
    expect(resumed.resumed).toBe(true);
    expect(resumed.runId).toBe(interrupted.id);
    expect(resumed.unchanged).toBeGreaterThanOrEqual(killedAt);
    expect(resumed.embedded + resumed.unchanged).toBe(resumed.crops.total);
    expect(resumed.points).toBe(resumed.crops.total);
    expect((await backend.db.runs.get(interrupted.id)).status).toBe('SUCCEEDED');

    expect(resumed.photos.points).toBe(114);
    // Crop and photo points alike.
    const pointKeys = async (summary: typeof resumed) =>
      (
        await Promise.all(
          (['crop', 'photo'] as const).map((level) =>
            store.scrollPayloads(summary.collection, { datasetId: summary.datasetId, level }),
          ),
        )
      )
        .flat()
        .map((ref) => ref.cropId);
    const cropIds = await pointKeys(resumed);
    const afterResume = await snapshot(store, resumed.collection, cropIds);

    await store.deletePoints(resumed.collection, { datasetId: resumed.datasetId });
    expect(await store.count(resumed.collection, { datasetId: resumed.datasetId, level: 'photo' })).toBe(0);
    const clean = await ingestDataset(backend, { datasetDir: sample!, name: 'resumed' });
    expect(clean.embedded).toBe(clean.crops.total);
    expect(clean.photos.embedded).toBe(114);
    const cleanCropIds = await pointKeys(clean);
    expect(new Set(cleanCropIds)).toEqual(new Set(cropIds));
    expect(await snapshot(store, clean.collection, cleanCropIds)).toEqual(afterResume);
  }, 180_000);

  it('in the middle of the photo points is resumed by the next run, which ends with the same photo points', async () => {
    const dataset = (await backend.db.datasets.findByName('resumed'))!;
    const collection = (await backend.db.runs.list({ datasetId: dataset.id }, { first: 1 })).items[0]!.collection!;
    const store = new VectorStore({ url: servers.qdrantUrl });
    const photoKeys = (await store.scrollPayloads(collection, { datasetId: dataset.id, level: 'photo' })).map(
      (ref) => ref.cropId,
    );
    expect(photoKeys).toHaveLength(114);
    const complete = await snapshot(store, collection, photoKeys);
    await store.deletePoints(collection, { datasetId: dataset.id, level: 'photo' });
    expect(await store.count(collection, { datasetId: dataset.id })).toBeGreaterThan(0);

    const dataDir = mkdtempSync(path.join(tmpdir(), 'defect-rag-resume-'));
    const args = ['--import', 'tsx', ingestProcess, sample!, 'resumed', '4'];
    const child = spawn(process.execPath, args, { env: childEnv(servers, dataDir), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.on('exit', (code, signal) => resolve(signal ?? code)),
    );
    let killedAt = 0;
    for (const deadline = Date.now() + 120_000; Date.now() < deadline && killedAt < 20; await sleep(50)) {
      killedAt = await store.count(collection, { datasetId: dataset.id, level: 'photo' });
    }
    child.kill('SIGKILL');
    expect(await exited, stderr).toBe('SIGKILL');
    expect(killedAt).toBeGreaterThanOrEqual(20);

    const resumed = await ingestDataset(backend, { datasetDir: sample!, name: 'resumed' });
    expect(resumed.resumed).toBe(true);
    expect(resumed.embedded).toBe(0);
    expect(resumed.photos.unchanged).toBeGreaterThanOrEqual(killedAt);
    expect(resumed.photos.embedded + resumed.photos.unchanged).toBe(114);
    expect(await snapshot(store, collection, photoKeys)).toEqual(complete);
  }, 180_000);
});

describe.skipIf(!sample)('Qdrant stopped in the middle of a run', () => {
  let postgres: TestPostgres;
  let qdrantDir: string;
  let qdrant: EmbeddedServer;
  let backend: Backend;

  beforeAll(async () => {
    postgres = await startTestPostgres();
    qdrantDir = await mkdtemp(path.join(tmpdir(), 'defect-rag-qdrant-down-'));
    qdrant = await startEmbeddedQdrant({ dataDir: qdrantDir });
    backend = await testBackend({ databaseUrl: await postgres.createDatabase('qdrant_down'), qdrantUrl: qdrant.url });
  }, 120_000);

  afterAll(async () => {
    await backend?.close();
    await qdrant?.stop();
    await postgres?.stop();
    await rm(qdrantDir, { recursive: true, force: true });
  });

  it('ends the run FAILED with QDRANT_UNAVAILABLE, and a later run completes it', async () => {
    const dir = copySampleSubset(sample!, [
      'cdd_10',
      'cdd_13',
      'cdd_14',
      'cdd_15',
      'cdd_16',
      'cps_car10',
      'cps_car118',
    ]);
    const options = { datasetDir: dir, name: 'flaky', batchSize: 2, crop: { balance: false } };
    let runId = '';
    let stopped: Promise<void> | undefined;
    const failing = ingestDataset(backend, options, {
      onRunStarted: (run) => (runId = run.id),
      onProgress: ({ stage, done }) => {
        if (stage === 'embedding' && done >= 4 && !stopped) stopped = qdrant.stop();
      },
    });
    await expect(failing).rejects.toMatchObject({ code: 'QDRANT_UNAVAILABLE' });
    await stopped;
    const failed = await backend.db.runs.get(runId);
    expect(failed).toMatchObject({ status: 'FAILED', errorCode: 'QDRANT_UNAVAILABLE' });
    expect(failed.error).toContain(qdrant.url);

    qdrant = await startEmbeddedQdrant({ dataDir: qdrantDir, httpPort: Number(new URL(qdrant.url).port) });
    const completed = await ingestDataset(backend, options);
    expect(completed.runId).not.toBe(runId);
    expect(completed.unchanged).toBeGreaterThanOrEqual(4);
    expect(completed.points).toBe(completed.crops.total);
  });
});
