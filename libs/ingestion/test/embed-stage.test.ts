import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuse, loadModel } from '@defect-rag/embedding';
import { workspaceRoot, type ProgressEvent } from '@defect-rag/runtime';
import { imageOnlyTestModel } from '@defect-rag/testing';
import { embedStage, readEmbeddings } from '../src/index';

const TINY_CLIP = path.join(workspaceRoot, 'models', 'tiny-clip');
const DIMENSION = 64;
const LONG_TEXT = Array.from({ length: 50 }, (_, i) => `deep scratch ${i}`).join(', ');

interface CropEntry {
  crop_id: string;
  file: string;
  text_description: string;
}

let root: string;
let count = 0;
beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'embed-stage-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A crops folder as phases 1–2 leave it: crop images and metadata_crops_phase2.json. */
async function cropsFolder(entries: Array<CropEntry & { image?: Buffer | 'missing' }>): Promise<string> {
  const dir = path.join(root, `crops-${count++}`);
  mkdirSync(path.join(dir, 'crops'), { recursive: true });
  for (const entry of entries) {
    if (entry.image !== 'missing')
      writeFileSync(path.join(dir, entry.file), entry.image ?? (await crop(entry.crop_id.length * 37)));
  }
  const crops = entries.map(({ crop_id, file, text_description }) => ({
    crop_id,
    file,
    text_description,
    has_damage: true,
    defects: [],
  }));
  writeFileSync(
    path.join(dir, 'metadata_crops_phase2.json'),
    JSON.stringify({ dataset: { name: 'test' }, crops, problems: [] }),
  );
  return dir;
}

/** A 336×336 crop: a colour field with a darker square whose place depends on `seed`. */
async function crop(seed: number): Promise<Buffer> {
  const square = await sharp({ create: { width: 80, height: 80, channels: 3, background: { r: 20, g: 20, b: 20 } } })
    .png()
    .toBuffer();
  return sharp({
    create: {
      width: 336,
      height: 336,
      channels: 3,
      background: { r: (seed * 53) % 256, g: (seed * 97) % 256, b: (seed * 31) % 256 },
    },
  })
    .composite([{ input: square, left: (seed * 41) % 256, top: (seed * 23) % 256 }])
    .jpeg()
    .toBuffer();
}

const entry = (id: string, text: string): CropEntry => ({
  crop_id: id,
  file: `crops/${id}.jpg`,
  text_description: text,
});

describe('embedStage', () => {
  let dir: string;
  const entries = [
    entry('a', '1 dent on hood (hood). Specific defects visible: dent.'),
    { ...entry('bb', 'broken'), image: Buffer.from('not a jpeg') },
    entry('ccc', 'Clean surface of roof (roof). No defects visible. Inspection grid section.'),
    { ...entry('dddd', 'missing'), image: 'missing' as const },
    entry('eeeee', LONG_TEXT),
    entry('ffffff', '2 scratches on front (bumper). Specific defects visible: scratch, deep scratch.'),
    entry('ggggggg', 'Clean surface of rear left door (door). No defects visible. Inspection grid section.'),
  ];
  const good = entries.filter((e) => !('image' in e));
  const progress: ProgressEvent[] = [];
  let result: Awaited<ReturnType<typeof embedStage>>;

  beforeAll(async () => {
    dir = await cropsFolder(entries);
    result = await embedStage({
      cropsDir: dir,
      modelDir: TINY_CLIP,
      batchSize: 3,
      fusion: { strategy: 'weighted', alpha: 0.7 },
      onProgress: (event) => progress.push(event),
    });
  });

  it('summarises the run: model, counts and the problems of the bad crops', () => {
    expect(result).toMatchObject({ crops: 7, embedded: 5, outputDir: path.join(dir, 'embeddings') });
    expect(result.index.model).toMatchObject({
      id: 'defect-rag/tiny-clip',
      dimension: DIMENSION,
      precision: 'fp32',
      random_weights: true,
    });
    expect(result.index.model.content_hash).toMatch(/^sha256:/);
    expect(result.problems.map(({ item, code }) => [item, code])).toEqual(
      expect.arrayContaining([
        ['crops/bb.jpg', 'IMAGE_DECODE_FAILED'],
        ['crops/dddd.jpg', 'IMAGE_NOT_FOUND'],
        ['eeeee', 'TEXT_TRUNCATED'],
      ]),
    );
    expect(result.problems).toHaveLength(3);
    expect(result.imagesPerSecond).toBeGreaterThan(0);
  });

  it('writes an index aligned with the crops, in their order, without the failed ones', async () => {
    const { index } = await readEmbeddings(dir);
    expect(index.count).toBe(5);
    expect(index.crops).toEqual(good.map((e, row) => ({ crop_id: e.crop_id, file: e.file, row })));
    expect(index.fusion).toEqual({ strategy: 'weighted', alpha: 0.7 });
    expect(index.problems).toHaveLength(3);
    for (const kind of ['image', 'text', 'fused'] as const) {
      expect(readFileSync(path.join(dir, 'embeddings', `${kind}.f32`)).length).toBe(5 * DIMENSION * 4);
    }
  });

  it("stores row i as the vectors of crop i: the embedder's own image and text vectors and their fusion", async () => {
    const stored = await readEmbeddings(dir);
    const row = (matrix: Float32Array, i: number) => matrix.subarray(i * DIMENSION, (i + 1) * DIMENSION);
    const embedder = await loadModel(TINY_CLIP);
    try {
      const images = await embedder.embedImages(good.map((e) => path.join(dir, e.file)));
      const texts = await embedder.embedTexts(good.map((e) => e.text_description));
      good.forEach((_, i) => {
        expect(Array.from(row(stored.image, i))).toEqual(Array.from(images[i]!, (v) => expect.closeTo(v, 5)));
        expect(Array.from(row(stored.text!, i))).toEqual(Array.from(texts[i]!, (v) => expect.closeTo(v, 5)));
        const fused = fuse(row(stored.image, i), row(stored.text!, i), { strategy: 'weighted', alpha: 0.7 }, 'shared');
        expect(Array.from(row(stored.fused!, i))).toEqual(Array.from(fused, (v) => expect.closeTo(v, 6)));
        expect(Math.hypot(...row(stored.fused!, i))).toBeCloseTo(1, 5);
      });
    } finally {
      await embedder.close();
    }
  });

  it('reports progress over every crop', () => {
    expect(progress.map((event) => event.done)).toEqual([3, 6, 7]);
    expect(progress.every((event) => event.stage === 'embed' && event.total === 7)).toBe(true);
  });

  it('writes the same bytes when run again', async () => {
    const before = readFileSync(path.join(dir, 'embeddings', 'fused.f32'));
    await embedStage({
      cropsDir: dir,
      modelDir: TINY_CLIP,
      batchSize: 3,
      fusion: { strategy: 'weighted', alpha: 0.7 },
    });
    expect(readFileSync(path.join(dir, 'embeddings', 'fused.f32')).equals(before)).toBe(true);
  });
});

describe('embedStage with an image-only model', () => {
  it('writes image.f32 alone, the same image vectors as the full model, and no text truncation problems', async () => {
    const dir = await cropsFolder([entry('a', 'a dent'), entry('ccc', LONG_TEXT)]);
    const result = await embedStage({ cropsDir: dir, modelDir: imageOnlyTestModel() });
    expect(result.index.files).toEqual({ image: 'image.f32' });
    expect(result.problems).toEqual([]);
    const stored = await readEmbeddings(dir);
    expect(stored.text).toBeUndefined();
    expect(stored.fused).toBeUndefined();
    const full = await loadModel(TINY_CLIP);
    try {
      const images = await full.embedImages(['a', 'ccc'].map((id) => path.join(dir, 'crops', `${id}.jpg`)));
      images.forEach((vector, i) =>
        expect(Array.from(stored.image.subarray(i * DIMENSION, (i + 1) * DIMENSION))).toEqual(
          Array.from(vector, (value) => expect.closeTo(value, 5)),
        ),
      );
    } finally {
      await full.close();
    }
  });
});

describe('embedStage on bad input', () => {
  it('needs the phase-2 file and says which stage writes it', async () => {
    const dir = path.join(root, 'empty');
    mkdirSync(dir, { recursive: true });
    await expect(embedStage({ cropsDir: dir, modelDir: TINY_CLIP })).rejects.toMatchObject({
      code: 'METADATA_INVALID',
      message: expect.stringMatching(/metadata_crops_phase2\.json.*defect-rag contexts/),
    });
  });

  it('names the missing field of a malformed phase-2 file', async () => {
    const dir = await cropsFolder([entry('a', 'dent')]);
    writeFileSync(
      path.join(dir, 'metadata_crops_phase2.json'),
      JSON.stringify({ crops: [{ crop_id: 'a', file: 'crops/a.jpg' }] }),
    );
    await expect(embedStage({ cropsDir: dir, modelDir: TINY_CLIP })).rejects.toThrow(/crops\.0\.text_description/);
  });

  it('fails when no crop could be embedded, after writing the index with the problems', async () => {
    const dir = await cropsFolder([
      { ...entry('a', 'dent'), image: Buffer.from('x') },
      { ...entry('b', 'dent'), image: 'missing' },
    ]);
    await expect(embedStage({ cropsDir: dir, modelDir: TINY_CLIP })).rejects.toMatchObject({
      code: 'EMBEDDING_FAILED',
    });
    const { index } = await readEmbeddings(dir);
    expect(index.count).toBe(0);
    expect(index.problems.map((problem) => problem.code)).toEqual(['IMAGE_DECODE_FAILED', 'IMAGE_NOT_FOUND']);
  });

  it('keeps the previous result when the model or the options are wrong', async () => {
    const dir = await cropsFolder([entry('a', 'dent')]);
    await embedStage({ cropsDir: dir, modelDir: TINY_CLIP });
    const index = readFileSync(path.join(dir, 'embeddings', 'index.json'));
    await expect(embedStage({ cropsDir: dir, modelDir: path.join(root, 'no-model') })).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
    });
    await expect(
      embedStage({ cropsDir: dir, modelDir: TINY_CLIP, fusion: { strategy: 'weighted', alpha: 2 } }),
    ).rejects.toMatchObject({
      code: 'BAD_INPUT',
    });
    expect(readFileSync(path.join(dir, 'embeddings', 'index.json')).equals(index)).toBe(true);
  });
});
