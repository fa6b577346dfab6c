import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copySampleSubset, imageOnlyTestModel, sampleDatasetOrSkip } from '@defect-rag/testing';
import { labelPrototype, activeTaxonomy } from '@defect-rag/search';
import { deleteDataset, ingestDataset, type IngestionSummary } from '../src';
import { type Backend } from '@defect-rag/runs';
import { startTestBackend } from '@defect-rag/runs/testing';

const sample = sampleDatasetOrSkip();
const FIRST = ['cdd_10', 'cdd_13', 'cps_car4'];
const MORE = [...FIRST, 'cdd_14', 'cps_car32'];

describe.skipIf(!sample)('label prototypes kept per collection by ingestion (image-only model)', () => {
  let backend: Backend;
  let stop: () => Promise<void>;
  const modelDir = imageOnlyTestModel();

  beforeAll(async () => {
    ({ backend, stop } = await startTestBackend(undefined, modelDir));
  }, 120_000);
  afterAll(async () => {
    await stop?.();
  });

  /** The normalised mean image vector of the dataset's crops with `type`, read from Qdrant itself. */
  async function expectedPrototype(summary: IngestionSummary, type: string) {
    const { collection, datasetId } = summary;
    const ids = (await backend.vectorStore.scrollPayloads(collection, { datasetId, damageTypes: [type] })).map(
      (ref) => ref.cropId,
    );
    const points = await backend.vectorStore.getPoints(collection, ids, { withVectors: true });
    const sum = points[0]!.vectors!.image.map((_, d) =>
      points.reduce((total, point) => total + point.vectors!.image[d]!, 0),
    );
    const norm = Math.hypot(...sum);
    return { crops: points.length, vector: sum.map((value) => expect.closeTo(value / norm, 5)) };
  }

  it('sums every crop of the dataset at the end of an ingestion, again after the next one, and forgets a deleted dataset', async () => {
    const first = await ingestDataset(backend, { datasetDir: copySampleSubset(sample!, FIRST), name: 'protos' });
    const { collection, datasetId } = first;
    const cells = await backend.db.prototypeCells.list(collection, datasetId);
    expect(cells.reduce((total, cell) => total + cell.crops, 0)).toBe(first.points);

    const taxonomy = await activeTaxonomy(backend, datasetId);
    const [type] = (await backend.vectorStore.facets(collection, 'damage_types', { datasetId })).map((facet) =>
      String(facet.value),
    );
    const before = await labelPrototype(backend, collection, taxonomy, type!);
    const expectedBefore = await expectedPrototype(first, type!);
    expect(before.crops).toBe(expectedBefore.crops);
    expect(Array.from(before.vector)).toEqual(expectedBefore.vector);

    // The same dataset grown by two photos: the next ingestion rewrites its cells.
    const grown = await ingestDataset(backend, {
      datasetDir: copySampleSubset(sample!, MORE),
      name: 'protos',
      repoint: true,
    });
    expect(grown.datasetId).toBe(datasetId);
    expect(grown.points).toBeGreaterThan(first.points);
    const after = await labelPrototype(backend, collection, taxonomy, type!);
    const expectedAfter = await expectedPrototype(grown, type!);
    expect(after.crops).toBe(expectedAfter.crops);
    expect(Array.from(after.vector)).toEqual(expectedAfter.vector);
    expect(
      (await backend.db.prototypeCells.list(collection, datasetId)).reduce((total, cell) => total + cell.crops, 0),
    ).toBe(grown.points);

    await deleteDataset(backend, datasetId);
    expect(await backend.db.prototypeCells.list(collection)).toEqual([]);
  }, 300_000);
});
