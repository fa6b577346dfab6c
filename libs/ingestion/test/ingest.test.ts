import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDataset, type SplitFile } from '@defect-rag/dataset';
import { copySampleSubset, sampleDatasetOrSkip, type TestServers } from '@defect-rag/testing';
import { VectorStore } from '@defect-rag/vector-store';
import { ingestDataset, type IngestionSummary } from '../src';
import { searchSimilar } from '@defect-rag/search';
import { type Backend } from '@defect-rag/runs';
import { startTestBackend } from '@defect-rag/runs/testing';

const sample = sampleDatasetOrSkip();

describe.skipIf(!sample)('ingestDataset on the shared sample with the tiny model', () => {
  let backend: Backend;
  let stop: () => Promise<void>;
  let summary: IngestionSummary;

  beforeAll(async () => {
    ({ backend, stop } = await startTestBackend());
    summary = await ingestDataset(backend, { datasetDir: sample!, name: 'sample' });
  }, 300_000);

  afterAll(async () => {
    await stop?.();
  });

  it('indexes one point per crop and records a succeeded run with stage progress, counts and timings', async () => {
    expect(summary.crops.total).toBeGreaterThan(300);
    expect(summary.points).toBe(summary.crops.total);
    expect(summary.embedded).toBe(summary.crops.total);
    expect(await backend.vectorStore.count(summary.collection, { datasetId: summary.datasetId })).toBe(
      summary.crops.total,
    );
    expect(summary.crops.damage).toBe(summary.crops.clean);

    const run = await backend.db.runs.get(summary.runId);
    expect(run).toMatchObject({
      status: 'SUCCEEDED',
      kind: 'INGEST',
      modelId: 'defect-rag/tiny-clip',
      collection: summary.collection,
    });
    expect(run.progress.embedding).toEqual({ done: summary.crops.total, total: summary.crops.total });
    expect(run.progress.crops?.done).toBe(run.progress.crops?.total);
    expect(run.counts).toMatchObject({ images: 114, crops: summary.crops.total, points: summary.crops.total });
    expect(run.timings.total).toBeGreaterThan(0);
    const dataset = await backend.db.datasets.findById(summary.datasetId);
    expect(dataset).toMatchObject({
      imageCount: 114,
      damagedCount: 55,
      cleanCount: 59,
      defectCount: 134,
      cropCount: summary.crops.total,
    });
  });

  it('a second run with nothing changed embeds nothing and keeps every point', async () => {
    const again = await ingestDataset(backend, { datasetDir: sample!, name: 'sample' });
    expect(again).toMatchObject({
      embedded: 0,
      unchanged: summary.crops.total,
      removed: 0,
      points: summary.crops.total,
    });
  });

  it('filters return only matching payloads, in every vector space', async () => {
    const zone = 'front';
    for (const mode of ['fused', 'image', 'text'] as const) {
      const damaged = await searchSimilar(backend, {
        text: 'deep scratch on the front bumper',
        mode,
        filter: { hasDamage: true, zones: [zone] },
        limit: 25,
      });
      expect(damaged.items.length).toBeGreaterThan(0);
      for (const { crop } of damaged.items) {
        expect(crop.hasDamage).toBe(true);
        expect(crop.vehicleZone).toBe(zone);
      }
      const clean = await searchSimilar(backend, {
        text: 'clean paint',
        mode,
        filter: { hasDamage: false, datasetId: summary.datasetId },
        limit: 25,
      });
      expect(clean.items.length).toBe(25);
      for (const { crop } of clean.items) {
        expect(crop.hasDamage).toBe(false);
        expect(crop.damageTypes).toEqual([]);
      }
    }
  });

  it('search by crop id never returns the crop itself, and finds crop files on disk', async () => {
    const [first] = (await searchSimilar(backend, { text: 'dent', limit: 1 })).items;
    const cropId = first!.crop.id;
    for (const mode of ['fused', 'image', 'text'] as const) {
      const result = await searchSimilar(backend, { cropId, mode, limit: 50 });
      expect(result.items.map((item) => item.crop.id)).not.toContain(cropId);
      expect(result.items).toHaveLength(50);
    }
    expect(first!.crop.file!.startsWith(backend.cropsDir(summary.datasetId))).toBe(true);
  });
});

describe.skipIf(!sample)('ingestDataset on a changing dataset', () => {
  let servers: TestServers;
  let backend: Backend;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    ({ servers, backend, stop } = await startTestBackend());
  }, 120_000);

  afterAll(async () => {
    await stop?.();
  });

  it('updates changed images, removes points of vanished ones and leaves the rest alone', async () => {
    const dir = copySampleSubset(sample!, ['cdd_10', 'cdd_13', 'cdd_14', 'cps_car10', 'cps_car118']);
    const options = { datasetDir: dir, name: 'changing', crop: { balance: false } };
    const first = await ingestDataset(backend, options);
    const store = new VectorStore({ url: servers.qdrantUrl });
    const before = await store.scrollPayloads(first.collection, { datasetId: first.datasetId });
    const imageOf = (stem: string) => before.filter((ref) => ref.cropId.startsWith(`${stem}_`));
    expect(imageOf('cdd_13').length).toBeGreaterThan(0);
    expect(imageOf('cps_car118').length).toBeGreaterThan(0);

    rmSync(path.join(dir, 'images', 'cps_car118.jpg'));
    // Same pixels, other bytes: a byte after the JPEG's end changes the file, not the image.
    const changed = path.join(dir, 'images', 'cdd_13.jpg');
    writeFileSync(changed, Buffer.concat([readFileSync(changed), Buffer.from([0])]));

    const second = await ingestDataset(backend, options);
    expect(second.removed).toBe(imageOf('cps_car118').length);
    expect(second.embedded).toBe(imageOf('cdd_13').length);
    expect(second.unchanged).toBe(before.length - imageOf('cps_car118').length - imageOf('cdd_13').length);
    const after = await store.scrollPayloads(first.collection, { datasetId: first.datasetId });
    expect(after.some((ref) => ref.cropId.startsWith('cps_car118_'))).toBe(false);
    const hashOf = (refs: typeof before, id: string) => refs.find((ref) => ref.cropId === id)?.contentHash;
    for (const ref of imageOf('cdd_13')) expect(hashOf(after, ref.cropId)).not.toBe(ref.contentHash);
    for (const ref of imageOf('cdd_10')) expect(hashOf(after, ref.cropId)).toBe(ref.contentHash);
  });

  it("a good photo's points are the same whatever folder holds it and whatever bad photos lie beside it", async () => {
    const stems = ['cdd_10', 'cdd_14', 'cps_car10'];
    const good = await ingestDataset(backend, { datasetDir: copySampleSubset(sample!, stems), name: 'moved' });
    const mixedDir = copySampleSubset(sample!, stems);
    // A photo whose bytes are no image, with a damage file of good shapes: rejected, with a problem.
    writeFileSync(path.join(mixedDir, 'images', 'broken.jpg'), Buffer.from('not a jpeg'));
    writeFileSync(
      path.join(mixedDir, 'annotations', 'broken_labelDANO_modificado.json'),
      readFileSync(path.join(mixedDir, 'annotations', 'cdd_10_labelDANO_modificado.json')),
    );
    const mixed = await ingestDataset(backend, { datasetDir: mixedDir, name: 'moved', repoint: true });
    expect(mixed.problems.map((problem) => problem.item)).toContain('images/broken.jpg');
    expect(mixed.crops).toEqual(good.crops);
    expect(mixed.embedded).toBe(0);
    expect(mixed.unchanged).toBe(good.crops.total);
    expect(mixed.photos.embedded).toBe(0);
  });

  it('a new split only rewrites the split of the crops that moved: nothing is embedded again', async () => {
    const dir = copySampleSubset(sample!, ['cdd_10', 'cdd_14', 'cps_car10', 'cps_car118']);
    const dataset = await readDataset(dir, { name: 'resplit' });
    const writeSplit = (file: string, test: readonly string[]) => {
      const images = dataset.images.map((image) => ({
        image: image.path,
        image_id: image.id,
        split: test.includes(image.path) ? ('test' as const) : ('train' as const),
        stratum: 'all',
      }));
      const split = {
        dataset: 'resplit',
        seed: 0,
        test_fraction: 0.5,
        counts: { images: images.length, train: images.length - test.length, test: test.length },
        strata: [{ stratum: 'all', train: images.length - test.length, test: test.length }],
        images,
      } satisfies SplitFile;
      writeFileSync(path.join(dir, file), JSON.stringify(split));
      return path.join(dir, file);
    };
    const options = { datasetDir: dir, name: 'resplit', crop: { balance: false } };
    const first = await ingestDataset(backend, {
      ...options,
      splitFile: writeSplit('split-a.json', ['images/cdd_10.jpg', 'images/cps_car10.jpg']),
    });
    const second = await ingestDataset(backend, {
      ...options,
      splitFile: writeSplit('split-b.json', ['images/cdd_14.jpg', 'images/cps_car10.jpg']),
    });

    const store = new VectorStore({ url: servers.qdrantUrl });
    const refs = await store.scrollPayloads(second.collection, { datasetId: second.datasetId });
    const moved = refs.filter((ref) => /^(cdd_10|cdd_14)_/.test(ref.cropId));
    expect(moved.length).toBeGreaterThan(0);
    expect(second).toMatchObject({
      embedded: 0,
      removed: 0,
      unchanged: first.crops.total,
      resplit: moved.length,
      points: first.crops.total,
    });
    const expected = (cropId: string) => (/^(cdd_14|cps_car10)_/.test(cropId) ? 'test' : 'train');
    for (const ref of refs) expect(ref.split).toBe(expected(ref.cropId));
    const testHits = await searchSimilar(backend, {
      text: 'dent',
      filter: { datasetId: second.datasetId, split: 'test' },
      limit: 100,
    });
    expect(testHits.items.map((item) => item.crop.id).sort()).toEqual(
      refs
        .filter((ref) => ref.split === 'test')
        .map((ref) => ref.cropId)
        .sort(),
    );
  });

  it('refuses a second run on a dataset while one holds it (RUN_CONFLICT)', async () => {
    const dir = copySampleSubset(sample!, ['cdd_10', 'cps_car10']);
    const dataset = await backend.db.datasets.register({ name: 'busy', root: dir });
    const lock = await backend.db.tryLockDataset(dataset.id);
    try {
      await expect(ingestDataset(backend, { datasetDir: dir, name: 'busy' })).rejects.toMatchObject({
        code: 'RUN_CONFLICT',
      });
    } finally {
      await lock!.release();
    }
  });

  it('a cancel request stops the run at its next batch and leaves it CANCELLED', async () => {
    const dir = copySampleSubset(sample!, ['cdd_10', 'cdd_13', 'cdd_14', 'cdd_15', 'cdd_16']);
    let runId: string | undefined;
    const run = ingestDataset(
      backend,
      { datasetDir: dir, name: 'cancelled', crop: { balance: false } },
      {
        onRunStarted: (started) => {
          runId = started.id;
          void backend.db.runs.requestCancel(started.id);
        },
      },
    );
    await expect(run).rejects.toMatchObject({ code: 'RUN_CANCELLED' });
    const stored = await backend.db.runs.get(runId!);
    expect(stored.status).toBe('CANCELLED');
    expect(stored.finishedAt).toBeInstanceOf(Date);
  });
});
