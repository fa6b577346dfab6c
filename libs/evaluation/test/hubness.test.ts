import { describe, expect, it } from 'vitest';
import { hubness } from '../src/metrics';

describe('hubness', () => {
  it('is the share of all result slots taken by the 1 % most returned items (at least one item)', () => {
    // 50 indexed items → one hub; "a" fills 3 of the 6 slots.
    expect(
      hubness(
        [
          ['a', 'b'],
          ['a', 'c'],
          ['a', 'd'],
        ],
        50,
      ),
    ).toBeCloseTo(3 / 6, 12);
    // 250 indexed items → three hubs: a (3), b (2), then one of the single ones.
    expect(
      hubness(
        [
          ['a', 'b'],
          ['a', 'b'],
          ['a', 'c'],
          ['d', 'e'],
        ],
        250,
      ),
    ).toBeCloseTo(6 / 8, 12);
  });

  it('is lowest when every query gets different results', () => {
    const lists = Array.from({ length: 100 }, (_, q) => Array.from({ length: 10 }, (_, r) => `${q}-${r}`));
    expect(hubness(lists, 1000)).toBeCloseTo(10 / 1000, 12);
  });

  it('is null without results', () => {
    expect(hubness([], 10)).toBeNull();
    expect(hubness([[], []], 10)).toBeNull();
  });
});
