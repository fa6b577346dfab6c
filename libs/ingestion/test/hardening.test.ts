import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copySampleSubset, sampleDatasetOrSkip, type TestServers } from '@defect-rag/testing';
import { getCrop } from '@defect-rag/search';
import { HEARTBEAT_STALE_MS, isOwnerGone, type Backend } from '@defect-rag/runs';
import { ingestDataset } from '../src';
import { startTestBackend, testBackend } from '@defect-rag/runs/testing';

const sample = sampleDatasetOrSkip();

/** Renames every damage shape of an image's annotation to `label`. */
function relabel(dir: string, stem: string, label: string): void {
  const file = path.join(dir, 'annotations', `${stem}_labelDANO_modificado.json`);
  const annotation = JSON.parse(readFileSync(file, 'utf8')) as { shapes: { label: string }[] };
  for (const shape of annotation.shapes) shape.label = label;
  writeFileSync(file, JSON.stringify(annotation));
}

describe.skipIf(!sample)('ingestion with faulty input', () => {
  let backend: Backend;
  let servers: TestServers;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    ({ backend, servers, stop } = await startTestBackend());
  }, 120_000);

  afterAll(async () => {
    await stop?.();
  });

  it('lists an unknown damage label once per run, however many images and stages meet it', async () => {
    const dir = copySampleSubset(sample!, ['cdd_10', 'cdd_13']);
    relabel(dir, 'cdd_10', 'xyzzy');
    relabel(dir, 'cdd_13', 'xyzzy');
    const summary = await ingestDataset(backend, { datasetDir: dir, name: 'unknown-label' });
    const unknown = summary.problems.filter((problem) => problem.code === 'LABEL_UNKNOWN');
    expect(
      unknown.filter((problem) => problem.message.includes("'xyzzy'") || problem.item.includes("'xyzzy'")),
    ).toHaveLength(1);
    const recorded = await backend.db.runs.listProblems(summary.runId, { first: 100 });
    expect(recorded.items.filter((problem) => problem.code === 'LABEL_UNKNOWN')).toHaveLength(unknown.length);
  }, 120_000);

  it('reports a combined label with an unknown part once, and labels its crops with the part it knows', async () => {
    const dir = copySampleSubset(sample!, ['cdd_10', 'cdd_13']);
    relabel(dir, 'cdd_10', 'scratch y xyzzy');
    relabel(dir, 'cdd_13', 'scratch y xyzzy');
    const summary = await ingestDataset(backend, { datasetDir: dir, name: 'combined-label' });
    const unknown = summary.problems.filter((problem) => problem.code === 'LABEL_UNKNOWN');
    expect(unknown.filter((problem) => problem.message.includes("'scratch y xyzzy'"))).toHaveLength(1);
    const crops = await backend.vectorStore.scrollPayloads(summary.collection, {
      datasetId: summary.datasetId,
      hasDamage: true,
    });
    expect(crops.length).toBeGreaterThan(0);
    const points = await backend.vectorStore.getPoints(
      summary.collection,
      crops.map((crop) => crop.cropId),
    );
    for (const point of points) expect(point.payload.damage_types).toEqual(['scratch']);
  }, 120_000);

  it('ingesting another folder under a registered name needs repoint (DATASET_CONFLICT otherwise)', async () => {
    const first = copySampleSubset(sample!, ['cdd_10']);
    const second = copySampleSubset(sample!, ['cdd_13']);
    await ingestDataset(backend, { datasetDir: first, name: 'fleet' });
    await expect(ingestDataset(backend, { datasetDir: second, name: 'fleet' })).rejects.toMatchObject({
      code: 'DATASET_CONFLICT',
    });
    expect((await backend.db.datasets.findByName('fleet'))!.root).toBe(first);
    const repointed = await ingestDataset(backend, { datasetDir: second, name: 'fleet', repoint: true });
    expect(repointed.images).toBe(1);
    expect((await backend.db.datasets.findByName('fleet'))!.root).toBe(second);
  }, 120_000);

  it('ingests past a malformed poligonos.json: a run problem, damaged photos indexed with zone unknown, clean ones skipped', async () => {
    const dir = copySampleSubset(sample!, ['cdd_10', 'cdd_13', 'cps_car10']);
    writeFileSync(path.join(dir, 'poligonos.json'), '{"cdd_10.jpg": {"width": 10');
    const summary = await ingestDataset(backend, { datasetDir: dir, name: 'broken-polygons' });
    expect((await backend.db.runs.get(summary.runId)).status).toBe('SUCCEEDED');
    expect(summary.problems).toContainEqual(
      expect.objectContaining({
        item: 'poligonos.json',
        code: 'POLYGONS_INVALID',
        message: expect.stringContaining('malformed JSON'),
      }),
    );
    expect(summary.problems).toContainEqual(
      expect.objectContaining({
        item: 'images/cps_car10.jpg',
        code: 'POLYGONS_INVALID',
        message: expect.stringContaining('skipped'),
      }),
    );
    expect(summary.images).toBe(2);
    expect(summary.crops.clean).toBe(0);
    expect(summary.crops.damage).toBeGreaterThan(0);
    const payloads = await backend.vectorStore.scrollPayloads(summary.collection, { datasetId: summary.datasetId });
    expect(payloads).toHaveLength(summary.crops.total);
    for (const { cropId } of payloads) expect((await getCrop(backend, cropId)).vehicleZone).toBe('unknown');
  }, 120_000);

  it('judges a run orphaned by its heartbeat, or on this machine by its pid', () => {
    const now = Date.now();
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const here = (pid: number) => `${os.hostname()}:${pid}`;
    expect(isOwnerGone(here(process.pid), new Date(now), now)).toBe(false);
    expect(isOwnerGone(here(dead), new Date(now), now)).toBe(true);
    expect(isOwnerGone('elsewhere:1', new Date(now - 1_000), now)).toBe(false);
    expect(isOwnerGone('elsewhere:1', new Date(now - HEARTBEAT_STALE_MS - 1), now)).toBe(true);
    expect(isOwnerGone(null, new Date(now - HEARTBEAT_STALE_MS - 1), now)).toBe(true);
  });

  it('marks a run whose process is gone INTERRUPTED when the next process starts, and the next ingest resumes it', async () => {
    const dir = copySampleSubset(sample!, ['cdd_10', 'cdd_13']);
    const first = await ingestDataset(backend, { datasetDir: dir, name: 'orphaned' });
    const { configHash, datasetId } = await backend.db.runs.get(first.runId);
    // A run of the same options left RUNNING by a process that died (SIGKILL, a crash).
    const orphan = await backend.db.runs.create({ datasetId, kind: 'INGEST', configHash: configHash! });
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
    await backend.db.runs.markRunning(orphan.id, `${os.hostname()}:${deadPid}`);
    // Another process's live run is left alone.
    const alive = await backend.db.runs.create({ datasetId, kind: 'EVALUATE' });
    await backend.db.runs.markRunning(alive.id, `${os.hostname()}:${process.pid}`);

    const next = await testBackend(servers);
    try {
      expect(await next.db.runs.get(orphan.id)).toMatchObject({ status: 'INTERRUPTED', errorCode: 'RUN_INTERRUPTED' });
      expect((await next.db.runs.get(alive.id)).status).toBe('RUNNING');
      const resumed = await ingestDataset(next, { datasetDir: dir, name: 'orphaned' });
      expect(resumed).toMatchObject({ resumed: true, runId: orphan.id });
      expect((await next.db.runs.get(orphan.id)).status).toBe('SUCCEEDED');
    } finally {
      await next.db.runs.finish(alive.id, { status: 'CANCELLED' });
      await next.close();
    }
  }, 120_000);
});
