import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDataset } from '@defect-rag/dataset';
import { copySampleSubset, sampleDatasetOrSkip } from '@defect-rag/testing';
import { photoPointKey } from '@defect-rag/vector-store';
import { activeTaxonomy, searchSimilar } from '@defect-rag/search';
import { deleteDataset, ingestDataset, planDatasetDeletion, type IngestionSummary } from '../src';
import { type Backend } from '@defect-rag/runs';
import { startTestBackend } from '@defect-rag/runs/testing';

const sample = sampleDatasetOrSkip();
const STEMS = ['cdd_10', 'cdd_13', 'cdd_14', 'cps_car32', 'cps_car4', 'cps_te10'];

describe.skipIf(!sample)('photo points beside crop points', () => {
  let backend: Backend;
  let stop: () => Promise<void>;
  let dir: string;
  let summary: IngestionSummary;

  beforeAll(async () => {
    ({ backend, stop } = await startTestBackend());
    dir = copySampleSubset(sample!, STEMS);
    summary = await ingestDataset(backend, { datasetDir: dir, name: 'photos' });
  }, 300_000);

  afterAll(async () => {
    await stop?.();
  });

  it('stores one photo point per photo, listing its crops, while crop counts and searches keep to crops', async () => {
    const { vectorStore } = backend;
    const { collection, datasetId } = summary;
    expect(summary.photos).toMatchObject({ points: STEMS.length, embedded: STEMS.length, unchanged: 0, view: 'tiles' });
    expect(summary.points).toBe(summary.crops.total);
    expect(await vectorStore.count(collection, { datasetId })).toBe(summary.crops.total);
    expect(await vectorStore.count(collection, { datasetId, level: 'photo' })).toBe(STEMS.length);

    const dataset = await readDataset(dir, { name: 'photos' });
    const crops = await vectorStore.getPoints(
      collection,
      (await vectorStore.scrollPayloads(collection, { datasetId })).map((ref) => ref.cropId),
    );
    const photos = await vectorStore.getPoints(
      collection,
      dataset.images.map((image) => photoPointKey(image.id)),
      { withVectors: true },
    );
    expect(photos).toHaveLength(STEMS.length);
    for (const image of dataset.images) {
      const photo = photos.find((point) => point.payload.image_id === image.id)!;
      expect(photo.payload).toMatchObject({ level: 'photo', image: image.path, has_damage: image.damaged });
      const ownCrops = crops.filter((crop) => crop.payload.image_id === image.id).map((crop) => crop.cropId);
      expect(new Set(photo.payload.photo!.crop_ids)).toEqual(new Set(ownCrops));
      expect(photo.payload.photo).toMatchObject({ width: image.width, height: image.height, view: 'tiles' });
      expect(photo.payload.photo!.defects.map((defect) => defect.polygon)).toEqual(
        image.defects.map((defect) => defect.polygon.map(([x, y]) => [x, y])),
      );
      expect(photo.vectors!.text).toHaveLength(photo.vectors!.image.length);
      if (image.damaged) {
        const count = image.defects.length;
        expect(photo.payload.text_description).toMatch(new RegExp(`^${count} defects?: .+ on .+ \\(.+\\)\\.$`));
      } else {
        expect(photo.payload.text_description).toMatch(/^Clean vehicle\. No defects visible\. Visible zones: .+\.$/);
        expect(photo.payload.photo!.zones.length).toBeGreaterThan(0);
      }
    }
    expect(crops.every((crop) => crop.payload.level === 'crop')).toBe(true);

    const [anyPhoto] = photos;
    const cropHits = await vectorStore.search(collection, {
      vector: anyPhoto!.vectors!.image,
      using: 'image',
      limit: 100,
    });
    expect(cropHits.length).toBe(summary.crops.total);
    expect(cropHits.every((hit) => hit.payload.level === 'crop')).toBe(true);
    const photoHits = await vectorStore.search(collection, {
      vector: anyPhoto!.vectors!.image,
      using: 'image',
      filter: { level: 'photo' },
      limit: 100,
    });
    expect(photoHits.map((hit) => hit.cropId).sort()).toEqual(photos.map((photo) => photo.cropId).sort());
    expect(photoHits[0]!.cropId).toBe(anyPhoto!.cropId);
  });

  it('labels photo defects as crops are: polygons in photo pixels and the critical flag of the taxonomy', async () => {
    const taxonomy = await activeTaxonomy(backend, summary.datasetId);
    const critical = new Set(taxonomy.damageTypes.filter((type) => type.critical).map((type) => type.id));
    const images = (await readDataset(dir, { name: 'photos' })).images;
    const photos = await backend.vectorStore.getPoints(
      summary.collection,
      images.map((image) => photoPointKey(image.id)),
    );
    const defects = photos.flatMap((photo) => photo.payload.defects);
    expect(defects.length).toBe(images.reduce((sum, image) => sum + image.defects.length, 0));
    for (const photo of photos) {
      const { defects: own, damage_types: types, photo: details } = photo.payload;
      expect(own.map((defect) => defect.polygon)).toEqual(details!.defects.map((defect) => defect.polygon));
      expect(own.map((defect) => defect.critical)).toEqual(own.map((defect) => critical.has(defect.type)));
      expect(details!.defects.map((defect) => defect.critical)).toEqual(own.map((defect) => defect.critical));
      expect(types).toEqual([...new Set(own.map((defect) => defect.type))]);
    }
  });

  it('a PHOTO-level search takes feedback, excluded photos and one per photo like a crop search, and finds photos only', async () => {
    const keys = (await readDataset(dir, { name: 'photos' })).images.map((image) => image.id);
    const [first, second, third] = keys.map(photoPointKey);
    const result = await searchSimilar(backend, {
      cropId: first,
      negativeCropIds: [second!],
      excludePhotoIds: [keys[2]!],
      onePerPhoto: true,
      level: 'photo',
      mode: 'image',
      limit: 10,
    });
    const ids = result.items.map((item) => item.crop.id);
    expect(ids.sort()).toEqual(keys.slice(3).map(photoPointKey).sort());
    expect(ids).not.toContain(third);
    expect(result.items.every((item) => item.crop.level === 'photo' && item.crop.photo !== null)).toBe(true);
    // The same example at the default level finds crops only, of every photo.
    const crops = await searchSimilar(backend, { cropId: first, mode: 'image', limit: 100 });
    expect(crops.items).toHaveLength(summary.crops.total);
    expect(crops.items.every((item) => item.crop.level === 'crop' && item.crop.photo === null)).toBe(true);
  });

  it('re-embeds only the photo points when the photo view changes, and nothing when nothing does', async () => {
    const again = await ingestDataset(backend, { datasetDir: dir, name: 'photos' });
    expect(again.embedded).toBe(0);
    expect(again.photos).toMatchObject({ embedded: 0, unchanged: STEMS.length, points: STEMS.length });

    const key = (await readDataset(dir, { name: 'photos' })).images.map((image) => photoPointKey(image.id))[0]!;
    const [tiled] = await backend.vectorStore.getPoints(summary.collection, [key], { withVectors: true });
    const resized = await ingestDataset(backend, { datasetDir: dir, name: 'photos', photoView: 'resized' });
    expect(resized.embedded).toBe(0);
    expect(resized.photos).toMatchObject({ embedded: STEMS.length, unchanged: 0, view: 'resized' });
    const [whole] = await backend.vectorStore.getPoints(summary.collection, [key], { withVectors: true });
    expect(whole!.payload.photo!.view).toBe('resized');
    expect(whole!.vectors!.image).not.toEqual(tiled!.vectors!.image);
    // The text side does not depend on the view.
    expect(whole!.vectors!.text).toEqual(tiled!.vectors!.text);
  }, 300_000);

  it('deletes the photo point of a photo that is gone, with its crops', async () => {
    rmSync(path.join(dir, 'images', 'cps_car4.jpg'));
    const after = await ingestDataset(backend, { datasetDir: dir, name: 'photos', photoView: 'resized' });
    expect(after.photos).toMatchObject({ removed: 1, points: STEMS.length - 1, embedded: 0 });
  }, 300_000);

  it('deleting the dataset counts and removes its photo points with its crops', async () => {
    const { collection, datasetId } = summary;
    const crops = await backend.vectorStore.count(collection, { datasetId });
    const plan = await planDatasetDeletion(backend, datasetId);
    expect(plan.points).toEqual([{ collection, count: crops + STEMS.length - 1 }]);
    await deleteDataset(backend, datasetId);
    expect(await backend.vectorStore.count(collection, { datasetId })).toBe(0);
    expect(await backend.vectorStore.count(collection, { datasetId, level: 'photo' })).toBe(0);
  });
});
