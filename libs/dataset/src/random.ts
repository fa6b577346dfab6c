import { createHash } from 'node:crypto';
import { mulberry32 } from '@defect-rag/runtime';

/** A generator of floats in [0, 1) seeded by a string, so splits and samples repeat exactly. */
export function seededRandom(seed: string): () => number {
  return mulberry32(createHash('sha256').update(seed).digest().readUInt32LE(0));
}

/** A Fisher–Yates shuffle driven by `seed`; the input is left untouched. */
export function seededShuffle<T>(items: readonly T[], seed: string): T[] {
  const random = seededRandom(seed);
  const shuffled = [...items];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  return shuffled;
}

/**
 * Picks `count` items so that each stratum gets its proportional share: whole shares first, then
 * the leftover picks go to the strata with the largest fractional share (ties in seeded order).
 * Within a stratum the picks are a seeded shuffle. Returns the picked items in input order, so the
 * result depends only on the items, their order, `count` and `seed`.
 */
export function stratifiedSample<T>(
  items: readonly T[],
  stratumOf: (item: T) => string,
  count: number,
  seed: string,
): T[] {
  const total = items.length;
  const wanted = Math.max(0, Math.min(count, total));
  const strata = new Map<string, number[]>();
  items.forEach((item, index) => {
    const key = stratumOf(item);
    const members = strata.get(key);
    if (members) members.push(index);
    else strata.set(key, [index]);
  });
  const keys = seededShuffle([...strata.keys()].sort(), `${seed}:strata`);
  const quotas = new Map(keys.map((key) => [key, Math.floor((strata.get(key)!.length * wanted) / total)]));
  let left = wanted - [...quotas.values()].reduce((sum, quota) => sum + quota, 0);
  const byRemainder = [...keys].sort((a, b) => remainder(b) - remainder(a));
  for (const key of byRemainder) {
    if (left === 0) break;
    quotas.set(key, quotas.get(key)! + 1);
    left--;
  }
  const picked = new Set<number>();
  for (const key of keys) {
    for (const index of seededShuffle(strata.get(key)!, `${seed}:${key}`).slice(0, quotas.get(key))) picked.add(index);
  }
  return items.filter((_, index) => picked.has(index));

  function remainder(key: string): number {
    const exact = (strata.get(key)!.length * wanted) / total;
    return exact - Math.floor(exact);
  }
}
