import { describe, expect, it } from 'vitest';
import { seededShuffle, stratifiedSample } from '../src';

describe('seeded sampling', () => {
  const items = Array.from({ length: 100 }, (_, i) => ({ id: i, zone: i < 60 ? 'front' : i < 90 ? 'rear' : 'side' }));

  it('shuffles the same way for the same seed only', () => {
    const numbers = Array.from({ length: 50 }, (_, i) => i);
    expect(seededShuffle(numbers, 'a')).toEqual(seededShuffle(numbers, 'a'));
    expect(seededShuffle(numbers, 'a')).not.toEqual(seededShuffle(numbers, 'b'));
    expect([...seededShuffle(numbers, 'a')].sort((x, y) => x - y)).toEqual(numbers);
  });

  it('gives each stratum its proportional share and keeps input order', () => {
    const picked = stratifiedSample(items, (item) => item.zone, 20, 'seed');
    expect(picked).toHaveLength(20);
    const count = (zone: string) => picked.filter((item) => item.zone === zone).length;
    expect([count('front'), count('rear'), count('side')]).toEqual([12, 6, 2]);
    expect(picked.map((item) => item.id)).toEqual([...picked.map((item) => item.id)].sort((a, b) => a - b));
    expect(stratifiedSample(items, (item) => item.zone, 20, 'seed')).toEqual(picked);
    expect(stratifiedSample(items, (item) => item.zone, 20, 'other')).not.toEqual(picked);
  });

  it('hands leftover picks to the largest remainders and never picks more than there is', () => {
    const picked = stratifiedSample(items, (item) => item.zone, 5, 'seed');
    // Exact shares 3, 1.5, 0.5: whole parts 3 + 1, the leftover pick goes to one of the .5 remainders.
    expect(picked).toHaveLength(5);
    expect(picked.filter((item) => item.zone === 'front')).toHaveLength(3);
    expect(stratifiedSample(items, (item) => item.zone, 500, 'seed')).toHaveLength(100);
    expect(stratifiedSample([], () => 'x', 3, 'seed')).toEqual([]);
  });
});
