import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleDatasetOrSkip } from '@defect-rag/testing';
import {
  buildOnnx,
  conversionStamp,
  convertToFolder,
  DEFAULT_HEAD,
  EMBEDDING_DIM,
  IMAGE_SIZE,
  isUpToDate,
  padAxis,
  parseVariant,
  PREPROCESSOR_CONFIG,
  rmacGrid,
  type ConvertResult,
} from '../inception-v3/converter';
import { averageCells, mapOf, rmacCells } from '../similarity/defect-pooling';
import { PROBE_HEADS } from '../similarity/variants';
import { cropRgb, toNchw } from '../inception-v3/preprocess';
import { readNsfwjsInception } from '../inception-v3/source';

/**
 * The converted graph (tools/inception-v3) against goldens.json, which TensorFlow.js computed
 * from the original nsfwjs layers model (tools/inception-v3/make-goldens.ts) on three photos of
 * the shared sample, preprocessed by the same module.
 */
interface Goldens {
  source_sha256: string;
  images: { path: string; sha256: string; embedding: number[]; heads: Record<string, number[]> }[];
}
const goldens = JSON.parse(
  readFileSync(path.join(import.meta.dirname, '..', 'inception-v3', 'goldens.json'), 'utf8'),
) as Goldens;
const TOLERANCE = 1e-4;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

describe('TensorFlow padding', () => {
  it("puts the odd cell at the end, as TensorFlow's 'same' does", () => {
    expect(padAxis(17, 3, 2, 'same', 't')).toEqual({ out: 9, begin: 1, end: 1 });
    expect(padAxis(18, 3, 2, 'same', 't')).toEqual({ out: 9, begin: 0, end: 1 });
    expect(padAxis(35, 1, 1, 'same', 't')).toEqual({ out: 35, begin: 0, end: 0 });
    expect(padAxis(299, 3, 2, 'valid', 't')).toEqual({ out: 149, begin: 0, end: 0 });
  });
});

describe('nsfwjs source files', () => {
  it('refuses a file whose sha256 differs, naming it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'inception-v3-bad-'));
    try {
      writeFileSync(path.join(dir, 'model.min.js'), 'module.exports = {};');
      expect(() => readNsfwjsInception(dir)).toThrow(/model\.min\.js: sha256 [0-9a-f]{64} differs/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the converted model folder', () => {
  const outDir = path.join(mkdtempSync(path.join(tmpdir(), 'inception-v3-')), 'inception-v3-imagenet');
  let converted: ConvertResult;
  let session: ort.InferenceSession;

  beforeAll(async () => {
    converted = convertToFolder(outDir);
    session = await ort.InferenceSession.create(path.join(outDir, 'onnx', 'vision_model.onnx'), {
      intraOpNumThreads: 2,
      interOpNumThreads: 1,
    });
  });
  afterAll(async () => {
    await session?.release();
    rmSync(path.dirname(outDir), { recursive: true, force: true });
  });

  it('has the I/O contract of a vision tower and a stamped, vision-only config', () => {
    expect(session.inputNames).toEqual(['pixel_values']);
    expect(session.outputNames).toEqual(['image_embeds']);
    const config = JSON.parse(readFileSync(path.join(outDir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      _name_or_path: 'defect-rag/inception-v3-imagenet',
      projection_dim: EMBEDDING_DIM,
      vision_config: { image_size: IMAGE_SIZE },
      defect_rag: { random_weights: false, towers: ['image'], ...conversionStamp() },
    });
    expect(JSON.parse(readFileSync(path.join(outDir, 'preprocessor_config.json'), 'utf8'))).toEqual(
      PREPROCESSOR_CONFIG,
    );
    expect(isUpToDate(outDir)).toBe(true);
    expect(goldens.source_sha256).toBe(conversionStamp().source_sha256);
  });

  it('is byte-identical when converted again', () => {
    const again = convertToFolder(`${outDir}-again`);
    try {
      expect(
        createHash('sha256')
          .update(readFileSync(path.join(again.outDir, 'onnx', 'vision_model.onnx')))
          .digest('hex'),
      ).toBe(createHash('sha256').update(converted.onnx).digest('hex'));
    } finally {
      rmSync(again.outDir, { recursive: true, force: true });
    }
  });

  const dataset = sampleDatasetOrSkip();
  describe.skipIf(!dataset)('on photos of the shared sample', () => {
    const images: Uint8Array[] = [];
    const run = async (batch: Uint8Array[]): Promise<Float32Array> => {
      const pixels = new ort.Tensor('float32', toNchw(batch), [batch.length, 3, IMAGE_SIZE, IMAGE_SIZE]);
      const { image_embeds: embeds } = await session.run({ pixel_values: pixels });
      expect(embeds!.dims).toEqual([batch.length, EMBEDDING_DIM]);
      return embeds!.data as Float32Array;
    };

    beforeAll(async () => {
      for (const golden of goldens.images) {
        const file = path.join(dataset!, golden.path);
        const bytes = readFileSync(file);
        // A changed photo would make the comparison meaningless: say so instead of a wrong diff.
        expect(createHash('sha256').update(bytes).digest('hex'), `${file} is not the photo of the goldens`).toBe(
          golden.sha256,
        );
        images.push(await cropRgb(file));
      }
    });

    it(`matches TensorFlow.js's output of the original model within ${TOLERANCE}`, async () => {
      const diffs: number[] = [];
      for (const [i, golden] of goldens.images.entries()) {
        diffs.push(maxAbsDiff(await run([images[i]!]), golden.embedding));
      }
      console.log(`max |onnx - tfjs| per photo: ${diffs.map((d) => d.toExponential(2)).join(', ')}`);
      for (const diff of diffs) expect(diff).toBeLessThanOrEqual(TOLERANCE);
    });

    it('gives a batch of two the rows of the single images, each of unit length', async () => {
      const batch = await run([images[1]!, images[2]!]);
      const singles = [await run([images[1]!]), await run([images[2]!])];
      for (let row = 0; row < 2; row++) {
        const vector = batch.subarray(row * EMBEDDING_DIM, (row + 1) * EMBEDDING_DIM);
        expect(maxAbsDiff(vector, singles[row]!)).toBeLessThanOrEqual(1e-6);
        expect(Math.hypot(...vector)).toBeCloseTo(1, 5);
      }
    });
  });
});

describe('pooling heads (tools/similarity) and variant folders', () => {
  it('splits each R-MAC scale into l × l windows that cover the map', () => {
    for (const size of [17, 35]) {
      for (let scale = 1; scale <= 3; scale++) {
        const { kernel, stride, padEnd } = rmacGrid(size, scale);
        expect(Math.floor((size + padEnd - kernel) / stride) + 1).toBe(scale);
        expect((scale - 1) * stride + kernel).toBeGreaterThanOrEqual(size);
      }
    }
    expect(rmacGrid(17, 2)).toEqual({ kernel: 12, stride: 5, padEnd: 0 });
  });

  it('names variants LAYER[+LAYER]-POOLING; the default is mixed5-rmac', () => {
    expect(parseVariant('mixed5-rmac')).toBe(DEFAULT_HEAD);
    expect(parseVariant('mixed5-avg')).toEqual({ output: 'image_embeds', layers: ['mixed5'], pooling: 'avg' });
    expect(parseVariant('mixed4+mixed5-gem')).toEqual({
      output: 'image_embeds',
      layers: ['mixed4', 'mixed5'],
      pooling: 'gem',
    });
    expect(() => parseVariant('mixed9-avg')).toThrow(/layers among mixed0/);
    expect(() => parseVariant('mixed5-median')).toThrow(/pooling among avg, gem, rmac/);
  });

  it('writes a variant folder with its own model id, dimension and stamp', () => {
    const outDir = path.join(mkdtempSync(path.join(tmpdir(), 'inception-v3-variant-')), 'v');
    try {
      const head = parseVariant('mixed4+mixed5-rmac');
      const result = convertToFolder(outDir, head);
      expect(result.dimension).toBe(2 * EMBEDDING_DIM);
      const config = JSON.parse(readFileSync(path.join(outDir, 'config.json'), 'utf8'));
      expect(config).toMatchObject({
        _name_or_path: 'defect-rag/inception-v3-imagenet-mixed4+mixed5-rmac',
        projection_dim: 2 * EMBEDDING_DIM,
        defect_rag: { variant: 'mixed4+mixed5-rmac', towers: ['image'], ...conversionStamp() },
      });
      expect(isUpToDate(outDir, head)).toBe(true);
      // Another variant (or the default) in that folder is not up to date.
      expect(isUpToDate(outDir)).toBe(false);
    } finally {
      rmSync(path.dirname(outDir), { recursive: true, force: true });
    }
  });

  const dataset = sampleDatasetOrSkip();
  describe.skipIf(!dataset)('on photos of the shared sample', () => {
    let probe: ort.InferenceSession;
    let concat: ort.InferenceSession;
    const pixels: ort.Tensor[] = [];

    beforeAll(async () => {
      const options = { intraOpNumThreads: 2, interOpNumThreads: 1 };
      probe = await ort.InferenceSession.create(buildOnnx(undefined, PROBE_HEADS, ['mixed5']).onnx, options);
      concat = await ort.InferenceSession.create(
        buildOnnx(undefined, [parseVariant('mixed4+mixed5-avg')]).onnx,
        options,
      );
      for (const golden of goldens.images) {
        const rgb = await cropRgb(path.join(dataset!, golden.path));
        pixels.push(new ort.Tensor('float32', toNchw([rgb]), [1, 3, IMAGE_SIZE, IMAGE_SIZE]));
      }
    });
    afterAll(async () => {
      await probe?.release();
      await concat?.release();
    });

    it(`matches TensorFlow.js's pooling of the original model's layers within ${TOLERANCE}, every head`, async () => {
      for (const [i, golden] of goldens.images.entries()) {
        const output = await probe.run({ pixel_values: pixels[i]! });
        expect(Object.keys(golden.heads).sort()).toEqual(PROBE_HEADS.map((head) => head.output).sort());
        for (const head of PROBE_HEADS) {
          const vector = output[head.output]!.data as Float32Array;
          expect(maxAbsDiff(vector, golden.heads[head.output]!), `${golden.path} ${head.output}`).toBeLessThanOrEqual(
            TOLERANCE,
          );
        }
        // The probe's mixed5 R-MAC is the model folder's vector.
        expect(maxAbsDiff(output.mixed5_rmac!.data as Float32Array, golden.embedding)).toBeLessThanOrEqual(TOLERANCE);
      }
    });

    it('outputs the mixed5 map, which pooled over every cell by defect-pooling.ts gives the original average and R-MAC', async () => {
      for (const [i, golden] of goldens.images.entries()) {
        const { mixed5: map } = await probe.run({ pixel_values: pixels[i]! });
        expect(map!.dims).toEqual([1, 768, 17, 17]);
        const cells = mapOf(map!.data as Float32Array, 0, 768, 17, 17);
        const every = new Uint8Array(17 * 17).fill(1);
        expect(maxAbsDiff(averageCells(cells, every), golden.heads.mixed5_avg!)).toBeLessThanOrEqual(TOLERANCE);
        expect(maxAbsDiff(rmacCells(cells, every), golden.heads.mixed5_rmac!)).toBeLessThanOrEqual(TOLERANCE);
      }
    });

    it("concatenates layers as the normalised join of each layer's unit vector", async () => {
      const single = await probe.run({ pixel_values: pixels[0]! });
      const joined = [...(single.mixed4_avg!.data as Float32Array), ...(single.mixed5_avg!.data as Float32Array)].map(
        (value) => value / Math.SQRT2,
      );
      const { image_embeds: embeds } = await concat.run({ pixel_values: pixels[0]! });
      expect(maxAbsDiff(embeds!.data as Float32Array, joined)).toBeLessThanOrEqual(1e-6);
    });
  });
});
