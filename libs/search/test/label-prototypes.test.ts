import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTaxonomy } from '@defect-rag/taxonomy';
import { type Backend } from '@defect-rag/runs';
import { startTestBackend } from '@defect-rag/runs/testing';
import { labelPrototype } from '../src/label-prototypes';

const taxonomy = loadTaxonomy();
const collection = 'crops_image-only_3';
let backend: Backend;
let stop: () => Promise<void>;
let datasetId: string;

/** One crop's cell, as ingestion's `refreshLabelPrototypes` writes it. */
const cell = (split: string | null, damageTypes: string[], zone: string, ...vectors: number[][]) => ({
  split,
  damageTypes,
  zone,
  crops: vectors.length,
  sum: Float64Array.from([0, 1, 2], (d) => vectors.reduce((sum, vector) => sum + vector[d]!, 0)),
});

const unit = (values: number[]) => values.map((value) => value / Math.hypot(...values));
const close = (values: number[]) => values.map((value) => expect.closeTo(value, 6));

beforeAll(async () => {
  ({ backend, stop } = await startTestBackend());
  datasetId = (await backend.db.datasets.register({ name: 'ds', root: '/tmp/ds' })).id;
  await backend.db.prototypeCells.replace(collection, datasetId, [
    cell('train', ['scratch'], 'front', [1, 0, 0]),
    cell('test', ['scratch'], 'left_side', [0, 1, 0]),
    cell('train', ['dent'], 'front', [0, 0, 1]),
    cell('train', ['dent', 'scratch'], 'rear', [0, 0, 2]),
    cell('train', [], 'front', [1, 1, 1]),
  ]);
}, 120_000);
afterAll(async () => {
  await stop?.();
});

describe('labelPrototype', () => {
  it('is the normalised mean image vector of the crops with a named type (Spanish synonym), each crop once', async () => {
    const prototype = await labelPrototype(backend, collection, taxonomy, 'rayón');
    expect(prototype.labels).toEqual({ damageTypes: ['scratch'], zones: [] });
    expect(prototype.crops).toBe(3);
    expect(Array.from(prototype.vector)).toEqual(close(unit([1, 1, 2])));
    // The crop with both types counts once for "dent or scratch".
    expect((await labelPrototype(backend, collection, taxonomy, 'dent scratch')).crops).toBe(4);
  });

  it('narrows to the named zone, its child zones included, and to a split', async () => {
    expect(Array.from((await labelPrototype(backend, collection, taxonomy, 'scratch on the front')).vector)).toEqual(
      close([1, 0, 0]),
    );
    // `side` is the parent of left_side.
    expect((await labelPrototype(backend, collection, taxonomy, 'scratch side')).crops).toBe(1);
    // A zone alone takes clean crops too.
    expect((await labelPrototype(backend, collection, taxonomy, 'front')).crops).toBe(3);
    const train = await labelPrototype(backend, collection, taxonomy, 'scratch', { datasetId, split: 'train' });
    expect(train.crops).toBe(2);
    expect(Array.from(train.vector)).toEqual(close(unit([1, 0, 2])));
  });

  it('refuses unknown words (listing the vocabulary) and labels no crop carries, and reads no other collection', async () => {
    await expect(labelPrototype(backend, collection, taxonomy, 'sparkly scratch')).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringContaining('"sparkly"'),
    });
    await expect(labelPrototype(backend, collection, taxonomy, 'broken glass')).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringContaining('no indexed crop shows broken_glass'),
    });
    await expect(labelPrototype(backend, 'crops_other_3', taxonomy, 'scratch')).rejects.toMatchObject({
      code: 'BAD_INPUT',
    });
  });
});
