import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copySampleSubset, imageOnlyTestModel, sampleDatasetOrSkip } from '@defect-rag/testing';
import { applyWhiteningTo } from '@defect-rag/embedding';
import { searchSimilar } from '@defect-rag/search';
import { RAW_IMAGE_VECTOR } from '@defect-rag/vector-store';
import { ingestDataset, type IngestionSummary } from '../src';
import { type Backend } from '@defect-rag/runs';
import { startTestBackend, tinyModelDir } from '@defect-rag/runs/testing';

const sample = sampleDatasetOrSkip();
const WHITEN = 8;
const FIRST = ['cdd_10', 'cdd_13', 'cps_car4'];
const SECOND = [...FIRST, 'cps_car32'];
const THIRD = [...SECOND, 'cdd_1', 'cdd_14', 'cdd_15', 'cdd_16', 'cdd_17', 'cps_car10', 'cps_te10'];

describe.skipIf(!sample)('a whitened collection (image-only model, random weights)', () => {
  let backend: Backend;
  let stop: () => Promise<void>;
  const modelDir = imageOnlyTestModel();

  beforeAll(async () => {
    ({ backend, stop } = await startTestBackend(undefined, modelDir));
  }, 120_000);
  afterAll(async () => {
    await stop?.();
  });

  const ingest = (stems: string[]) =>
    ingestDataset(backend, {
      datasetDir: copySampleSubset(sample!, stems),
      name: 'whitened',
      repoint: true,
      whiten: WHITEN,
    });

  /** Every point's (crops' and photos') stored `image` against the stored transform applied to its `image_raw`. */
  async function expectEveryPointWhitened(collection: string): Promise<number> {
    const whitening = (await backend.db.whitenings.get(collection))!;
    const read = async (using: 'image' | typeof RAW_IMAGE_VECTOR) => {
      const vectors = new Map<string, number[]>();
      for await (const page of backend.vectorStore.scrollVectors(collection, {}, using, { levels: 'all' }))
        for (const { payload, vector } of page) vectors.set(payload.crop_id, vector);
      return vectors;
    };
    const [whitened, raw] = [await read('image'), await read(RAW_IMAGE_VECTOR)];
    expect([...whitened.keys()].sort()).toEqual([...raw.keys()].sort());
    for (const [cropId, vector] of raw) {
      const expected = applyWhiteningTo(whitening, Float32Array.from(vector), WHITEN);
      expect(whitened.get(cropId), cropId).toEqual(Array.from(expected, (value) => expect.closeTo(value, 5)));
    }
    return raw.size;
  }

  it('whitens points and queries with one stored transform, and refits it once the collection outgrows it twice over', async () => {
    const first: IngestionSummary = await ingest(FIRST);
    const { collection, datasetId } = first;
    expect(await backend.vectorStore.whitenedDimension(collection)).toBe(WHITEN);
    const fitted = (await backend.db.whitenings.get(collection))!;
    expect(fitted).toMatchObject({ inputDimension: 64, fittedOn: first.points, collectionCrops: first.points });
    expect(await expectEveryPointWhitened(collection)).toBe(first.points + first.photos.points);

    // An indexed crop's own image as an upload finds that crop first, at cosine ≈ 1: only when the
    // query went through the same transform as the points (unwhitened, it does not even fit `image`).
    const [ref] = await backend.vectorStore.scrollPayloads(collection, { datasetId, hasDamage: true }, { limit: 1 });
    const [point] = await backend.vectorStore.getPoints(collection, [ref!.cropId]);
    const found = await searchSimilar(backend, {
      image: `${backend.cropsDir(datasetId)}/${point!.payload.file}`,
      limit: 3,
    });
    expect(found.items[0]!.crop.id).toBe(ref!.cropId);
    expect(found.items[0]!.score).toBeGreaterThan(0.99);

    // Growth within the factor: the new points are whitened with the transform as fitted.
    const second = await ingest(SECOND);
    expect(second.points).toBeGreaterThan(first.points);
    expect(second.points).toBeLessThanOrEqual(2 * first.points);
    expect(await backend.db.whitenings.get(collection)).toEqual(fitted);
    await expectEveryPointWhitened(collection);

    // Another dataset in the same collection, ingested without naming the whitening: it keeps it.
    const other = await ingestDataset(backend, { datasetDir: copySampleSubset(sample!, ['cdd_2']), name: 'other' });
    expect(other.collection).toBe(collection);

    // Past twice the crops it was fitted with: refitted, and every point rewritten with the new fit.
    const third = await ingest(THIRD);
    expect(third.points + other.points).toBeGreaterThan(2 * first.points);
    const crops = third.points + other.points;
    const refitted = (await backend.db.whitenings.get(collection))!;
    expect(refitted).toMatchObject({ fittedOn: crops, collectionCrops: crops });
    expect(refitted.mean).not.toEqual(fitted.mean);
    expect(await expectEveryPointWhitened(collection)).toBe(crops + third.photos.points + other.photos.points);
    // Both datasets' label prototype cells now sum the refitted vectors, the other one's included.
    for (const id of [datasetId, other.datasetId]) {
      const sum = new Float64Array(WHITEN);
      for await (const page of backend.vectorStore.scrollVectors(collection, { datasetId: id }, 'image'))
        for (const { vector } of page) vector.forEach((value, d) => (sum[d]! += value));
      const cells = await backend.db.prototypeCells.list(collection, id);
      const cellSum = Array.from({ length: WHITEN }, (_, d) => cells.reduce((total, cell) => total + cell.sum[d]!, 0));
      expect(cellSum).toEqual(Array.from(sum, (value) => expect.closeTo(value, 4)));
    }
  }, 300_000);

  it('is refused for a model with a text tower', async () => {
    await expect(backend.collection(await backend.embedder(tinyModelDir), { whiten: WHITEN })).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringContaining('whitening is for image-only models'),
    });
  });
});
