import { describe, expect, it } from 'vitest';
import { scanAnyFilterExactly, scanFilterExactly } from '../src/scan-rule';

const dimension = 1024;

describe('when a filtered search scans exactly', () => {
  it('scans up to 25 000 matching crops of 1024 dimensions, whatever the collection size', () => {
    expect(scanFilterExactly({ matching: 25_000, points: 100_000, dimension })).toBe(true);
    expect(scanFilterExactly({ matching: 25_000, points: 10_000_000, dimension })).toBe(true);
    // The same floats in fewer, longer vectors.
    expect(scanFilterExactly({ matching: 12_500, points: 100_000, dimension: 2048 })).toBe(true);
  });

  it('walks the graph above that for a filter that keeps a large share of the collection', () => {
    // The 100 000-crop benchmark: 35 458 and 50 084 points walked the graph at recall ≥ 0.99.
    expect(scanFilterExactly({ matching: 35_458, points: 100_000, dimension })).toBe(false);
    expect(scanFilterExactly({ matching: 25_001, points: 100_000, dimension })).toBe(false);
  });

  it('scans up to twice that for a filter keeping at most 4 % of the collection, where the walk strands', () => {
    // The 1,000,000-crop benchmark's combined filter: 31 805 points (3.2 %), recall 0.971 by the graph.
    expect(scanFilterExactly({ matching: 31_805, points: 1_000_000, dimension })).toBe(true);
    expect(scanFilterExactly({ matching: 50_000, points: 1_250_000, dimension })).toBe(true);
    expect(scanFilterExactly({ matching: 50_001, points: 10_000_000, dimension })).toBe(false);
    expect(scanFilterExactly({ matching: 41_000, points: 1_000_000, dimension })).toBe(false);
  });

  it('needs no count in a collection small enough to scan whole', () => {
    expect(scanAnyFilterExactly({ points: 25_000, dimension })).toBe(true);
    expect(scanAnyFilterExactly({ points: 25_001, dimension })).toBe(false);
  });
});
