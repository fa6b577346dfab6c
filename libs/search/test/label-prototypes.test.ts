import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestQdrant, type TestQdrant } from '@defect-rag/testing';
import { loadTaxonomy } from '@defect-rag/taxonomy';
import { VectorStore, type CropPayload, type CropPoint } from '@defect-rag/vector-store';
import { labelPrototype } from '../src/label-prototypes';

const taxonomy = loadTaxonomy();
let qdrant: TestQdrant;
let store: VectorStore;
let collection: string;

function point(id: string, types: string[], zone: string, image: number[]): CropPoint {
  const payload = {
    crop_id: id,
    level: 'crop',
    dataset_id: 'ds',
    image_id: `img-${id}`,
    image: `images/${id}.jpg`,
    file: `crops/${id}.jpg`,
    split: 'train',
    has_damage: types.length > 0,
    vehicle_zone: zone,
    area: 'door',
    damage_types: types,
    defects: [],
    text_description: '',
    grid_pos: null,
    box: { x: 0, y: 0, width: 336, height: 336 },
    strategy: 'cluster',
    model_id: 'image-only',
    content_hash: `hash-${id}`,
  } as unknown as CropPayload;
  return { cropId: id, vectors: { image: Float32Array.from(image) }, payload };
}

const unit = (values: number[]) => values.map((value) => value / Math.hypot(...values));

beforeAll(async () => {
  qdrant = await startTestQdrant();
  store = new VectorStore({ url: qdrant.url });
  collection = await store.ensureCollection({ modelId: 'image-only', dimension: 3, vectors: ['image'] });
  await store.upsert(collection, [
    point('s1', ['scratch'], 'front', [1, 0, 0]),
    point('s2', ['scratch'], 'left_side', [0, 1, 0]),
    point('d1', ['dent'], 'front', [0, 0, 1]),
    point('c1', [], 'front', [1, 1, 1]),
  ]);
});
afterAll(async () => {
  await qdrant?.stop();
});

describe('labelPrototype', () => {
  it('is the normalised mean image vector of the indexed crops with the named type (Spanish synonym)', async () => {
    const prototype = await labelPrototype(store, collection, taxonomy, 'rayón');
    expect(prototype.labels).toEqual({ damageTypes: ['scratch'], zones: [] });
    expect(prototype.crops).toBe(2);
    expect(Array.from(prototype.vector)).toEqual(unit([1, 1, 0]).map((value) => expect.closeTo(value, 6)));
  });

  it('narrows to the named zone, its child zones included', async () => {
    expect(Array.from((await labelPrototype(store, collection, taxonomy, 'scratch on the front')).vector)).toEqual(
      [1, 0, 0].map((value) => expect.closeTo(value, 6)),
    );
    // `side` is the parent of left_side.
    expect((await labelPrototype(store, collection, taxonomy, 'scratch side')).crops).toBe(1);
  });

  it('is recomputed from the collection after an ingestion adds crops', async () => {
    const before = await labelPrototype(store, collection, taxonomy, 'dent');
    expect(Array.from(before.vector)).toEqual([0, 0, 1].map((value) => expect.closeTo(value, 6)));
    await store.upsert(collection, [point('d2', ['dent'], 'rear', [0, 1, 0])]);
    const after = await labelPrototype(store, collection, taxonomy, 'dent');
    expect(after.crops).toBe(2);
    expect(Array.from(after.vector)).toEqual(unit([0, 1, 1]).map((value) => expect.closeTo(value, 6)));
  });

  it('refuses unknown words (listing the vocabulary) and labels no crop carries', async () => {
    await expect(labelPrototype(store, collection, taxonomy, 'sparkly scratch')).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringContaining('"sparkly"'),
    });
    await expect(labelPrototype(store, collection, taxonomy, 'broken glass')).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringContaining('no indexed crop shows broken_glass'),
    });
  });
});
