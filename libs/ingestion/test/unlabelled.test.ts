import { rmSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pixelRegion, readDataset, regionArea } from '@defect-rag/dataset';
import { copySampleSubset, sampleDatasetOrSkip } from '@defect-rag/testing';
import { photoPointKey, type StoredCropPoint } from '@defect-rag/vector-store';
import { browseCrops, indexStats, searchSimilar } from '@defect-rag/search';
import { type Backend } from '@defect-rag/runs';
import { startTestBackend } from '@defect-rag/runs/testing';
import { ingestDataset, runWorker, type IngestionSummary } from '../src';

const sample = sampleDatasetOrSkip();
// One annotated photo (it stays labelled) and two plain ones (unlabelled), each with a silhouette and parts.
const DAMAGED = 'cdd_10';
const PLAIN = ['cps_car32', 'cps_te10'];

describe.skipIf(!sample)('an unlabelled dataset: plain photos become unmasked windows of unknown damage', () => {
  let backend: Backend;
  let stop: () => Promise<void>;
  let dir: string;
  let summary: IngestionSummary;
  let points: StoredCropPoint[];

  beforeAll(async () => {
    ({ backend, stop } = await startTestBackend());
    dir = copySampleSubset(sample!, [DAMAGED, ...PLAIN]);
    summary = await ingestDataset(backend, { datasetDir: dir, name: 'plain', unlabelled: true });
    const { collection, datasetId } = summary;
    const refs = await backend.vectorStore.scrollPayloads(collection, { datasetId });
    points = await backend.vectorStore.getPoints(
      collection,
      refs.map((ref) => ref.cropId),
    );
  }, 300_000);

  afterAll(async () => {
    await stop?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('cuts every plain photo into unmasked windows with labelled false, has_damage null and the zone of its parts', async () => {
    const dataset = await readDataset(dir, { name: 'plain', unlabelled: true });
    const plainIds = new Set(dataset.images.filter((image) => !image.labelled).map((image) => image.id));
    expect(plainIds.size).toBe(PLAIN.length);
    const windows = points.filter((point) => plainIds.has(point.payload.image_id));
    expect(summary.crops.unlabelled).toBe(windows.length);
    expect(windows.length).toBeGreaterThan(0);
    for (const { payload } of windows) {
      expect(payload).toMatchObject({ labelled: false, has_damage: null, strategy: 'grid', damage_types: [] });
      expect(payload.text_description).toMatch(/not inspected/);
    }
    // Every photo has parts in poligonos.json: at least some windows get a zone from them.
    expect(windows.some(({ payload }) => payload.vehicle_zone !== 'unknown')).toBe(true);

    // Unmasked: a window that reaches past the silhouette keeps its background pixels.
    const images = new Map(dataset.images.map((image) => [image.id, image]));
    const partial = windows
      .map(({ payload }) => {
        const image = images.get(payload.image_id)!;
        const coverage = regionArea(pixelRegion(image.vehicle, payload.box)) / (payload.box.width * payload.box.height);
        return { payload, coverage };
      })
      .filter(({ coverage }) => coverage < 0.8);
    expect(partial.length).toBeGreaterThan(0);
    for (const { payload, coverage } of partial) {
      const { data } = await sharp(path.join(backend.cropsDir(summary.datasetId), payload.file))
        .raw()
        .toBuffer({ resolveWithObject: true });
      let black = 0;
      for (let p = 0; p < data.length; p += 3) if (data[p]! < 8 && data[p + 1]! < 8 && data[p + 2]! < 8) black++;
      // Masked, at least (1 - coverage) of the window would be black.
      expect(black / (data.length / 3), `${payload.crop_id} (coverage ${coverage})`).toBeLessThan((1 - coverage) / 2);
    }

    // The annotated photo stays labelled: its damage crops are damaged, its photo point too.
    const damaged = points.filter((point) => !plainIds.has(point.payload.image_id));
    expect(damaged.length).toBeGreaterThan(0);
    expect(damaged.every(({ payload }) => payload.labelled && payload.has_damage === true)).toBe(true);
    const photos = await backend.vectorStore.getPoints(
      summary.collection,
      dataset.images.map((image) => photoPointKey(image.id)),
    );
    for (const photo of photos) {
      const plain = plainIds.has(photo.payload.image_id);
      expect(photo.payload).toMatchObject({ labelled: !plain, has_damage: plain ? null : true });
    }
  });

  it('filters by labelled; hasDamage true or false leaves the unlabelled windows out; counts keep them apart', async () => {
    const { datasetId } = summary;
    const unlabelled = points.filter((point) => !point.payload.labelled).length;
    const page = await browseCrops(backend, { datasetId, labelled: false }, { first: 100 });
    expect(page.totalCount).toBe(unlabelled);
    expect(page.items.every((crop) => !crop.labelled && crop.hasDamage === null)).toBe(true);
    expect((await browseCrops(backend, { datasetId, labelled: true }, { first: 100 })).totalCount).toBe(
      points.length - unlabelled,
    );
    expect((await browseCrops(backend, { datasetId, hasDamage: false }, { first: 100 })).totalCount).toBe(0);

    const stats = await indexStats(backend, datasetId);
    expect(stats).toMatchObject({ points: points.length, unlabelled, clean: 0 });
    expect(stats.damaged + stats.unlabelled).toBe(points.length);
    const onlyUnlabelled = await indexStats(backend, datasetId, false);
    expect(onlyUnlabelled).toMatchObject({ points: unlabelled, damaged: 0, clean: 0, unlabelled });
    expect(onlyUnlabelled.byArea.reduce((sum, { count }) => sum + count, 0)).toBe(unlabelled);

    // "Crops like this one among the unlabelled photos", one per photo: windows with their photo and box.
    const example = points.find((point) => point.payload.has_damage)!;
    const found = await searchSimilar(backend, {
      cropId: example.cropId,
      filter: { datasetId, labelled: false },
      onePerPhoto: true,
      limit: 10,
    });
    expect(found.items).toHaveLength(PLAIN.length);
    expect(new Set(found.items.map(({ crop }) => crop.imageId)).size).toBe(PLAIN.length);
    for (const { crop } of found.items) {
      expect(crop.labelled).toBe(false);
      expect(crop.box.width).toBe(336);
    }
  });

  it('is idempotent: the same ingestion again embeds nothing, and keeps the dataset unlabelled without the flag', async () => {
    const again = await ingestDataset(backend, { datasetDir: dir, name: 'plain' });
    expect(again).toMatchObject({ embedded: 0, unchanged: summary.crops.total, removed: 0 });
    expect(again.crops.unlabelled).toBe(summary.crops.unlabelled);
    expect(again.photos).toMatchObject({ embedded: 0, unchanged: PLAIN.length + 1 });
    const dataset = await backend.db.datasets.findByName('plain');
    expect(dataset!.config.unlabelled).toBe(true);
    expect(dataset).toMatchObject({ imageCount: 3, damagedCount: 1, cleanCount: 0 });
  }, 120_000);

  it('is taken by the workers of a distributed run, which read the photos as unlabelled too', async () => {
    const controller = new AbortController();
    const worker = runWorker(backend, { signal: controller.signal });
    let distributed: IngestionSummary;
    try {
      distributed = await ingestDataset(
        backend,
        { datasetDir: dir, name: 'plain-distributed', unlabelled: true },
        {},
        { batchPhotos: 1 },
      );
    } finally {
      controller.abort();
      await worker;
    }
    expect(distributed.crops).toEqual(summary.crops);
    expect(distributed.embedded).toBe(summary.crops.total);
    const refs = await backend.vectorStore.scrollPayloads(distributed.collection, { datasetId: distributed.datasetId });
    const stored = await backend.vectorStore.getPoints(
      distributed.collection,
      refs.map((ref) => ref.cropId),
    );
    const flags = (list: StoredCropPoint[]) =>
      list
        .map(
          ({ payload }) => `${payload.image}:${payload.labelled}:${payload.has_damage}:${JSON.stringify(payload.box)}`,
        )
        .sort();
    expect(flags(stored)).toEqual(flags(points));
  }, 120_000);

  it('declared labelled again, its plain photos become clean grid crops and the annotated photo keeps its points', async () => {
    const labelled = await ingestDataset(backend, { datasetDir: dir, name: 'plain', unlabelled: false });
    const damageCrops = summary.crops.damage;
    expect(labelled.crops).toMatchObject({ damage: damageCrops, unlabelled: 0 });
    expect(labelled.crops.clean).toBeGreaterThan(0);
    expect(labelled).toMatchObject({ unchanged: damageCrops, removed: summary.crops.unlabelled });
    expect((await backend.db.datasets.findByName('plain'))!.config.unlabelled).toBe(false);
  }, 120_000);
});
