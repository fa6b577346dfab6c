import { describe, expect, it } from 'vitest';
import {
  averagePrecisionAt,
  compositeScore,
  foundAt,
  hitsAt,
  mean,
  precisionAt,
  recallAt,
  reciprocalRank,
  tieGroups,
  type TieGroup,
} from '../src/metrics';

/** A ranked list from relevance flags, each result with its own score (no ties). */
function ranked(flags: string): TieGroup[] {
  return tieGroups([...flags].map((flag, i) => ({ score: 1 - i / 100, relevant: flag === 'R' })));
}

/** Every order of the tied results, each as a list of relevance flags. */
function orders(groups: readonly TieGroup[]): boolean[][] {
  const permutations = (items: boolean[]): boolean[][] =>
    items.length <= 1
      ? [items]
      : items.flatMap((item, i) =>
          permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
        );
  return groups.reduce<boolean[][]>(
    (prefixes, { size, relevant }) => {
      const members = Array.from({ length: size }, (_, i) => i < relevant);
      return prefixes.flatMap((prefix) => permutations(members).map((order) => [...prefix, ...order]));
    },
    [[]],
  );
}

/** Textbook definitions on one order, no ties. */
const plain = {
  precision: (flags: boolean[], k: number) => flags.slice(0, k).filter(Boolean).length / k,
  averagePrecision: (flags: boolean[], k: number, total: number) => {
    let hits = 0;
    let sum = 0;
    flags.slice(0, k).forEach((relevant, i) => {
      if (!relevant) return;
      hits++;
      sum += hits / (i + 1);
    });
    return sum / Math.min(k, total);
  },
  found: (flags: boolean[], k: number) => (flags.slice(0, k).some(Boolean) ? 1 : 0),
  reciprocalRank: (flags: boolean[]) => {
    const first = flags.indexOf(true);
    return first < 0 ? 0 : 1 / (first + 1);
  },
};

const average = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

describe('tieGroups', () => {
  it('groups consecutive equal scores and counts their relevant results', () => {
    const groups = tieGroups([
      { score: 0.9, relevant: true },
      { score: 0.8, relevant: false },
      { score: 0.8, relevant: true },
      { score: 0.8, relevant: false },
      { score: 0.5, relevant: false },
    ]);
    expect(groups).toEqual([
      { size: 1, relevant: 1 },
      { size: 3, relevant: 1 },
      { size: 1, relevant: 0 },
    ]);
    expect(tieGroups([])).toEqual([]);
  });
});

describe('metrics without ties (hand-computed)', () => {
  // R . R . with 3 relevant crops in the index.
  const groups = ranked('R.R.');

  it('precision@k and recall@k', () => {
    expect(precisionAt(groups, 1)).toBe(1);
    expect(precisionAt(groups, 2)).toBe(0.5);
    expect(precisionAt(groups, 3)).toBeCloseTo(2 / 3, 12);
    expect(recallAt(groups, 1, 3)).toBeCloseTo(1 / 3, 12);
    expect(recallAt(groups, 4, 3)).toBeCloseTo(2 / 3, 12);
  });

  it('AP@k divides by min(k, relevant)', () => {
    // Relevant at ranks 1 and 3: (1/1 + 2/3) / min(4, 3).
    expect(averagePrecisionAt(groups, 4, 3)).toBeCloseTo((1 + 2 / 3) / 3, 12);
    // Cut at 2: only rank 1 counts, divided by min(2, 3) = 2.
    expect(averagePrecisionAt(groups, 2, 3)).toBeCloseTo(0.5, 12);
    expect(averagePrecisionAt(ranked('RR'), 5, 2)).toBe(1);
  });

  it('reciprocal rank of the first relevant result', () => {
    expect(reciprocalRank(groups, 3)).toBe(1);
    expect(reciprocalRank(ranked('..R'), 1)).toBeCloseTo(1 / 3, 12);
    expect(reciprocalRank(ranked('...'), 2)).toBe(0);
  });
});

describe('ties: expected values over the orders of tied results', () => {
  it('a tie across the cut-off shares its relevant results (hand-computed)', () => {
    // Scores 0.9, 0.8, 0.8: the first is not relevant, one of the two tied ones is.
    const groups = tieGroups([
      { score: 0.9, relevant: false },
      { score: 0.8, relevant: true },
      { score: 0.8, relevant: false },
    ]);
    expect(precisionAt(groups, 2)).toBe(0.25);
    expect(precisionAt(groups, 3)).toBeCloseTo(1 / 3, 12);
    // The relevant one is second or third with equal chance.
    expect(reciprocalRank(groups, 1)).toBeCloseTo((1 / 2 + 1 / 3) / 2, 12);
    expect(averagePrecisionAt(groups, 3, 1)).toBeCloseTo((1 / 2 + 1 / 3) / 2, 12);
    expect(averagePrecisionAt(groups, 2, 1)).toBeCloseTo(1 / 4, 12);
    // Found within 2 when the relevant one of the tied pair comes first: one half.
    expect(foundAt(groups, 1, 1)).toBe(0);
    expect(foundAt(groups, 2, 1)).toBe(0.5);
    expect(foundAt(groups, 3, 1)).toBe(1);
  });

  it('every result tied: precision is the share of relevant ones at every k', () => {
    const groups = [{ size: 4, relevant: 2 }];
    for (const k of [1, 2, 3, 4]) expect(precisionAt(groups, k)).toBe(0.5);
    // By hand over the 6 orders of RR.. : AP@4 (R = 2) = 49/72.
    expect(averagePrecisionAt(groups, 4, 2)).toBeCloseTo(49 / 72, 12);
    // First relevant at 1 (p 1/2), 2 (p 1/3), 3 (p 1/6).
    expect(reciprocalRank(groups, 2)).toBeCloseTo(1 / 2 + 1 / 6 + 1 / 18, 12);
  });

  it('equals the average over every order of the ties of the textbook definitions', () => {
    const cases: { groups: TieGroup[]; total: number }[] = [
      {
        groups: [
          { size: 2, relevant: 1 },
          { size: 3, relevant: 2 },
          { size: 1, relevant: 0 },
        ],
        total: 4,
      },
      {
        groups: [
          { size: 1, relevant: 0 },
          { size: 4, relevant: 3 },
          { size: 2, relevant: 1 },
        ],
        total: 6,
      },
      { groups: [{ size: 5, relevant: 1 }], total: 1 },
      {
        groups: [
          { size: 3, relevant: 0 },
          { size: 3, relevant: 3 },
        ],
        total: 10,
      },
    ];
    for (const { groups, total } of cases) {
      const all = orders(groups);
      for (const k of [1, 2, 3, 5, 8]) {
        expect(precisionAt(groups, k)).toBeCloseTo(average(all.map((flags) => plain.precision(flags, k))), 12);
        expect(averagePrecisionAt(groups, k, total)).toBeCloseTo(
          average(all.map((flags) => plain.averagePrecision(flags, k, total))),
          12,
        );
        expect(foundAt(groups, k, total)).toBeCloseTo(average(all.map((flags) => plain.found(flags, k))), 12);
      }
      expect(reciprocalRank(groups, total)).toBeCloseTo(average(all.map((flags) => plain.reciprocalRank(flags))), 12);
    }
  });
});

describe('edge cases', () => {
  it('empty results: nothing found, but recall, AP and RR stay defined when the index has relevant crops', () => {
    expect(hitsAt([], 5)).toBe(0);
    expect(precisionAt([], 5)).toBe(0);
    expect(recallAt([], 5, 3)).toBe(0);
    expect(averagePrecisionAt([], 5, 3)).toBe(0);
    expect(reciprocalRank([], 3)).toBe(0);
  });

  it('found@k is 1 from the first relevant rank on, however many relevant crops the index holds', () => {
    const groups = ranked('..R.R');
    expect([1, 2, 3, 5, 10].map((k) => foundAt(groups, k, 500))).toEqual([0, 0, 1, 1, 1]);
    expect(recallAt(groups, 10, 500)).toBe(2 / 500);
  });

  it('k larger than the index: missing ranks count as not relevant for precision, recall reaches 1', () => {
    const groups = ranked('RR');
    expect(precisionAt(groups, 10)).toBe(0.2);
    expect(recallAt(groups, 10, 2)).toBe(1);
    expect(averagePrecisionAt(groups, 10, 2)).toBe(1);
  });

  it('no relevant crop in the index: precision is 0, recall, AP and RR are undefined', () => {
    const groups = ranked('...');
    expect(precisionAt(groups, 3)).toBe(0);
    expect(recallAt(groups, 3, 0)).toBeNull();
    expect(foundAt(groups, 3, 0)).toBeNull();
    expect(averagePrecisionAt(groups, 3, 0)).toBeNull();
    expect(reciprocalRank(groups, 0)).toBeNull();
  });

  it('mean skips undefined values and is undefined without any', () => {
    expect(mean([1, null, 0])).toBe(0.5);
    expect(mean([null, null])).toBeNull();
    expect(mean([])).toBeNull();
  });

  it('composite is 0.7 mAP + 0.3 critical recall, not available without critical queries', () => {
    expect(compositeScore(0.5, 1)).toBeCloseTo(0.65, 12);
    expect(compositeScore(0.5, null)).toBeNull();
    expect(compositeScore(null, 1)).toBeNull();
  });
});
