import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDataset, seededShuffle, splitDataset, splitHash } from '@defect-rag/dataset';
import { ADAPTER_FILE, loadModel } from '@defect-rag/embedding';
import { copySampleSubset, imageNetModelOrSkip, sharedPathOrSkip } from '@defect-rag/testing';
import { ingestDataset } from '@defect-rag/ingestion';
import { describeModels, searchSimilar } from '@defect-rag/search';
import { startTestBackend } from '@defect-rag/runs/testing';
import { adaptModel } from '../src';

const typed = sharedPathOrSkip('datasets/vehicle-damage-typed');
const imageNet = imageNetModelOrSkip();
const SEED = 'adapt-subset';

/** 12 seeded photos of the typed set (6 per source) with its taxonomy, in a temporary folder. */
function subset(root: string): string {
  const stems = readdirSync(path.join(root, 'images'))
    .map((file) => path.basename(file, path.extname(file)))
    .sort();
  const chosen = ['lns', 'ilj'].flatMap((source) =>
    seededShuffle(
      stems.filter((stem) => stem.startsWith(`${source}_`)),
      SEED,
    ).slice(0, 6),
  );
  const dir = copySampleSubset(root, chosen);
  cpSync(path.join(root, 'taxonomy.yaml'), path.join(dir, 'taxonomy.yaml'));
  return dir;
}

/** Renames every shape of the photo's annotation to `label`. */
function relabel(datasetDir: string, image: string, label: string): void {
  const stem = path.basename(image, path.extname(image));
  const file = path.join(datasetDir, 'annotations', `${stem}_labelDANO_modificado.json`);
  const annotation = JSON.parse(readFileSync(file, 'utf8')) as { shapes: { label: string }[] };
  for (const shape of annotation.shapes) shape.label = label;
  writeFileSync(file, JSON.stringify(annotation));
}

/**
 * `adapt` with the real ImageNet model on a small typed subset: no test photo's label or pixels reach
 * the projection (a changed test photo gives identical bytes, a changed train label does not), and
 * the adapted folder's vectors are normalise(P · base vector).
 */
describe.skipIf(!typed || !imageNet)('adapt: a projection learned on the train split only', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'defect-rag-adapt-test-'));
  let datasetDir: string;
  let splitFile: string;
  let split: ReturnType<typeof splitDataset>;
  const adapt = (dir: string, out: string) =>
    adaptModel({
      datasetDir: dir,
      // One name for every copy: crop ids (and so the seeded choices) depend on it.
      name: 'typed',
      modelDir: imageNet!,
      outDir: path.join(work, out),
      splitFile,
      seed: 7,
      intraOpThreads: 2,
      // A short schedule keeps the test fast; the bytes still depend on every training vector and label.
      training: { steps: 5, dimensions: 16 },
    });
  const projection = (out: string) => readFileSync(path.join(work, out, ADAPTER_FILE));

  beforeAll(async () => {
    datasetDir = subset(typed!);
    split = splitDataset(await readDataset(datasetDir, { name: 'typed' }), { seed: 42 });
    splitFile = path.join(work, 'split.json');
    writeFileSync(splitFile, JSON.stringify(split));
    await adapt(datasetDir, 'original');
  }, 300_000);

  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
    if (datasetDir) rmSync(datasetDir, { recursive: true, force: true });
  });

  it('writes the base graph, the projection and a config naming the base model, dataset, split hash and seed', () => {
    const config = JSON.parse(readFileSync(path.join(work, 'original', 'config.json'), 'utf8'));
    const adapter = config.defect_rag.adapter;
    expect(adapter.base_model.id).toBe('defect-rag/inception-v3-imagenet');
    expect(adapter.base_model.sha256).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(adapter.training).toMatchObject({ dataset: 'typed', split_sha256: splitHash(split), seed: 7 });
    expect(adapter.training.finalLoss).toBeLessThan(adapter.training.initialLoss);
    expect(config.projection_dim).toBe(768 + 16);
    const graph = (dir: string) => readFileSync(path.join(dir, 'onnx', 'vision_model.onnx'));
    // Buffer.equals: a deep toEqual over 20 MB of bytes runs out of memory.
    expect(graph(path.join(work, 'original')).equals(graph(imageNet!))).toBe(true);
  });

  it('gives identical bytes when a test photo’s label and pixels change, and different bytes when a train label does', async () => {
    // Photos whose dominant label is not a dent, so that relabelling them "dent" changes a label.
    const pick = (name: 'train' | 'test') =>
      split.images.find(
        (entry) => entry.split === name && entry.stratum.startsWith('damaged/') && !entry.stratum.includes('/dent/'),
      )!;
    const [testImage, trainImage] = [pick('test'), pick('train')];
    console.log(`seed ${SEED}: test photo ${testImage.image}, train photo ${trainImage.image}`);

    const leaked = mkdtempSync(path.join(tmpdir(), 'defect-rag-adapt-leak-'));
    cpSync(datasetDir, leaked, { recursive: true });
    relabel(leaked, testImage.image, 'dent');
    const pixels = path.join(leaked, testImage.image);
    writeFileSync(pixels, await sharp(readFileSync(pixels)).negate().jpeg().toBuffer());
    await adapt(leaked, 'test-changed');
    expect(projection('test-changed').equals(projection('original'))).toBe(true);

    const trainChanged = mkdtempSync(path.join(tmpdir(), 'defect-rag-adapt-train-'));
    cpSync(datasetDir, trainChanged, { recursive: true });
    relabel(trainChanged, trainImage.image, 'dent');
    await adapt(trainChanged, 'train-changed');
    expect(projection('train-changed').equals(projection('original'))).toBe(false);
    for (const dir of [leaked, trainChanged]) rmSync(dir, { recursive: true, force: true });
  }, 300_000);

  it('makes image vectors equal to normalise(P · base vector) through the ordinary loader', async () => {
    const images = split.images.slice(0, 3).map((entry) => path.join(datasetDir, entry.image));
    const base = await loadModel(imageNet!, { intraOpThreads: 2 });
    const adapted = await loadModel(path.join(work, 'original'), { intraOpThreads: 2 });
    try {
      expect(adapted.dimensions.image).toBe(768 + 16);
      expect(adapted.modelId).not.toBe(base.modelId);
      expect(adapted.contentHash).not.toBe(base.contentHash);
      const bytes = projection('original');
      const P = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      const [baseVectors, adaptedVectors] = [await base.embedImages(images), await adapted.embedImages(images)];
      baseVectors.forEach((x, i) => {
        const y = Array.from({ length: 768 + 16 }, (_, row) =>
          x.reduce((sum, value, c) => sum + P[row * 768 + c]! * value, 0),
        );
        const norm = Math.hypot(...y);
        const expected = y.map((value) => value / norm);
        const max = Math.max(...expected.map((value, j) => Math.abs(value - adaptedVectors[i]![j]!)));
        expect(max).toBeLessThan(1e-5);
      });
    } finally {
      await Promise.all([base.close(), adapted.close()]);
    }
  }, 120_000);

  it('is ingested and searched like any model folder: its own collection, vectors of its dimension, image search', async () => {
    const { backend, stop } = await startTestBackend(undefined, path.join(work, 'original'));
    try {
      const summary = await ingestDataset(backend, { datasetDir, name: 'typed', splitFile });
      const [model] = await describeModels(backend);
      expect(model).toMatchObject({ dimension: 768 + 16, modes: ['image'] });
      expect(model!.id).toBe('defect-rag/inception-v3-imagenet+adapter-typed');
      const [first] = await backend.vectorStore.scrollPayloads(summary.collection, { datasetId: summary.datasetId });
      const result = await searchSimilar(backend, { cropId: first!.cropId, limit: 3, exact: true });
      expect(result.items.length).toBeGreaterThan(0);
      expect(result.items.map((item) => item.crop.id)).not.toContain(first!.cropId);
    } finally {
      await stop();
    }
  }, 180_000);
});
