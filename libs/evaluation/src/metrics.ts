/**
 * Ranking metrics of one query, as pure functions of its retrieved list.
 *
 * The list is given as tie groups: runs of consecutive results with the same score. Within a group
 * the search engine's order is arbitrary (templated descriptions give many crops the very same text
 * vector), so every metric is its expected value over all orders of each group, as in McSherry &
 * Najork, "Computing Information Retrieval Performance Measures Efficiently in the Presence of Tied
 * Scores" (ECIR 2008). Without ties these are the usual definitions:
 *
 * - precision@k = relevant among the first k / k (ranks past the end of a short list count as not
 *   relevant, so k larger than the index lowers precision);
 * - recall@k = relevant among the first k / all relevant crops of the index for this query;
 * - found@k = 1 when at least one of the first k is relevant, else 0 (recall@k as image retrieval
 *   uses it: "was it found");
 * - AP@k = Σ_{i ≤ k, item i relevant} precision@i / min(k, all relevant);
 * - reciprocal rank = 1 / rank of the first relevant result, 0 when none was retrieved.
 *
 * Recall, AP and reciprocal rank are undefined (null) for a query with no relevant crop in the
 * index; averages leave such queries out.
 */

/** Consecutive results with equal scores, best first: how many, and how many of them are relevant. */
export interface TieGroup {
  size: number;
  relevant: number;
}

/** Groups a ranked list (best first) into runs of exactly equal scores. */
export function tieGroups(ranked: readonly { score: number; relevant: boolean }[]): TieGroup[] {
  const groups: TieGroup[] = [];
  let previous: number | undefined;
  for (const { score, relevant } of ranked) {
    const last = groups.at(-1);
    if (last && score === previous) {
      last.size++;
      if (relevant) last.relevant++;
    } else {
      groups.push({ size: 1, relevant: relevant ? 1 : 0 });
    }
    previous = score;
  }
  return groups;
}

/** Expected number of relevant results among the first k. */
export function hitsAt(groups: readonly TieGroup[], k: number): number {
  let hits = 0;
  let start = 0;
  for (const { size, relevant } of groups) {
    if (start >= k) break;
    hits += (relevant * Math.min(size, k - start)) / size;
    start += size;
  }
  return hits;
}

export function precisionAt(groups: readonly TieGroup[], k: number): number {
  return hitsAt(groups, k) / k;
}

export function recallAt(groups: readonly TieGroup[], k: number, relevantTotal: number): number | null {
  return relevantTotal > 0 ? hitsAt(groups, k) / relevantTotal : null;
}

/**
 * Probability that at least one of the first k results is relevant. A tie group wholly within k
 * with a relevant member finds it for sure; of the group cut by k, m drawn positions out of `size`
 * miss all `relevant` ones with probability C(size − relevant, m) / C(size, m).
 */
export function foundAt(groups: readonly TieGroup[], k: number, relevantTotal: number): number | null {
  if (relevantTotal <= 0) return null;
  let start = 0;
  for (const { size, relevant } of groups) {
    if (start >= k) break;
    const drawn = Math.min(size, k - start);
    if (relevant > 0) {
      let miss = 1;
      for (let i = 0; i < drawn; i++) miss *= Math.max(size - relevant - i, 0) / (size - i);
      if (drawn === size || miss === 0) return 1;
      return 1 - miss;
    }
    start += size;
  }
  return 0;
}

export function averagePrecisionAt(groups: readonly TieGroup[], k: number, relevantTotal: number): number | null {
  if (relevantTotal <= 0) return null;
  let sum = 0;
  let start = 0;
  let relevantBefore = 0;
  for (const { size, relevant } of groups) {
    if (start >= k) break;
    if (relevant > 0) {
      // Position j of the group is relevant with probability relevant/size; given that, each of
      // the j − 1 positions before it (in the group) is relevant with probability (relevant − 1)/(size − 1).
      const pRelevant = relevant / size;
      const pOther = size > 1 ? (relevant - 1) / (size - 1) : 0;
      for (let j = 1; j <= Math.min(size, k - start); j++) {
        sum += (pRelevant * (relevantBefore + 1 + (j - 1) * pOther)) / (start + j);
      }
    }
    start += size;
    relevantBefore += relevant;
  }
  return sum / Math.min(k, relevantTotal);
}

export function reciprocalRank(groups: readonly TieGroup[], relevantTotal: number): number | null {
  if (relevantTotal <= 0) return null;
  let start = 0;
  for (const { size, relevant } of groups) {
    if (relevant > 0) {
      // The first relevant result is at position j of the group with probability C(size − j, relevant − 1) / C(size, relevant).
      let probability = relevant / size;
      let expected = 0;
      for (let j = 1; j <= size - relevant + 1; j++) {
        expected += probability / (start + j);
        if (j < size) probability *= (size - j - relevant + 1) / (size - j);
      }
      return expected;
    }
    start += size;
  }
  return 0;
}

/** The mean of the defined values; null when there are none. */
export function mean(values: readonly (number | null)[]): number | null {
  let sum = 0;
  let count = 0;
  for (const value of values) {
    if (value === null) continue;
    sum += value;
    count++;
  }
  return count > 0 ? sum / count : null;
}

/**
 * `0.7 · mAP + 0.3 · critical recall`, the original protocol's single score, where critical recall
 * is "was the critical defect found" (found@k, see `scoring.ts`). Without critical
 * queries (no critical damage in the test split) critical recall is undefined, and so is the
 * composite: it is reported as not available rather than quietly equal to the mAP.
 */
export function compositeScore(meanAveragePrecision: number | null, criticalRecall: number | null): number | null {
  if (meanAveragePrecision === null || criticalRecall === null) return null;
  return 0.7 * meanAveragePrecision + 0.3 * criticalRecall;
}

/** The share of the index whose results count as hubs: the 1 % most frequently returned items. */
export const HUB_SHARE = 0.01;

/**
 * Hubness of a set of result lists: the share of all result slots taken by the ⌈1 %⌉ of the
 * index's items returned most often. Without hubs every item would fill about 1 % of the slots;
 * when the same few crops come back for most queries, this share grows. Null without results.
 */
export function hubness(resultLists: readonly (readonly string[])[], indexSize: number): number | null {
  const counts = new Map<string, number>();
  let slots = 0;
  for (const list of resultLists) {
    for (const id of list) counts.set(id, (counts.get(id) ?? 0) + 1);
    slots += list.length;
  }
  if (slots === 0) return null;
  const hubs = Math.max(1, Math.ceil(indexSize * HUB_SHARE));
  const top = [...counts.values()].sort((a, b) => b - a).slice(0, hubs);
  return top.reduce((sum, count) => sum + count, 0) / slots;
}
