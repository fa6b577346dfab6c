import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copySampleSubset, sampleDatasetOrSkip } from '@defect-rag/testing';
import { getCrop, ingestDataset, type Backend } from '../src';
import { startTestBackend } from './helpers';

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
  let stop: () => Promise<void>;

  beforeAll(async () => {
    ({ backend, stop } = await startTestBackend());
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
});
