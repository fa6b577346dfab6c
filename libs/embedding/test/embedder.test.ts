import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type Embedder } from '../src/index';
import { testImage, TINY_CLIP } from './support/images';

const TEXTS = [
  '2 scratches on front (bumper). Specific defects visible: scratch, deep scratch.',
  'Clean surface of rear left door (door). No defects visible. Inspection grid section.',
  '1 dent on hood (hood). Specific defects visible: dent.',
  'Rotura/Fractura en el paragolpes delantero; rayones profundos.',
  'Clean surface of front (bumper). No defects visible. Inspection grid section.',
];

const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, value, i) => sum + value * b[i]!, 0);
const maxDifference = (a: Float32Array[], b: Float32Array[]) =>
  Math.max(...a.map((row, i) => Math.max(...row.map((value, j) => Math.abs(value - b[i]![j]!)))));

describe('Embedder on the tiny model', () => {
  let embedder: Embedder;
  let images: Buffer[];
  let workDir: string;

  beforeAll(async () => {
    embedder = await loadModel(TINY_CLIP, { batchSize: 4 });
    images = await Promise.all(Array.from({ length: 7 }, (_, i) => testImage(i, { format: i % 2 ? 'png' : 'jpeg' })));
    workDir = mkdtempSync(path.join(os.tmpdir(), 'embedder-'));
  });
  afterAll(async () => {
    await embedder.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('reads its identity and sizes from the folder', () => {
    expect(embedder.modelId).toBe('defect-rag/tiny-clip');
    expect(embedder.dimension).toBe(64);
    expect(embedder.maxTextLength).toBe(77);
    expect(embedder.randomWeights).toBe(true);
    expect(embedder.precision).toBe('fp32');
    expect(embedder.contentHash).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("gives one unit vector of the folder's dimension per image and per text", async () => {
    const vectors = [...(await embedder.embedImages(images)), ...(await embedder.embedTexts(TEXTS))];
    expect(vectors).toHaveLength(images.length + TEXTS.length);
    for (const vector of vectors) {
      expect(vector).toBeInstanceOf(Float32Array);
      expect(vector).toHaveLength(64);
      expect(Math.sqrt(dot(vector, vector))).toBeCloseTo(1, 5);
    }
  });

  it('keeps inputs apart: different images and texts give different vectors', async () => {
    const imageVectors = await embedder.embedImages(images);
    const textVectors = await embedder.embedTexts(TEXTS);
    for (const list of [imageVectors, textVectors]) {
      for (let i = 0; i < list.length; i++) {
        for (let j = i + 1; j < list.length; j++) expect(dot(list[i]!, list[j]!)).toBeLessThan(0.995);
      }
    }
  });

  it('batch of 1 equals batch of n, across batch boundaries and padding lengths', async () => {
    const single = await loadModel(TINY_CLIP, { batchSize: 1 });
    try {
      // 7 images in batches of 4 (4 + 3) against one at a time; texts of different lengths padded
      // together against each alone.
      expect(maxDifference(await single.embedImages(images), await embedder.embedImages(images))).toBeLessThan(1e-5);
      expect(maxDifference(await single.embedTexts(TEXTS), await embedder.embedTexts(TEXTS))).toBeLessThan(1e-5);
    } finally {
      await single.close();
    }
  });

  it('is deterministic: the same inputs give identical vectors, also from a second load', async () => {
    const again = await loadModel(TINY_CLIP, { batchSize: 4 });
    try {
      const first = await embedder.embedImages(images);
      expect(await embedder.embedImages(images)).toEqual(first);
      expect(await again.embedImages(images)).toEqual(first);
      expect(await again.embedTexts(TEXTS)).toEqual(await embedder.embedTexts(TEXTS));
      expect(again.contentHash).toBe(embedder.contentHash);
    } finally {
      await again.close();
    }
  });

  it('embeds a file path like the same bytes in a buffer', async () => {
    const file = path.join(workDir, 'crop.jpg');
    writeFileSync(file, images[0]!);
    expect(await embedder.embedImages([file])).toEqual(await embedder.embedImages([images[0]!]));
  });

  it('cuts texts longer than 77 tokens instead of failing, and counts their tokens', async () => {
    const long = Array.from({ length: 40 }, () => 'deep scratch').join(', ');
    expect(embedder.countTokens(long)).toBeGreaterThan(77);
    expect(embedder.countTokens('clean surface')).toBe(4);
    const [vector] = await embedder.embedTexts([long]);
    expect(Math.sqrt(dot(vector!, vector!))).toBeCloseTo(1, 5);
  });

  it('names the bad image of a batch by its position in the inputs', async () => {
    const inputs = [...images.slice(0, 5), Buffer.from('truncated'), images[5]!];
    await expect(embedder.embedImages(inputs)).rejects.toMatchObject({
      code: 'IMAGE_DECODE_FAILED',
      details: { index: 5 },
    });
    await expect(embedder.embedImages([path.join(workDir, 'missing.jpg')])).rejects.toMatchObject({
      code: 'IMAGE_NOT_FOUND',
    });
  });

  it('returns nothing for no inputs', async () => {
    expect(await embedder.embedImages([])).toEqual([]);
    expect(await embedder.embedTexts([])).toEqual([]);
  });

  it('loads the int8 graphs: close to fp32, but a different content hash', async () => {
    const int8 = await loadModel(TINY_CLIP, { precision: 'int8' });
    try {
      expect(int8.precision).toBe('int8');
      expect(int8.contentHash).not.toBe(embedder.contentHash);
      const [quantized, exact] = [
        await int8.embedImages(images.slice(0, 3)),
        await embedder.embedImages(images.slice(0, 3)),
      ];
      quantized.forEach((vector, i) => expect(dot(vector, exact[i]!)).toBeGreaterThan(0.99));
      const [quantizedText] = await int8.embedTexts(TEXTS.slice(0, 1));
      const [exactText] = await embedder.embedTexts(TEXTS.slice(0, 1));
      expect(dot(quantizedText!, exactText!)).toBeGreaterThan(0.99);
      expect(maxDifference(quantized, exact)).toBeGreaterThan(0);
    } finally {
      await int8.close();
    }
  });

  it('rejects bad options', async () => {
    await expect(loadModel(TINY_CLIP, { batchSize: 0 })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(loadModel(TINY_CLIP, { intraOpThreads: 1.5 })).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });
});

// onnxruntime-node ships its CUDA provider (Linux x64 only) as a separate download; without it,
// asking for cuda must fail clearly instead of silently running on the CPU.
const ortDir = path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
const cudaProviderMissing =
  process.platform === 'linux' &&
  process.arch === 'x64' &&
  !existsSync(path.join(ortDir, 'bin', 'napi-v6', 'linux', 'x64', 'libonnxruntime_providers_cuda.so'));

describe.runIf(cudaProviderMissing)('executionProvider cuda without the CUDA provider', () => {
  it('fails with EXECUTION_PROVIDER_UNAVAILABLE and says how to get it', async () => {
    const failure = loadModel(TINY_CLIP, { executionProvider: 'cuda' });
    await expect(failure).rejects.toMatchObject({ code: 'EXECUTION_PROVIDER_UNAVAILABLE' });
    await expect(failure).rejects.toThrow(/ONNXRUNTIME_NODE_INSTALL=cuda12/);
  });
});
