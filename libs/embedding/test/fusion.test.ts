import { describe, expect, it } from 'vitest';
import { fuse } from '../src/index';

const vector = (...values: number[]) => Float32Array.from(values);
const norm = (v: Float32Array) => Math.hypot(...v);

describe('fuse', () => {
  it('average: the renormalised mean of the two unit vectors', () => {
    const fused = fuse(vector(1, 0, 0), vector(0, 1, 0), { strategy: 'average' });
    expect(Array.from(fused)).toEqual([expect.closeTo(Math.SQRT1_2, 6), expect.closeTo(Math.SQRT1_2, 6), 0]);
  });

  it('normalises each input first, so a longer vector does not weigh more', () => {
    const fused = fuse(vector(5, 0), vector(0, 0.1), { strategy: 'average' });
    expect(fused[0]).toBeCloseTo(fused[1]!, 6);
    expect(norm(fused)).toBeCloseTo(1, 6);
  });

  it('weighted: alpha is the image weight; 1 gives the image vector, 0 the text vector', () => {
    const image = vector(3, 4, 0);
    const text = vector(0, 0, 2);
    expect(Array.from(fuse(image, text, { strategy: 'weighted', alpha: 1 }))).toEqual([
      expect.closeTo(0.6, 6),
      expect.closeTo(0.8, 6),
      0,
    ]);
    expect(Array.from(fuse(image, text, { strategy: 'weighted', alpha: 0 }))).toEqual([0, 0, expect.closeTo(1, 6)]);

    const mostlyImage = fuse(image, text, { strategy: 'weighted', alpha: 0.8 });
    const expected = vector(0.8 * 0.6, 0.8 * 0.8, 0.2);
    const length = norm(expected);
    expect(Array.from(mostlyImage)).toEqual(Array.from(expected, (value) => expect.closeTo(value / length, 6)));
  });

  it('weighted with alpha 0.5 is the average', () => {
    const image = vector(0.2, -0.5, 0.9, 0.1);
    const text = vector(-0.3, 0.4, 0.2, 0.8);
    const average = fuse(image, text, { strategy: 'average' });
    const half = fuse(image, text, { strategy: 'weighted', alpha: 0.5 });
    half.forEach((value, i) => expect(value).toBeCloseTo(average[i]!, 6));
  });

  it('leaves its inputs untouched', () => {
    const image = vector(3, 4);
    fuse(image, vector(1, 0), { strategy: 'average' });
    expect(Array.from(image)).toEqual([3, 4]);
  });

  it('rejects inconsistent options and vectors that cannot be fused', () => {
    const [a, b] = [vector(1, 0), vector(0, 1)];
    expect(() => fuse(a, b, { strategy: 'weighted' })).toThrow(expect.objectContaining({ code: 'BAD_INPUT' }));
    expect(() => fuse(a, b, { strategy: 'weighted', alpha: 1.5 })).toThrow(
      expect.objectContaining({ code: 'BAD_INPUT' }),
    );
    expect(() => fuse(a, b, { strategy: 'average', alpha: 0.3 })).toThrow(/only applies to the weighted/);
    expect(() => fuse(a, vector(1, 0, 0), { strategy: 'average' })).toThrow(/dimensions 2 and 3/);
    expect(() => fuse(a, vector(-1, 0), { strategy: 'average' })).toThrow(
      expect.objectContaining({ code: 'EMBEDDING_FAILED' }),
    );
    expect(() => fuse(vector(0, 0), b, { strategy: 'average' })).toThrow(
      expect.objectContaining({ code: 'EMBEDDING_FAILED' }),
    );
  });
});
