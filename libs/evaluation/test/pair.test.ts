import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copySampleSubset, PAIR_TEST_MODEL_ID, pairTestModel, sampleDatasetOrSkip } from '@defect-rag/testing';
import { describeModels, searchSimilar } from '@defect-rag/search';
import { ingestDataset, type IngestionSummary } from '@defect-rag/ingestion';
import { type Backend } from '@defect-rag/runs';
import { searchSpecs } from '../src/queries';
import type { EvaluationCrop } from '../src/retrieval';
import { startTestBackend } from '@defect-rag/runs/testing';

const sample = sampleDatasetOrSkip();
// The real ImageNet image tower (768-d) and the tiny model's text tower (64-d), in separate spaces.
const pairDir = sample ? pairTestModel() : null;

type Stored = { image: number[]; text: number[]; fused: number[] };
const cosine = (a: readonly number[], b: readonly number[]) => {
  let [dot, aa, bb] = [0, 0, 0];
  for (let i = 0; i < a.length; i++) [dot, aa, bb] = [dot + a[i]! * b[i]!, aa + a[i]! ** 2, bb + b[i]! ** 2];
  return dot / Math.sqrt(aa * bb);
};

describe.skipIf(!pairDir)('an encoder pair ingested into Qdrant (real crops of the shared sample)', () => {
  let backend: Backend;
  let stop: () => Promise<void>;
  let datasetDir: string;
  let summary: IngestionSummary;
  const stored = async (): Promise<Stored[]> => {
    const refs = await backend.vectorStore.scrollPayloads(summary.collection, { datasetId: summary.datasetId });
    const points = await backend.vectorStore.getPoints(
      summary.collection,
      refs.map((ref) => ref.cropId),
      { withVectors: true },
    );
    return points.map((point) => point.vectors as Stored);
  };

  beforeAll(async () => {
    ({ backend, stop } = await startTestBackend(undefined, pairDir!));
    datasetDir = copySampleSubset(sample!, ['cdd_10', 'cdd_14', 'cps_car10']);
    summary = await ingestDataset(backend, {
      datasetDir,
      name: 'pair',
      fusion: { strategy: 'weighted', alpha: 0.2 },
    });
  }, 300_000);

  afterAll(async () => {
    await stop?.();
    rmSync(datasetDir, { recursive: true, force: true });
    rmSync(pairDir!, { recursive: true, force: true });
  });

  it('stores image, text and fused vectors of different dimensions in one collection', async () => {
    expect(summary.modelId).toBe(PAIR_TEST_MODEL_ID);
    expect(summary.points).toBeGreaterThanOrEqual(4);
    const vectors = await stored();
    expect(vectors.length).toBe(summary.points);
    for (const point of vectors) {
      expect([point.image.length, point.text.length, point.fused.length]).toEqual([768, 64, 832]);
    }
    const [model] = await describeModels(backend);
    expect(model).toMatchObject({ id: PAIR_TEST_MODEL_ID, dimension: 832, modes: ['image', 'text', 'fused'] });
  });

  it('stored fused cosines equal α·image cosine + (1 − α)·text cosine within 1e-6, for several α', async () => {
    // Each α is another fusion, so re-ingesting embeds every crop again under it.
    for (const [alpha, fusion] of [
      [0.2, undefined],
      [0.5, { strategy: 'average' as const }],
      [0.9, { strategy: 'weighted' as const, alpha: 0.9 }],
    ] as const) {
      if (fusion) summary = await ingestDataset(backend, { datasetDir, name: 'pair', fusion });
      const vectors = await stored();
      let pairs = 0;
      for (let a = 0; a < vectors.length; a++) {
        for (let b = a + 1; b < vectors.length; b++) {
          const [x, y] = [vectors[a]!, vectors[b]!];
          const expected = alpha * cosine(x.image, y.image) + (1 - alpha) * cosine(x.text, y.text);
          expect(Math.abs(cosine(x.fused, y.fused) - expected)).toBeLessThan(1e-6);
          pairs++;
        }
      }
      expect(pairs).toBeGreaterThanOrEqual(6);
    }
  }, 300_000);

  it('a stored crop searches the fused vectors by default, with fused scores', async () => {
    const [first] = await backend.vectorStore.scrollPayloads(summary.collection, { datasetId: summary.datasetId });
    const result = await searchSimilar(backend, { cropId: first!.cropId, limit: 3, exact: true });
    expect(result.mode).toBe('fused');
    expect(result.items.length).toBeGreaterThan(0);
    expect(result.items.map((item) => item.crop.id)).not.toContain(first!.cropId);
  });

  it('image and text queries stay in their own space: that is their default, and crossing is MODE_UNSUPPORTED', async () => {
    const crop = (await searchSimilar(backend, { text: 'a dent on the door', limit: 1 })).items[0]!.crop;
    // A crop point (searches keep to crops by default) always has its file.
    const file = crop.file!;
    expect((await searchSimilar(backend, { text: 'a dent on the door', limit: 1 })).mode).toBe('text');
    expect((await searchSimilar(backend, { image: file, limit: 1 })).mode).toBe('image');
    const crossing = [
      { text: 'a dent on the door', mode: 'image' as const },
      { text: 'a dent on the door', mode: 'fused' as const },
      { image: file, mode: 'text' as const },
      { image: file, mode: 'fused' as const },
    ];
    for (const query of crossing) {
      await expect(searchSimilar(backend, query)).rejects.toMatchObject({
        code: 'MODE_UNSUPPORTED',
        message: expect.stringContaining(`model "${PAIR_TEST_MODEL_ID}" is an encoder pair`),
      });
    }
    // The same crop file as an image query finds itself first.
    const self = await searchSimilar(backend, { image: file, mode: 'image', limit: 1, exact: true });
    expect(path.basename(self.items[0]!.crop.file!)).toBe(path.basename(file));
  });
});

describe("the evaluation's searches for an encoder pair", () => {
  const vector = () => Float32Array.of(1, 0);
  const labels = (space: 'shared' | 'separate') =>
    searchSpecs({
      modes: ['image', 'text', 'fused'],
      alphas: [0.5],
      indexAlpha: 0.5,
      hasTextTower: true,
      space,
      prompt: vector,
      trivial: vector,
    }).map((spec) => spec.label);

  it('leaves out the searches that would compare across its spaces, and keeps the rest', () => {
    const shared = labels('shared');
    expect(shared).toContain('image → fused');
    expect(shared).toContain('prompt → fused');
    expect(labels('separate')).toEqual(
      shared.filter((label) => label !== 'image → fused' && label !== 'prompt → fused'),
    );
  });

  it('fuses the image + prompt queries by concatenation', () => {
    const [fusedSpec] = searchSpecs({
      modes: ['fused'],
      alphas: [0.36],
      indexAlpha: 0.5,
      hasTextTower: true,
      space: 'separate',
      prompt: () => Float32Array.of(0, 1),
      trivial: vector,
    });
    const crop = { vectors: { image: Float32Array.of(3, 4, 0), text: Float32Array.of(1, 0) } };
    const query = fusedSpec!.queryVector(crop as unknown as EvaluationCrop);
    expect(Array.from(query)).toEqual([0.36, 0.48, 0, 0, 0.8].map((value) => expect.closeTo(value, 6)));
  });
});
