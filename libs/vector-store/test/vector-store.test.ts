import { startTestQdrant, type TestQdrant } from '@defect-rag/testing';
import { isDefectRagError } from '@defect-rag/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectionNameFor, VectorStore, type CropFilter, type CropPoint, type FacetKey } from '../src';
import { DIMENSION, matches, MODEL_ID, syntheticPoints } from './synthetic';

let qdrant: TestQdrant;
let store: VectorStore;

beforeAll(async () => {
  qdrant = await startTestQdrant();
  store = new VectorStore({ url: qdrant.url });
});

afterAll(async () => {
  await qdrant?.stop();
});

async function collectionInfo(name: string) {
  const response = await fetch(`${qdrant.url}/collections/${name}`);
  return (
    (await response.json()) as {
      result: Record<string, unknown> & {
        config: { params: Record<string, unknown> };
        payload_schema: Record<string, { data_type: string }>;
      };
    }
  ).result;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

describe('VectorStore options', () => {
  it('refuses a search beam that is not a positive integer: CONFIG_INVALID', () => {
    for (const hnswEf of [0, 1.5]) {
      expect(() => new VectorStore({ url: qdrant.url, hnswEf })).toThrow(
        expect.objectContaining({
          code: 'CONFIG_INVALID',
          message: `HNSW search ef must be a positive integer, got ${hnswEf}`,
        }),
      );
    }
  });
});

describe('ensureCollection', () => {
  it('an image-only model gets a collection with the image vector alone, and its points read back without text or fused', async () => {
    const name = await store.ensureCollection({ modelId: 'image-only', dimension: DIMENSION, vectors: ['image'] });
    expect((await collectionInfo(name)).config.params.vectors).toEqual({
      image: { size: DIMENSION, distance: 'Cosine' },
    });
    const points = syntheticPoints(5).map((point) => ({ ...point, vectors: { image: point.vectors.image } }));
    await store.upsert(name, points);
    const [stored] = await store.getPoints(name, [points[2]!.cropId], { withVectors: true });
    expect(Object.keys(stored!.vectors!)).toEqual(['image']);
    const [best] = await store.search(name, { vector: points[2]!.vectors.image, using: 'image', limit: 1 });
    expect(best!.cropId).toBe(points[2]!.cropId);
    // The same model asking for all three vectors does not fit that collection.
    await expect(store.ensureCollection({ modelId: 'image-only', dimension: DIMENSION })).rejects.toMatchObject({
      code: 'COLLECTION_MISMATCH',
      message: expect.stringContaining('has the vectors [image]'),
    });
  });

  it("an encoder pair's collection has a size per named vector; points and searches use each", async () => {
    const dimensions = { image: 12, text: 4, fused: 16 };
    const spec = { modelId: 'pair', dimension: dimensions.fused, dimensions };
    const name = await store.ensureCollection(spec);
    expect((await collectionInfo(name)).config.params.vectors).toEqual({
      image: { size: 12, distance: 'Cosine' },
      text: { size: 4, distance: 'Cosine' },
      fused: { size: 16, distance: 'Cosine' },
    });
    const points = syntheticPoints(5).map((point) => {
      const fused = Array.from(point.vectors.fused!);
      return { ...point, vectors: { image: fused.slice(0, 12), text: fused.slice(12), fused } };
    });
    await store.upsert(name, points);
    const [stored] = await store.getPoints(name, [points[2]!.cropId], { withVectors: true });
    expect([stored!.vectors!.image.length, stored!.vectors!.text!.length, stored!.vectors!.fused!.length]).toEqual([
      12, 4, 16,
    ]);
    for (const using of ['image', 'text', 'fused'] as const) {
      const [best] = await store.search(name, { vector: points[2]!.vectors[using], using, limit: 1 });
      expect(best!.cropId).toBe(points[2]!.cropId);
    }
    // Rechecked against the same sizes it fits; another text size does not.
    await expect(store.ensureCollection(spec)).resolves.toBe(name);
    await expect(
      store.ensureCollection({ ...spec, dimensions: { ...dimensions, text: 8, image: 8 } }),
    ).rejects.toMatchObject({
      code: 'COLLECTION_MISMATCH',
      message: expect.stringContaining('its "image" vectors have 12 dimensions, not 8'),
    });
  });

  it('creates one collection per (model, dimension) with named cosine vectors and payload indexes', async () => {
    const name = await store.ensureCollection({
      modelId: 'Acme/CLIP Model v2',
      dimension: DIMENSION,
      hnsw: { m: 8, efConstruct: 64 },
    });
    expect(name).toBe('crops_acme-clip-model-v2_16');
    const info = await collectionInfo(name);
    expect(info.config.params.vectors).toEqual({
      fused: { size: DIMENSION, distance: 'Cosine' },
      image: { size: DIMENSION, distance: 'Cosine' },
      text: { size: DIMENSION, distance: 'Cosine' },
    });
    expect(info.config).toMatchObject({
      hnsw_config: { m: 8, ef_construct: 64 },
      metadata: { model_id: 'Acme/CLIP Model v2', dimension: DIMENSION },
    });
    const indexes = Object.fromEntries(
      Object.entries(info.payload_schema).map(([field, index]) => [field, index.data_type]),
    );
    expect(indexes).toEqual({
      has_damage: 'bool',
      labelled: 'bool',
      vehicle_zone: 'keyword',
      area: 'keyword',
      damage_types: 'keyword',
      dataset_id: 'keyword',
      split: 'keyword',
      image_id: 'keyword',
      level: 'keyword',
    });
  });

  it('is idempotent, also when called concurrently', async () => {
    const spec = { modelId: 'idempotent', dimension: DIMENSION };
    const names = await Promise.all([
      store.ensureCollection(spec),
      store.ensureCollection(spec),
      store.ensureCollection(spec),
    ]);
    expect(new Set(names)).toEqual(new Set([collectionNameFor('idempotent', DIMENSION)]));
    await store.upsert(names[0]!, syntheticPoints(3));
    expect(await store.ensureCollection(spec)).toBe(names[0]);
    expect(await store.count(names[0]!)).toBe(3);
  });

  it('refuses a collection whose vectors do not fit: COLLECTION_MISMATCH', async () => {
    // Another vector set under the name this model and dimension map to.
    const name = collectionNameFor('mismatch', DIMENSION);
    await fetch(`${qdrant.url}/collections/${name}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        vectors: {
          fused: { size: 32, distance: 'Cosine' },
          image: { size: DIMENSION, distance: 'Cosine' },
          text: { size: DIMENSION, distance: 'Cosine' },
        },
      }),
    });
    const error = await rejection(store.ensureCollection({ modelId: 'mismatch', dimension: DIMENSION }));
    expect(isDefectRagError(error, 'COLLECTION_MISMATCH')).toBe(true);
    expect((error as Error).message).toContain('its "fused" vectors have 32 dimensions');
  });

  it('tells apart two model ids that share a collection name: COLLECTION_MISMATCH', async () => {
    await store.ensureCollection({ modelId: 'org/model', dimension: DIMENSION });
    const error = await rejection(store.ensureCollection({ modelId: 'org-model', dimension: DIMENSION }));
    expect(isDefectRagError(error, 'COLLECTION_MISMATCH')).toBe(true);
    expect((error as Error).message).toContain('was made for model "org/model"');
  });

  it('creates an int8-quantized collection with its originals on disk that still finds the nearest point first', async () => {
    const name = await store.ensureCollection({
      modelId: 'quantized',
      dimension: DIMENSION,
      quantization: 'int8',
      onDisk: true,
    });
    const { config } = await collectionInfo(name);
    expect(config).toMatchObject({ quantization_config: { scalar: { type: 'int8', always_ram: true } } });
    expect(config.params.vectors).toMatchObject({ image: { on_disk: true }, fused: { on_disk: true } });
    const points = syntheticPoints(50);
    await store.upsert(name, points);
    const hits = await store.search(name, { vector: points[7]!.vectors.image, using: 'image', limit: 3 });
    expect(hits[0]!.cropId).toBe(points[7]!.cropId);
  });

  it('stores vectors of any magnitude to float32 precision, and refuses NaN before sending anything', async () => {
    const name = await store.ensureCollection({ modelId: 'magnitudes', dimension: DIMENSION });
    const [base] = syntheticPoints(1);
    const scaled = (factor: number) => base!.vectors.fused!.map((value) => value * factor);
    const point: CropPoint = {
      ...base!,
      vectors: { fused: scaled(1e6), image: scaled(1e-7), text: [1, ...new Array<number>(DIMENSION - 1).fill(0)] },
    };
    await store.upsert(name, [point]);
    const [stored] = await store.getPoints(name, [point.cropId], { withVectors: true });
    const unit = (vector: ArrayLike<number>) => {
      const norm = Math.hypot(...Array.from(vector));
      return Array.from(vector, (value) => value / norm);
    };
    for (const key of ['fused', 'image', 'text'] as const) {
      const expected = unit(point.vectors[key]!);
      unit(stored!.vectors![key]!).forEach((value, i) => expect(Math.abs(value - expected[i]!)).toBeLessThan(1e-7));
    }

    const broken: CropPoint = {
      ...base!,
      cropId: 'broken',
      payload: { ...base!.payload, crop_id: 'broken' },
      vectors: { ...base!.vectors, image: [Number.NaN, ...scaled(1).slice(1)] },
    };
    const error = await rejection(store.upsert(name, [broken]));
    expect(isDefectRagError(error, 'BAD_INPUT')).toBe(true);
    expect(await store.count(name)).toBe(1);
  });

  it('rejects vectors of another dimension on upsert: COLLECTION_MISMATCH', async () => {
    const name = await store.ensureCollection({ modelId: MODEL_ID, dimension: DIMENSION });
    const [point] = syntheticPoints(1);
    const wrong: CropPoint = { ...point!, vectors: { ...point!.vectors, text: new Float32Array(DIMENSION * 2) } };
    const error = await rejection(store.upsert(name, [wrong]));
    expect(isDefectRagError(error, 'COLLECTION_MISMATCH')).toBe(true);
  });
});

describe('a collection of 200 synthetic crops', () => {
  const points = syntheticPoints(200);
  const byCrop = new Map(points.map((point) => [point.cropId, point]));
  let collection: string;

  beforeAll(async () => {
    collection = await store.ensureCollection({ modelId: 'synthetic', dimension: DIMENSION });
    await store.upsert(collection, points, { batchSize: 32, concurrency: 3 });
  });

  it('holds one point per crop, and re-upserting the same crops adds none', async () => {
    expect(await store.count(collection)).toBe(200);
    await store.upsert(collection, points.slice(0, 120), { batchSize: 50 });
    expect(await store.count(collection)).toBe(200);
  });

  it('reads back payloads and vectors as written, in the order asked, skipping unknown crops', async () => {
    const wanted = [points[42]!.cropId, 'no-such-crop', points[3]!.cropId];
    const stored = await store.getPoints(collection, wanted, { withVectors: true });
    expect(stored.map((point) => point.cropId)).toEqual([points[42]!.cropId, points[3]!.cropId]);
    expect(stored[0]!.payload).toEqual(points[42]!.payload);
    // Qdrant normalises vectors for cosine distance, so compare directions.
    const direction = (vector: ArrayLike<number>) => {
      const norm = Math.hypot(...Array.from(vector));
      return Array.from(vector, (value) => value / norm);
    };
    for (const name of ['fused', 'image', 'text'] as const) {
      direction(stored[0]!.vectors![name]!).forEach((value, i) =>
        expect(value).toBeCloseTo(direction(points[42]!.vectors[name]!)[i]!, 7),
      );
    }
    expect((await store.getPoints(collection, [points[5]!.cropId]))[0]!.vectors).toBeUndefined();
  });

  const filters: CropFilter[] = [
    {},
    { hasDamage: true },
    { hasDamage: false },
    { labelled: false },
    { labelled: true },
    { labelled: true, hasDamage: false },
    { zones: ['roof'] },
    { zones: ['roof', 'rear'] },
    { zones: [] },
    { areas: ['exterior-side'] },
    { damageTypes: ['broken_glass'] },
    { damageTypes: ['crack', 'dent'] },
    { datasetId: 'ds-b' },
    { split: 'test' },
    { imageIds: ['img-3', 'img-17'] },
    { hasDamage: true, zones: ['front'], damageTypes: ['scratch'], datasetId: 'ds-a', split: 'train' },
  ];

  it.each(filters)('count and exact search with filter %j give exactly the matching crops', async (filter) => {
    const expected = points
      .filter((point) => matches(point.payload, filter))
      .map((point) => point.cropId)
      .sort();
    expect(expected.length).toBeGreaterThan(0);
    expect(await store.count(collection, filter)).toBe(expected.length);
    const hits = await store.search(collection, {
      vector: points[0]!.vectors.fused!,
      using: 'fused',
      filter,
      limit: 200,
      exact: true,
    });
    expect(hits.map((hit) => hit.cropId).sort()).toEqual(expected);
  });

  it.each(filters)('graph search with filter %j returns only matching payloads, best first', async (filter) => {
    const hits = await store.search(collection, {
      vector: points[1]!.vectors.text!,
      using: 'text',
      filter,
      limit: 10,
      exact: false,
    });
    expect(hits.length).toBe(Math.min(10, points.filter((point) => matches(point.payload, filter)).length));
    for (const hit of hits) expect(matches(hit.payload, filter)).toBe(true);
    for (let i = 1; i < hits.length; i++) expect(hits[i]!.score).toBeLessThanOrEqual(hits[i - 1]!.score);
  });

  it('finds a crop first by its own vector in each vector space, with score 1', async () => {
    for (const using of ['fused', 'image', 'text'] as const) {
      const [best] = await store.search(collection, {
        vector: points[77]!.vectors[using]!,
        using,
        limit: 1,
        hnswEf: 64,
      });
      expect(best!.cropId).toBe(points[77]!.cropId);
      expect(best!.score).toBeCloseTo(1, 5);
      expect(best!.payload).toEqual(points[77]!.payload);
    }
  });

  it('drops hits below the score threshold', async () => {
    const all = await store.search(collection, {
      vector: points[9]!.vectors.fused!,
      using: 'fused',
      limit: 200,
      exact: true,
    });
    const threshold = (all[19]!.score + all[20]!.score) / 2;
    const above = await store.search(collection, {
      vector: points[9]!.vectors.fused!,
      using: 'fused',
      limit: 200,
      scoreThreshold: threshold,
      exact: true,
    });
    expect(above.map((hit) => hit.cropId)).toEqual(all.slice(0, 20).map((hit) => hit.cropId));
  });

  it('searchByCrop never returns the crop itself and ranks like a search by its vector', async () => {
    const results = await Promise.all(
      points.map((point) => store.searchByCrop(collection, point.cropId, { using: 'image', limit: 5 })),
    );
    results.forEach((hits, i) => {
      expect(hits).toHaveLength(5);
      expect(hits.map((hit) => hit.cropId)).not.toContain(points[i]!.cropId);
    });
    const source = points[10]!;
    const byVector = await store.search(collection, {
      vector: source.vectors.fused!,
      using: 'fused',
      limit: 6,
      exact: true,
    });
    const byCrop = await store.searchByCrop(collection, source.cropId, { using: 'fused', limit: 5, exact: true });
    expect(byCrop.map((hit) => hit.cropId)).toEqual(
      byVector
        .map((hit) => hit.cropId)
        .filter((id) => id !== source.cropId)
        .slice(0, 5),
    );
  });

  it('searchByCrop applies the filter', async () => {
    const filter: CropFilter = { hasDamage: true, zones: ['side'] };
    const hits = await store.searchByCrop(collection, points[0]!.cropId, { using: 'text', filter, limit: 10 });
    expect(hits.length).toBeGreaterThan(0);
    for (const hit of hits) expect(matches(byCrop.get(hit.cropId)!.payload, filter)).toBe(true);
  });

  it('searchByCrop of an unknown crop is CROP_NOT_FOUND', async () => {
    const error = await rejection(store.searchByCrop(collection, 'ds-a/nope', { using: 'fused', limit: 3 }));
    expect(isDefectRagError(error, 'CROP_NOT_FOUND')).toBe(true);
  });

  /** Crop ids by exact cosine to `query` in the image space, best first, leaving out `exclude`. */
  const rankedByImage = (query: number[], exclude: readonly string[]) => {
    const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((sum, x) => sum + x * x, 0));
    const cosine = (v: ArrayLike<number>) =>
      Array.from(v).reduce((sum, x, i) => sum + x * query[i]!, 0) / (norm(v) * norm(query));
    return points
      .filter((point) => !exclude.includes(point.cropId))
      .map((point) => ({ cropId: point.cropId, imageId: point.payload.image_id, score: cosine(point.vectors.image) }))
      .sort((a, b) => b.score - a.score);
  };
  const unitImage = (cropId: string) => {
    const vector = Array.from(byCrop.get(cropId)!.vectors.image);
    const length = Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
    return vector.map((x) => x / length);
  };

  it('searchExamples with several positives and a negative ranks by the cosine to 2·mean(positives) − mean(negatives)', async () => {
    const [a, b, c] = [points[3]!.cropId, points[40]!.cropId, points[77]!.cropId];
    const query = unitImage(a).map((x, i) => x + unitImage(b)[i]! - unitImage(c)[i]!);
    const expected = rankedByImage(query, [a, b, c]).slice(0, 10);
    const hits = await store.searchExamples(collection, {
      using: 'image',
      positive: [{ cropId: a }, { cropId: b }],
      negative: [{ cropId: c }],
      limit: 10,
      exact: true,
    });
    expect(hits.map((hit) => hit.cropId)).toEqual(expected.map((hit) => hit.cropId));
    hits.forEach((hit, i) => expect(hit.score).toBeCloseTo(expected[i]!.score, 4));
  });

  it('searchExamples with onePerPhoto keeps the best crop of each image, paged by offset; excluded images never come back', async () => {
    const source = points[10]!;
    const ranking = rankedByImage(unitImage(source.cropId), [source.cropId]);
    const best = new Map<string, string>();
    for (const hit of ranking) if (!best.has(hit.imageId)) best.set(hit.imageId, hit.cropId);
    const search = { using: 'image' as const, positive: [{ cropId: source.cropId }], exact: true };
    const grouped = await store.searchExamples(collection, { ...search, limit: 8, onePerPhoto: true });
    expect(grouped.map((hit) => hit.cropId)).toEqual([...best.values()].slice(0, 8));
    const page = await store.searchExamples(collection, { ...search, limit: 4, offset: 4, onePerPhoto: true });
    expect(page.map((hit) => hit.cropId)).toEqual([...best.values()].slice(4, 8));
    const excluded = [...best.keys()].slice(0, 2);
    const rest = await store.searchExamples(collection, { ...search, limit: 20, excludeImageIds: excluded });
    expect(rest.map((hit) => hit.cropId)).toEqual(
      ranking
        .filter((hit) => !excluded.includes(hit.imageId))
        .slice(0, 20)
        .map((hit) => hit.cropId),
    );
  });

  it('searchExamples names the example crops that are not stored: CROP_NOT_FOUND', async () => {
    const error = await rejection(
      store.searchExamples(collection, {
        using: 'image',
        positive: [{ cropId: points[0]!.cropId }],
        negative: [{ cropId: 'ds-a/nope' }],
        limit: 3,
      }),
    );
    expect(isDefectRagError(error, 'CROP_NOT_FOUND')).toBe(true);
    expect((error as Error).message).toContain('"ds-a/nope"');
    expect((error as Error).message).not.toContain(points[0]!.cropId);
  });

  it('browse pages through every crop a filter matches once, from any crop id, even one not stored', async () => {
    const filter: CropFilter = { hasDamage: true, datasetId: 'ds-a' };
    const expected = points.filter((point) => matches(point.payload, filter)).map((point) => point.cropId);
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await store.browse(collection, filter, { first: 17, after });
      seen.push(...page.crops.map((crop) => crop.crop_id));
      if (!page.hasMore) break;
      after = page.crops.at(-1)!.crop_id;
    }
    expect([...seen].sort()).toEqual([...expected].sort());
    expect(new Set(seen).size).toBe(seen.length);
    // A cursor whose crop is gone still marks a place in the order: nothing before it repeats.
    const fromMissing = await store.browse(collection, filter, { first: 200, after: 'ds-a/nope' });
    expect(fromMissing.hasMore).toBe(false);
    expect(fromMissing.crops.every((crop) => seen.includes(crop.crop_id))).toBe(true);
  });

  const facetCases: [FacetKey, CropFilter][] = [
    ['vehicle_zone', {}],
    ['damage_types', {}],
    ['has_damage', {}],
    ['vehicle_zone', { hasDamage: true, datasetId: 'ds-a' }],
    ['damage_types', { zones: ['front', 'roof'] }],
  ];

  it.each(facetCases)('facets by %s with filter %j equal the counts computed in JS', async (key, filter) => {
    const expected = new Map<string | boolean, number>();
    for (const { payload } of points.filter((point) => matches(point.payload, filter))) {
      // Facets count values, so a null split is not one.
      const values = key === 'damage_types' ? payload.damage_types : [payload[key] ?? []].flat();
      for (const value of values) expected.set(value, (expected.get(value) ?? 0) + 1);
    }
    const facets = await store.facets(collection, key, filter);
    expect(new Map(facets.map((facet) => [facet.value, facet.count]))).toEqual(expected);
    for (let i = 1; i < facets.length; i++) expect(facets[i]!.count).toBeLessThanOrEqual(facets[i - 1]!.count);
  });

  it('scrollPayloads lists crop id, image id, content hash and split of every crop of a dataset', async () => {
    const refs = await store.scrollPayloads(collection, { datasetId: 'ds-b' });
    const expected = points
      .filter((point) => point.payload.dataset_id === 'ds-b')
      .map((point) => ({
        cropId: point.cropId,
        imageId: point.payload.image_id,
        contentHash: point.payload.content_hash,
        split: point.payload.split,
      }));
    const byId = (a: { cropId: string }, b: { cropId: string }) => a.cropId.localeCompare(b.cropId);
    expect(refs.sort(byId)).toEqual(expected.sort(byId));
  });

  it('scrollPayloads with a limit gives the first crops in point order', async () => {
    const all = await store.scrollPayloads(collection);
    for (const limit of [1, 3, all.length - 1]) {
      expect(await store.scrollPayloads(collection, {}, { limit })).toEqual(all.slice(0, limit));
    }
    expect(await store.scrollPayloads(collection, {}, { limit: all.length + 5 })).toEqual(all);
  });

  it('setSplit rewrites only the split of the given crops', async () => {
    const moved = points.filter((point) => point.payload.split !== 'test').slice(0, 3);
    const ids = moved.map((point) => point.cropId);
    const before = await store.getPoints(collection, ids, { withVectors: true });
    try {
      await store.setSplit(collection, ids, 'test');
      const after = await store.getPoints(collection, ids, { withVectors: true });
      expect(after).toEqual(before.map((point) => ({ ...point, payload: { ...point.payload, split: 'test' } })));
      expect(await store.count(collection, { split: 'test' })).toBe(
        points.filter((point) => point.payload.split === 'test').length + ids.length,
      );
    } finally {
      for (const point of moved) await store.setSplit(collection, [point.cropId], point.payload.split);
    }
    expect(await store.getPoints(collection, ids, { withVectors: true })).toEqual(before);
  });
});

describe('deleting points', () => {
  const points = syntheticPoints(100, 11);
  let collection: string;

  beforeAll(async () => {
    collection = await store.ensureCollection({ modelId: 'deletions', dimension: DIMENSION });
    await store.upsert(collection, points);
  });

  it('removes the crops of one image of one dataset and nothing else', async () => {
    const filter: CropFilter = { datasetId: 'ds-a', imageIds: ['img-4'] };
    const gone = points.filter((point) => matches(point.payload, filter));
    const sameImageOtherDataset = points.filter(
      (point) => point.payload.image_id === 'img-4' && point.payload.dataset_id !== 'ds-a',
    );
    expect(gone.length).toBeGreaterThan(0);
    expect(sameImageOtherDataset.length).toBeGreaterThan(0);

    await store.deletePoints(collection, filter);
    expect(await store.count(collection)).toBe(points.length - gone.length);
    expect(
      await store.getPoints(
        collection,
        gone.map((point) => point.cropId),
      ),
    ).toEqual([]);
    expect(
      await store.getPoints(
        collection,
        sameImageOtherDataset.map((point) => point.cropId),
      ),
    ).toHaveLength(sameImageOtherDataset.length);
  });

  it('removes crops by id', async () => {
    const before = await store.count(collection);
    await store.deletePoints(collection, { cropIds: [points[50]!.cropId, points[51]!.cropId, 'never-stored'] });
    expect(await store.count(collection)).toBe(before - 2);
  });

  it('keeps to crops unless asked for photos; points without a level are crops; a deletion by filter takes both', async () => {
    const name = await store.ensureCollection({ modelId: 'levels', dimension: DIMENSION });
    const [crop, old, photo] = syntheticPoints(3);
    const { level: _level, ...withoutLevel } = old!.payload;
    await store.upsert(name, [
      crop!,
      // Written before photo points existed: no `level` at all.
      { ...old!, payload: withoutLevel as CropPoint['payload'] },
      { ...photo!, cropId: 'photo:img-0', payload: { ...photo!.payload, crop_id: 'photo:img-0', level: 'photo' } },
    ]);
    expect(await store.count(name)).toBe(2);
    expect(await store.count(name, { level: 'crop' })).toBe(2);
    expect(await store.count(name, { level: 'photo' })).toBe(1);
    expect((await store.getPoints(name, [old!.cropId]))[0]!.payload.level).toBe('crop');
    const hits = await store.search(name, { vector: photo!.vectors.image, using: 'image', limit: 10 });
    expect(hits.map((hit) => hit.cropId).sort()).toEqual([crop!.cropId, old!.cropId].sort());
    const photos = await store.searchByCrop(name, crop!.cropId, {
      using: 'image',
      limit: 10,
      filter: { level: 'photo' },
    });
    expect(photos.map((hit) => hit.cropId)).toEqual(['photo:img-0']);

    await store.deletePoints(name, { datasetId: crop!.payload.dataset_id });
    expect(await store.count(name, { level: 'photo', datasetId: crop!.payload.dataset_id })).toBe(0);
  });

  it('refuses an empty filter rather than deleting everything', async () => {
    const before = await store.count(collection);
    const error = await rejection(store.deletePoints(collection, { zones: [] }));
    expect(isDefectRagError(error, 'BAD_INPUT')).toBe(true);
    expect(await store.count(collection)).toBe(before);
  });
});

describe('failures', () => {
  it('a missing collection is COLLECTION_NOT_FOUND', async () => {
    const error = await rejection(
      store.search('crops_absent_16', { vector: new Float32Array(DIMENSION), using: 'fused', limit: 3 }),
    );
    expect(isDefectRagError(error, 'COLLECTION_NOT_FOUND')).toBe(true);
    expect((error as Error).message).toContain('crops_absent_16');
  });

  it('searchByCrop in a missing collection is COLLECTION_NOT_FOUND, not CROP_NOT_FOUND', async () => {
    const error = await rejection(
      store.searchByCrop('crops_absent_16', 'ds-a/nope', { using: 'fused', filter: { hasDamage: true }, limit: 3 }),
    );
    expect(isDefectRagError(error, 'COLLECTION_NOT_FOUND')).toBe(true);
  });

  it('a stopped Qdrant is QDRANT_UNAVAILABLE with its URL, after a few quick retries', async () => {
    const stopped = await startTestQdrant();
    const unreachable = new VectorStore({ url: stopped.url });
    await unreachable.ensureCollection({ modelId: MODEL_ID, dimension: DIMENSION });
    await stopped.stop();

    const started = performance.now();
    const error = await rejection(unreachable.upsert(collectionNameFor(MODEL_ID, DIMENSION), syntheticPoints(3)));
    const elapsedMs = performance.now() - started;
    expect(isDefectRagError(error, 'QDRANT_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toContain(stopped.url);
    expect((error as Error).message).toContain('failed 4 times');
    // Three backoff pauses (0.25 + 0.5 + 1 s), not a long hang.
    expect(elapsedMs).toBeGreaterThan(1_500);
    expect(elapsedMs).toBeLessThan(5_000);
  });
});
