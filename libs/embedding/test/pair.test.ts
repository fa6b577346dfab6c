import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageNetModelOrSkip, PAIR_TEST_MODEL_ID, pairTestModel } from '@defect-rag/testing';
import { embedCrops, fuse, loadModel, readEmbeddings, writeEmbeddings, type Embedder } from '../src';
import { testImage, TINY_CLIP } from './support/images';

// An encoder pair: the real ImageNet image tower (768-d) and the tiny model's text tower (64-d),
// declared `"space": "separate"` in config.json.
const imageModel = imageNetModelOrSkip();
const pairDir = imageModel ? pairTestModel() : null;

function editConfig(dir: string, edit: (config: Record<string, unknown>, pair: Record<string, unknown>) => void) {
  const file = path.join(dir, 'config.json');
  const config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(config, config.defect_rag as Record<string, unknown>);
  writeFileSync(file, JSON.stringify(config));
}

describe.skipIf(!pairDir)('an encoder pair (separate spaces)', () => {
  let pair: Embedder;
  let image: Embedder;
  let text: Embedder;
  beforeAll(async () => {
    [pair, image, text] = await Promise.all([loadModel(pairDir!), loadModel(imageModel!), loadModel(TINY_CLIP)]);
  });
  afterAll(async () => {
    await Promise.all([pair?.close(), image?.close(), text?.close()]);
    rmSync(pairDir!, { recursive: true, force: true });
  });

  it('has a dimension per kind: image and text from their graphs, fused both end to end', () => {
    expect(pair.modelId).toBe(PAIR_TEST_MODEL_ID);
    expect(pair.space).toBe('separate');
    expect(pair.towers).toEqual(['image', 'text']);
    expect(pair.dimensions).toEqual({ image: 768, text: 64, fused: 832 });
    expect(pair.dimension).toBe(832);
    expect(image.space).toBe('shared');
  });

  it("embeds images with the image tower's model and texts with the text tower's", async () => {
    const images = await Promise.all([testImage(1), testImage(2)]);
    const texts = ['1 dent on hood (hood).', 'Clean surface of roof (roof). No defects visible.'];
    const [pairImages, imageOnly] = [await pair.embedImages(images), await image.embedImages(images)];
    expect(pairImages.map((vector) => vector.length)).toEqual([768, 768]);
    pairImages.forEach((vector, i) => expect(Array.from(vector)).toEqual(Array.from(imageOnly[i]!)));
    const [pairTexts, clipTexts] = [await pair.embedTexts(texts), await text.embedTexts(texts)];
    expect(pairTexts.map((vector) => vector.length)).toEqual([64, 64]);
    pairTexts.forEach((vector, i) => expect(Array.from(vector)).toEqual(Array.from(clipTexts[i]!)));
  });

  it('fuses a crop by concatenation, so fused cosines are α·image cosine + (1 − α)·text cosine', async () => {
    const items = await Promise.all(
      [1, 2, 3].map(async (seed) => ({ image: await testImage(seed), text: `${seed} dents on the rear bumper` })),
    );
    const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, value, i) => sum + value * b[i]!, 0);
    for (const alpha of [0.2, 0.5, 0.8]) {
      const vectors = await embedCrops(pair, items, { strategy: 'weighted', alpha });
      for (const crop of vectors) {
        expect(crop.fused!.length).toBe(832);
        expect(Array.from(crop.fused!)).toEqual(
          Array.from(fuse(crop.image, crop.text!, { strategy: 'weighted', alpha }, 'separate')),
        );
      }
      for (const [a, b] of [
        [0, 1],
        [0, 2],
        [1, 2],
      ] as const) {
        const [x, y] = [vectors[a]!, vectors[b]!];
        const expected = alpha * dot(x.image, y.image) + (1 - alpha) * dot(x.text!, y.text!);
        expect(Math.abs(dot(x.fused!, y.fused!) - expected)).toBeLessThan(1e-6);
      }
    }
  });

  it("writes phase 3's files with each kind's own dimension and reads them back", async () => {
    const root = path.join(pairDir!, 'phase3');
    mkdirSync(path.join(root, 'crops'), { recursive: true });
    const crops = await Promise.all(
      ['a', 'b'].map(async (id, i) => {
        writeFileSync(path.join(root, 'crops', `${id}.jpg`), await testImage(i + 4));
        return { crop_id: id, file: `crops/${id}.jpg`, text_description: `scratch ${id}` };
      }),
    );
    await writeEmbeddings(pair, root, crops, { fusion: { strategy: 'average' } });
    const stored = await readEmbeddings(root);
    expect(stored.index.model).toMatchObject({
      dimension: 832,
      space: 'separate',
      dimensions: { image: 768, text: 64, fused: 832 },
    });
    expect([stored.image.length, stored.text!.length, stored.fused!.length]).toEqual([2 * 768, 2 * 64, 2 * 832]);
    const [vectors] = await embedCrops(pair, [{ image: path.join(root, 'crops', 'b.jpg'), text: 'scratch b' }], {
      strategy: 'average',
    });
    expect(Array.from(stored.fused!.subarray(832))).toEqual(Array.from(vectors!.fused!, (v) => expect.closeTo(v, 6)));
  });
});

describe("a random-weight pair (the tiny model's two towers declared separate spaces)", () => {
  let pair: Embedder;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tiny-pair-'));
    cpSync(TINY_CLIP, dir, { recursive: true });
    editConfig(dir, (config) => {
      config.defect_rag = { random_weights: true, space: 'separate', image_dim: 64, text_dim: 64 };
    });
    pair = await loadModel(dir);
  });
  afterAll(async () => {
    await pair?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fuses by concatenation even when both towers have the same dimension', async () => {
    expect(pair.dimensions).toEqual({ image: 64, text: 64, fused: 128 });
    const items = await Promise.all(
      [7, 8, 9, 10].map(async (seed) => ({ image: await testImage(seed), text: `${seed} scratches on the hood` })),
    );
    const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, value, i) => sum + value * b[i]!, 0);
    for (const alpha of [0, 0.3, 1]) {
      const vectors = await embedCrops(pair, items, { strategy: 'weighted', alpha });
      for (let a = 0; a < vectors.length; a++) {
        for (let b = a + 1; b < vectors.length; b++) {
          const [x, y] = [vectors[a]!, vectors[b]!];
          const expected = alpha * dot(x.image, y.image) + (1 - alpha) * dot(x.text!, y.text!);
          expect(Math.abs(dot(x.fused!, y.fused!) - expected)).toBeLessThan(1e-6);
        }
      }
    }
  });
});

describe.skipIf(!imageModel)("a pair's config.json errors name the file and the key", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const brokenPair = (edit: Parameters<typeof editConfig>[1]) => {
    const dir = pairTestModel()!;
    dirs.push(dir);
    editConfig(dir, edit);
    return dir;
  };
  const cases: Array<[string, Parameters<typeof editConfig>[1], RegExp]> = [
    ['an unknown space', (_, pair) => (pair.space = 'joint'), /config\.json: defect_rag\.space .*"shared"\|"separate"/],
    [
      'no text_dim',
      (_, pair) => delete pair.text_dim,
      /config\.json: an encoder pair .* needs defect_rag\.image_dim and text_dim/,
    ],
    [
      'an image-only pair',
      (_, pair) => (pair.towers = ['image']),
      /config\.json: defect_rag\.space "separate" pairs an image and a text tower/,
    ],
    [
      'image_dim not what the image graph returns',
      (_, pair) => (pair.image_dim = 512),
      /onnx\/vision_model\.onnx returns image_embeds of dimension 768 but config\.json defect_rag\.image_dim is 512/,
    ],
    [
      'text_dim not what the text graph returns',
      (_, pair) => (pair.text_dim = 384),
      /onnx\/text_model\.onnx returns text_embeds of dimension 64 but config\.json defect_rag\.text_dim is 384/,
    ],
    [
      'tower dimensions on a shared-space model',
      (_, pair) => (pair.space = 'shared'),
      /config\.json: defect_rag\.image_dim and text_dim only apply to "space": "separate"/,
    ],
  ];

  it.each(cases)('%s', async (_, edit, message) => {
    await expect(loadModel(brokenPair(edit))).rejects.toMatchObject({
      code: 'MODEL_INVALID',
      message: expect.stringMatching(message),
    });
  });
});
