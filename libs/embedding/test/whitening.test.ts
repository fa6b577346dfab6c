import { describe, expect, it } from 'vitest';
import { mulberry32 } from '@defect-rag/runtime';
import { applyWhitening, fitWhitening, type Whitening } from '../src/index';

const SEED = 29;

/** n vectors of d values: a shared offset plus seeded noise whose scale falls steeply with the axis. */
function anisotropic(n: number, d: number, seed: number): Float32Array[] {
  const random = mulberry32(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Array.from({ length: n }, () => Float32Array.from({ length: d }, (_, j) => 3 + gaussian() * 10 ** (-j / 4)));
}

/** P(x − mean), without the final normalisation: what the whitening makes of the data's spread. */
function project(whitening: Whitening, vector: Float32Array): number[] {
  const { inputDimension: d, outputDimension: k, mean, projection } = whitening;
  return Array.from({ length: k }, (_, i) => {
    let sum = 0;
    for (let j = 0; j < d; j++) sum += projection[i * d + j]! * (vector[j]! - mean[j]!);
    return sum;
  });
}

function covariance(rows: number[][]): number[][] {
  const n = rows.length;
  const k = rows[0]!.length;
  const mean = Array.from({ length: k }, (_, j) => rows.reduce((sum, row) => sum + row[j]!, 0) / n);
  return Array.from({ length: k }, (_, a) =>
    Array.from(
      { length: k },
      (_, b) => rows.reduce((sum, row) => sum + (row[a]! - mean[a]!) * (row[b]! - mean[b]!), 0) / (n - 1),
    ),
  );
}

describe('fitWhitening', () => {
  it(`makes the fitted vectors' covariance the identity (seed ${SEED})`, () => {
    const vectors = anisotropic(200, 6, SEED);
    const whitening = fitWhitening(vectors);
    expect(whitening.outputDimension).toBe(6);
    const cov = covariance(vectors.map((vector) => project(whitening, vector)));
    cov.forEach((row, a) => row.forEach((value, b) => expect(value).toBeCloseTo(a === b ? 1 : 0, 4)));
  });

  it('keeps the directions of largest variance first, and only `dimensions` of them', () => {
    const vectors = anisotropic(200, 6, SEED);
    const whitening = fitWhitening(vectors, { dimensions: 2 });
    expect(whitening.outputDimension).toBe(2);
    // Axis 0 has by far the largest spread: the first direction is (almost) that axis.
    const first = Array.from(whitening.projection.slice(0, 6));
    const norm = Math.hypot(...first);
    expect(Math.abs(first[0]!) / norm).toBeGreaterThan(0.99);
  });

  it('whitens through the n × n Gram matrix when there are fewer vectors than dimensions', () => {
    const vectors = anisotropic(12, 20, SEED);
    const viaGram = fitWhitening(vectors, { dimensions: 5 });
    const cov = covariance(vectors.map((vector) => project(viaGram, vector)));
    cov.forEach((row, a) => row.forEach((value, b) => expect(value).toBeCloseTo(a === b ? 1 : 0, 3)));
  });

  it('is deterministic: the same vectors give the same bytes', () => {
    const vectors = anisotropic(50, 8, SEED);
    const a = fitWhitening(vectors, { dimensions: 4 });
    const b = fitWhitening(vectors, { dimensions: 4 });
    expect(Buffer.from(a.projection.buffer)).toEqual(Buffer.from(b.projection.buffer));
  });

  it('power 0 only centres and rotates: cosine ranks of the full-dimension transform equal those of the centred vectors', () => {
    const vectors = anisotropic(40, 5, SEED);
    const whitening = fitWhitening(vectors, { power: 0 });
    const centred = (v: Float32Array) => Array.from(v, (value, j) => value - whitening.mean[j]!);
    const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, x, i) => s + x * b[i]!, 0);
    const [q, x, y] = [vectors[0]!, vectors[1]!, vectors[2]!];
    const cos = (a: number[], b: number[]) => dot(a, b) / Math.hypot(...a) / Math.hypot(...b);
    expect(dot(applyWhitening(whitening, q), applyWhitening(whitening, x))).toBeCloseTo(cos(centred(q), centred(x)), 5);
    expect(dot(applyWhitening(whitening, q), applyWhitening(whitening, y))).toBeCloseTo(cos(centred(q), centred(y)), 5);
  });

  it('refuses too few vectors and vectors of another dimension', () => {
    expect(() => fitWhitening(anisotropic(2, 3, SEED))).toThrow(/at least 3/);
    const whitening = fitWhitening(anisotropic(10, 3, SEED));
    expect(() => applyWhitening(whitening, new Float32Array(4))).toThrow(/3 values, got 4/);
  });
});
