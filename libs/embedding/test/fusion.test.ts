import { describe, expect, it } from 'vitest';
import { mulberry32 } from '@defect-rag/runtime';
import { fuse } from '../src/index';

const vector = (...values: number[]) => Float32Array.from(values);
const norm = (v: Float32Array) => Math.hypot(...v);

describe('fuse', () => {
  it('average: the renormalised mean of the two unit vectors', () => {
    const fused = fuse(vector(1, 0, 0), vector(0, 1, 0), { strategy: 'average' }, 'shared');
    expect(Array.from(fused)).toEqual([expect.closeTo(Math.SQRT1_2, 6), expect.closeTo(Math.SQRT1_2, 6), 0]);
  });

  it('normalises each input first, so a longer vector does not weigh more', () => {
    const fused = fuse(vector(5, 0), vector(0, 0.1), { strategy: 'average' }, 'shared');
    expect(fused[0]).toBeCloseTo(fused[1]!, 6);
    expect(norm(fused)).toBeCloseTo(1, 6);
  });

  it('weighted: alpha is the image weight; 1 gives the image vector, 0 the text vector', () => {
    const image = vector(3, 4, 0);
    const text = vector(0, 0, 2);
    expect(Array.from(fuse(image, text, { strategy: 'weighted', alpha: 1 }, 'shared'))).toEqual([
      expect.closeTo(0.6, 6),
      expect.closeTo(0.8, 6),
      0,
    ]);
    expect(Array.from(fuse(image, text, { strategy: 'weighted', alpha: 0 }, 'shared'))).toEqual([
      0,
      0,
      expect.closeTo(1, 6),
    ]);

    const mostlyImage = fuse(image, text, { strategy: 'weighted', alpha: 0.8 }, 'shared');
    const expected = vector(0.8 * 0.6, 0.8 * 0.8, 0.2);
    const length = norm(expected);
    expect(Array.from(mostlyImage)).toEqual(Array.from(expected, (value) => expect.closeTo(value / length, 6)));
  });

  it('weighted with alpha 0.5 is the average', () => {
    const image = vector(0.2, -0.5, 0.9, 0.1);
    const text = vector(-0.3, 0.4, 0.2, 0.8);
    const average = fuse(image, text, { strategy: 'average' }, 'shared');
    const half = fuse(image, text, { strategy: 'weighted', alpha: 0.5 }, 'shared');
    half.forEach((value, i) => expect(value).toBeCloseTo(average[i]!, 6));
  });

  it('leaves its inputs untouched', () => {
    const image = vector(3, 4);
    fuse(image, vector(1, 0), { strategy: 'average' }, 'shared');
    expect(Array.from(image)).toEqual([3, 4]);
  });

  it('rejects inconsistent options and vectors that cannot be fused', () => {
    const [a, b] = [vector(1, 0), vector(0, 1)];
    expect(() => fuse(a, b, { strategy: 'weighted' }, 'shared')).toThrow(
      expect.objectContaining({ code: 'BAD_INPUT' }),
    );
    expect(() => fuse(a, b, { strategy: 'weighted', alpha: 1.5 }, 'shared')).toThrow(
      expect.objectContaining({ code: 'BAD_INPUT' }),
    );
    expect(() => fuse(a, b, { strategy: 'average', alpha: 0.3 }, 'shared')).toThrow(/only applies to the weighted/);
    expect(() => fuse(a, vector(1, 0, 0), { strategy: 'average' }, 'shared')).toThrow(/dimensions 2 and 3/);
    expect(() => fuse(a, vector(-1, 0), { strategy: 'average' }, 'shared')).toThrow(
      expect.objectContaining({ code: 'EMBEDDING_FAILED' }),
    );
    expect(() => fuse(vector(0, 0), b, { strategy: 'average' }, 'shared')).toThrow(
      expect.objectContaining({ code: 'EMBEDDING_FAILED' }),
    );
  });
});

describe('fuse for an encoder pair (separate spaces)', () => {
  // Seeded, so a failure can be reproduced.
  const random = mulberry32(16);
  const randomVector = (dimension: number) => Float32Array.from({ length: dimension }, () => random() * 2 - 1);
  const cosine = (a: Float32Array, b: Float32Array) => {
    let dot = 0;
    for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
    return dot / (norm(a) * norm(b));
  };

  it('concatenates √α·unit(image) and √(1 − α)·unit(text): unit length, dimension image + text', () => {
    const fused = fuse(vector(3, 4, 0), vector(0, 2), { strategy: 'weighted', alpha: 0.36 }, 'separate');
    expect(Array.from(fused)).toEqual([0.6 * 0.6, 0.6 * 0.8, 0, 0, 0.8].map((value) => expect.closeTo(value, 6)));
    expect(norm(fused)).toBeCloseTo(1, 6);
  });

  it('gives cos(fused a, fused b) = α·cos(images) + (1 − α)·cos(texts) within 1e-6, for every α', () => {
    for (const alpha of [0, 0.1, 0.25, 0.5, 0.7, 0.9, 1]) {
      for (let trial = 0; trial < 20; trial++) {
        const [imageA, imageB] = [randomVector(768), randomVector(768)];
        const [textA, textB] = [randomVector(384), randomVector(384)];
        const fusion = { strategy: 'weighted', alpha } as const;
        const fusedA = fuse(imageA, textA, fusion, 'separate');
        const fusedB = fuse(imageB, textB, fusion, 'separate');
        const expected = alpha * cosine(imageA, imageB) + (1 - alpha) * cosine(textA, textB);
        expect(Math.abs(cosine(fusedA, fusedB) - expected)).toBeLessThan(1e-6);
      }
    }
  });

  it('average is α 0.5; α 1 leaves the text half zero and α 0 the image half', () => {
    const [image, text] = [randomVector(5), randomVector(3)];
    const average = fuse(image, text, { strategy: 'average' }, 'separate');
    const half = fuse(image, text, { strategy: 'weighted', alpha: 0.5 }, 'separate');
    expect(Array.from(average)).toEqual(Array.from(half));
    // Zero times a negative value is -0, which toEqual tells from 0: compare magnitudes.
    const magnitudes = (values: Float32Array) => Array.from(values, Math.abs);
    expect(magnitudes(fuse(image, text, { strategy: 'weighted', alpha: 1 }, 'separate').subarray(5))).toEqual([
      0, 0, 0,
    ]);
    expect(magnitudes(fuse(image, text, { strategy: 'weighted', alpha: 0 }, 'separate').subarray(0, 5))).toEqual([
      0, 0, 0, 0, 0,
    ]);
  });

  it('still refuses a zero vector', () => {
    expect(() => fuse(vector(0, 0, 0), vector(1, 0), { strategy: 'average' }, 'separate')).toThrow(
      expect.objectContaining({ code: 'EMBEDDING_FAILED' }),
    );
  });
});
