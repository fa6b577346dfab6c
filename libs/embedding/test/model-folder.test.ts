import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageOnlyTestModel } from '@defect-rag/testing';
import { loadModel } from '../src/index';
import { writeCombinedModel } from './support/combined-model';
import { testImage, TINY_CLIP } from './support/images';

let root: string;
let count = 0;
beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'model-folder-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A copy of the tiny model folder that a test may break. */
function tinyCopy(): string {
  const dir = path.join(root, `model-${count++}`);
  cpSync(TINY_CLIP, dir, { recursive: true });
  return dir;
}

function editJson(dir: string, name: string, edit: (json: Record<string, unknown>) => void): void {
  const file = path.join(dir, name);
  const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(json);
  writeFileSync(file, JSON.stringify(json));
}

describe("the combined layout (onnx/model.onnx + model.onnx_data, as MetaCLIP's repository publishes)", () => {
  it('loads and gives the same vectors as the split layout', async () => {
    const combinedDir = path.join(root, 'combined');
    writeCombinedModel(TINY_CLIP, combinedDir);
    const [split, combined] = await Promise.all([loadModel(TINY_CLIP), loadModel(combinedDir)]);
    try {
      const images = await Promise.all([testImage(1), testImage(2), testImage(3)]);
      const texts = ['1 dent on hood (hood).', 'Clean surface of roof (roof). No defects visible.'];
      const [a, b] = [await split.embedImages(images), await combined.embedImages(images)];
      a.forEach((vector, i) => vector.forEach((value, j) => expect(b[i]![j]).toBeCloseTo(value, 5)));
      const [c, d] = [await split.embedTexts(texts), await combined.embedTexts(texts)];
      c.forEach((vector, i) => vector.forEach((value, j) => expect(d[i]![j]).toBeCloseTo(value, 5)));
      expect(combined.dimension).toBe(split.dimension);
      // The weights file is part of what identifies the vectors.
      expect(combined.contentHash).not.toBe(split.contentHash);
    } finally {
      await Promise.all([split.close(), combined.close()]);
    }
  });

  it('says which file is wrong when the external weights are missing', async () => {
    const dir = path.join(root, 'combined-no-data');
    writeCombinedModel(TINY_CLIP, dir);
    rmSync(path.join(dir, 'onnx', 'model.onnx_data'));
    await expect(loadModel(dir)).rejects.toMatchObject({
      code: 'MODEL_INVALID',
      message: expect.stringMatching(/onnx\/model\.onnx could not be loaded/),
    });
  });
});

describe('an image-only folder (no text tower, no tokenizer)', () => {
  it('embeds images like the full folder and refuses text with MODE_UNSUPPORTED naming the model', async () => {
    const [full, imageOnly] = await Promise.all([loadModel(TINY_CLIP), loadModel(imageOnlyTestModel())]);
    try {
      expect(full.towers).toEqual(['image', 'text']);
      expect(imageOnly.towers).toEqual(['image']);
      expect(imageOnly.hasTextTower).toBe(false);
      const images = await Promise.all([testImage(1), testImage(2)]);
      const [a, b] = [await full.embedImages(images), await imageOnly.embedImages(images)];
      a.forEach((vector, i) => expect(Array.from(b[i]!)).toEqual(Array.from(vector)));
      await expect(imageOnly.embedTexts(['a dent'])).rejects.toMatchObject({
        code: 'MODE_UNSUPPORTED',
        message: expect.stringContaining(`"${imageOnly.modelId}" has only an image tower`),
      });
      expect(() => imageOnly.countTokens('a dent')).toThrow(/only an image tower/);
    } finally {
      await Promise.all([full.close(), imageOnly.close()]);
    }
  });

  it('an image-only folder without its vision graph is MODEL_INVALID naming the file', async () => {
    const dir = imageOnlyTestModel();
    rmSync(path.join(dir, 'onnx', 'vision_model.onnx'));
    await expect(loadModel(dir)).rejects.toMatchObject({
      code: 'MODEL_INVALID',
      message: expect.stringContaining('image-only model but onnx/vision_model.onnx is missing'),
    });
  });

  it('towers without "image" are refused', async () => {
    const dir = tinyCopy();
    editJson(dir, 'config.json', (json) => {
      json.defect_rag = { towers: ['text'] };
    });
    await expect(loadModel(dir)).rejects.toMatchObject({
      code: 'MODEL_INVALID',
      message: expect.stringContaining('must include "image"'),
    });
  });
});

describe('a folder that does not fit gets a message naming the file or input', () => {
  const cases: Array<[string, (dir: string) => void, RegExp]> = [
    ['config.json missing', (dir) => rmSync(path.join(dir, 'config.json')), /config\.json is missing/],
    [
      'config.json not JSON',
      (dir) => writeFileSync(path.join(dir, 'config.json'), '{'),
      /config\.json is not valid JSON/,
    ],
    [
      'projection_dim wrong type',
      (dir) => editJson(dir, 'config.json', (c) => (c.projection_dim = 'big')),
      /config\.json: projection_dim/,
    ],
    [
      'preprocessor_config.json missing',
      (dir) => rmSync(path.join(dir, 'preprocessor_config.json')),
      /preprocessor_config\.json is missing/,
    ],
    [
      'image_mean with 2 values',
      (dir) => editJson(dir, 'preprocessor_config.json', (c) => (c.image_mean = [0.5, 0.5])),
      /preprocessor_config\.json: image_mean/,
    ],
    [
      'an unsupported resample filter',
      (dir) => editJson(dir, 'preprocessor_config.json', (c) => (c.resample = 5)),
      /resample 5 is not supported/,
    ],
    ['tokenizer.json missing', (dir) => rmSync(path.join(dir, 'tokenizer.json')), /tokenizer\.json is missing/],
    [
      'no ONNX graphs',
      (dir) => rmSync(path.join(dir, 'onnx'), { recursive: true }),
      /expected onnx\/vision_model\.onnx \+ onnx\/text_model\.onnx \(split layout\) or onnx\/model\.onnx/,
    ],
    [
      'only the vision graph',
      (dir) => rmSync(path.join(dir, 'onnx', 'text_model.onnx')),
      /It has onnx\/vision_model\.onnx but not onnx\/text_model\.onnx/,
    ],
    [
      'the towers swapped',
      (dir) =>
        copyFileSync(path.join(TINY_CLIP, 'onnx', 'text_model.onnx'), path.join(dir, 'onnx', 'vision_model.onnx')),
      /onnx\/vision_model\.onnx has no input "pixel_values" \(it has inputs input_ids, attention_mask/,
    ],
    [
      'a corrupt graph',
      (dir) => writeFileSync(path.join(dir, 'onnx', 'text_model.onnx'), 'not onnx'),
      /onnx\/text_model\.onnx could not be loaded by onnxruntime/,
    ],
    [
      'projection_dim not what the graphs return',
      (dir) => editJson(dir, 'config.json', (c) => (c.projection_dim = 32)),
      /image_embeds of dimension 64 but config\.json projection_dim is 32/,
    ],
    [
      'image size not what the preprocessor crops',
      (dir) => editJson(dir, 'config.json', (c) => ((c.vision_config as Record<string, unknown>).image_size = 336)),
      /crops 224×224 but config\.json vision_config\.image_size is 336/,
    ],
    [
      'image size not what the graph takes',
      (dir) => {
        editJson(dir, 'config.json', (c) => ((c.vision_config as Record<string, unknown>).image_size = 336));
        editJson(dir, 'preprocessor_config.json', (c) => {
          c.size = { shortest_edge: 336 };
          c.crop_size = { height: 336, width: 336 };
        });
      },
      /takes pixel_values \[batch_size, 3, 224, 224\] but preprocessor_config\.json makes \[n, 3, 336, 336\]/,
    ],
  ];

  it.each(cases)('%s', async (_, breakFolder, message) => {
    const dir = tinyCopy();
    breakFolder(dir);
    await expect(loadModel(dir)).rejects.toMatchObject({
      code: 'MODEL_INVALID',
      message: expect.stringMatching(message),
    });
  });

  it('a missing folder is MODEL_NOT_FOUND', async () => {
    await expect(loadModel(path.join(root, 'nowhere'))).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });

  it('int8 without quantized graphs says the fp32 ones are there', async () => {
    const dir = tinyCopy();
    rmSync(path.join(dir, 'onnx', 'vision_model_quantized.onnx'));
    await expect(loadModel(dir, { precision: 'int8' })).rejects.toThrow(
      /onnx\/vision_model_quantized\.onnx.*The fp32 graphs are there/,
    );
  });
});
