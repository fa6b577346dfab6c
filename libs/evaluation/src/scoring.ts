import {
  averagePrecisionAt,
  compositeScore,
  foundAt,
  mean,
  precisionAt,
  recallAt,
  reciprocalRank,
  tieGroups,
} from './metrics';
import {
  appliesTo,
  CRITERIA,
  criticalTypesOf,
  isRelevant,
  knownTypes,
  sharesType,
  type CropLabels,
  type Criterion,
} from './relevance';

/** One retrieved train crop, best first. */
export interface RetrievedCrop {
  score: number;
  crop: CropLabels;
}

/** Values per k, keyed by k (`{ "1": …, "5": …, "10": … }` in JSON). */
export type ByK<T> = Record<number, T>;

/** The per-query values of one criterion, aligned with the evaluated k list. */
interface CriterionScores {
  precision: number[];
  recall: (number | null)[];
  averagePrecision: (number | null)[];
  reciprocalRank: number | null;
}

/** Everything one test crop contributes to the averages of one search configuration. */
export interface QueryScores {
  query: CropLabels;
  /** Only the criteria that apply to the query. */
  criteria: Partial<Record<Criterion, CriterionScores>>;
  /**
   * Per critical damage type the query shows, per k, relevant meaning showing that type: `found`,
   * whether one of the first k is relevant (the protocol's "was the critical defect found"), and
   * `strict`, the share of all relevant train crops among the first k. Empty when it shows none.
   */
  criticalRecall: Record<string, { found: (number | null)[]; strict: (number | null)[] }>;
  /** Probability that the first result is damaged (tied first results share it); null without results. */
  topIsDamaged: number | null;
  /**
   * The known damage types of the first result, as shares that sum to 1 (tied first results share
   * the query; a result with several types shares its part among them; `(none)` for a result with
   * no known type); null without results.
   */
  topTypes: Record<string, number> | null;
}

export interface CriterionMetrics {
  /** Queries the criterion applies to; precision is their mean. */
  queries: number;
  /** Of those, the ones with a relevant crop in the index: recall, mAP and MRR are their means. */
  withRelevant: number;
  precision: ByK<number | null>;
  recall: ByK<number | null>;
  map: ByK<number | null>;
  mrr: number | null;
}

/** Damaged vs clean at k = 1: test crops by their own state and that of their first result. */
export interface DamageConfusion {
  damagedAsDamaged: number;
  damagedAsClean: number;
  cleanAsDamaged: number;
  cleanAsClean: number;
  /** Share of queries whose first result has their state. */
  accuracy: number | null;
}

export interface MetricSet {
  queries: number;
  criteria: Record<Criterion, CriterionMetrics>;
  /** Test crops that show a critical damage type. */
  criticalQueries: number;
  /**
   * Per critical type: the share of the queries that show it with at least one crop of that type
   * among their first k (found@k).
   */
  criticalRecallByType: Record<string, ByK<number | null>>;
  /** The mean over critical types of their found@k (each type weighs the same, however many queries show it). */
  criticalRecall: ByK<number | null>;
  /**
   * Per critical type, then over types as above, the strict recall@k: the share of all relevant
   * train crops among the first k. It is at most k / relevant crops, so near 0 with hundreds of them.
   */
  strictCriticalRecallByType: Record<string, ByK<number | null>>;
  strictCriticalRecall: ByK<number | null>;
  /** `0.7 · mAP(type) + 0.3 · critical recall (found@k)`; null (not available) without a critical query. */
  composite: ByK<number | null>;
  confusion: DamageConfusion;
}

/**
 * How many train crops are relevant to a query under each criterion: the denominators of recall
 * and AP. Counted once per distinct set of labels.
 */
export class RelevantCounts {
  private readonly damaged: number;
  private readonly byZone = new Map<string, number>();
  private readonly byTypes = new Map<string, number>();

  constructor(private readonly train: readonly CropLabels[]) {
    this.damaged = train.filter((crop) => crop.hasDamage).length;
    for (const crop of train) this.byZone.set(crop.zone, (this.byZone.get(crop.zone) ?? 0) + 1);
  }

  count(criterion: Criterion, query: CropLabels): number {
    if (criterion === 'damage') return query.hasDamage ? this.damaged : this.train.length - this.damaged;
    if (criterion === 'zone') return appliesTo('zone', query) ? (this.byZone.get(query.zone) ?? 0) : 0;
    return this.sharingAny(knownTypes(query));
  }

  /** Train crops that show any of `types`. */
  sharingAny(types: readonly string[]): number {
    const key = [...types].sort().join('\u0000');
    let count = this.byTypes.get(key);
    if (count === undefined) {
      count = this.train.filter((crop) => sharesType(types, crop)).length;
      this.byTypes.set(key, count);
    }
    return count;
  }
}

/**
 * The type in a confusion table of a result with no known type (clean, or only unknown types).
 */
export const NO_TYPE = '(none)';

/**
 * Scores one query under `criteria` (all by default; a dataset without clean crops leaves
 * `damage` out, where every answer would be right).
 */
export function scoreQuery(
  query: CropLabels,
  retrieved: readonly RetrievedCrop[],
  ks: readonly number[],
  counts: RelevantCounts,
  critical: ReadonlySet<string>,
  judged: readonly Criterion[] = CRITERIA,
): QueryScores {
  const groupsBy = (relevant: (crop: CropLabels) => boolean) =>
    tieGroups(retrieved.map((hit) => ({ score: hit.score, relevant: relevant(hit.crop) })));
  const criteria: QueryScores['criteria'] = {};
  for (const criterion of judged) {
    if (!appliesTo(criterion, query)) continue;
    const groups = groupsBy((crop) => isRelevant(criterion, query, crop));
    const total = counts.count(criterion, query);
    criteria[criterion] = {
      precision: ks.map((k) => precisionAt(groups, k)),
      recall: ks.map((k) => recallAt(groups, k, total)),
      averagePrecision: ks.map((k) => averagePrecisionAt(groups, k, total)),
      reciprocalRank: reciprocalRank(groups, total),
    };
  }
  const criticalRecall: QueryScores['criticalRecall'] = {};
  for (const type of criticalTypesOf(query, critical)) {
    const groups = groupsBy((crop) => sharesType([type], crop));
    const total = counts.sharingAny([type]);
    criticalRecall[type] = {
      found: ks.map((k) => foundAt(groups, k, total)),
      strict: ks.map((k) => recallAt(groups, k, total)),
    };
  }
  const [top] = groupsBy((crop) => crop.hasDamage);
  return {
    query,
    criteria,
    criticalRecall,
    topIsDamaged: top ? top.relevant / top.size : null,
    topTypes: typesOfFirst(retrieved),
  };
}

function typesOfFirst(retrieved: readonly RetrievedCrop[]): Record<string, number> | null {
  if (retrieved.length === 0) return null;
  const first = retrieved.filter((hit) => hit.score === retrieved[0]!.score);
  const shares: Record<string, number> = {};
  for (const { crop } of first) {
    const types = knownTypes(crop);
    const named = types.length > 0 ? types : [NO_TYPE];
    for (const type of named) shares[type] = (shares[type] ?? 0) + 1 / (first.length * named.length);
  }
  return shares;
}

/**
 * Query type → type of the first result, in queries (fractional where first results tie or show
 * several types): rows are the known types of damaged queries (a query with several counts in
 * each), columns the types of their first results.
 */
export type TypeConfusion = Record<string, Record<string, number>>;

export function typeConfusion(scores: readonly QueryScores[]): TypeConfusion {
  const table: TypeConfusion = {};
  for (const { query, topTypes } of scores) {
    if (!query.hasDamage || topTypes === null) continue;
    for (const type of knownTypes(query)) {
      const row = (table[type] ??= {});
      for (const [result, share] of Object.entries(topTypes)) row[result] = (row[result] ?? 0) + share;
    }
  }
  return table;
}

/** Averages the scores of a set of queries. */
export function aggregate(scores: readonly QueryScores[], ks: readonly number[]): MetricSet {
  const byK = <T>(value: (k: number, index: number) => T): ByK<T> =>
    Object.fromEntries(ks.map((k, index) => [k, value(k, index)]));
  const criterionMetrics = (criterion: Criterion): CriterionMetrics => {
    const applicable = scores.flatMap((score) => score.criteria[criterion] ?? []);
    return {
      queries: applicable.length,
      withRelevant: applicable.filter((score) => score.reciprocalRank !== null).length,
      precision: byK((_, i) => mean(applicable.map((score) => score.precision[i]!))),
      recall: byK((_, i) => mean(applicable.map((score) => score.recall[i]!))),
      map: byK((_, i) => mean(applicable.map((score) => score.averagePrecision[i]!))),
      mrr: mean(applicable.map((score) => score.reciprocalRank)),
    };
  };
  const criteria = Object.fromEntries(CRITERIA.map((criterion) => [criterion, criterionMetrics(criterion)])) as Record<
    Criterion,
    CriterionMetrics
  >;
  const criticalTypes = [...new Set(scores.flatMap((score) => Object.keys(score.criticalRecall)))].sort();
  const perType = (which: 'found' | 'strict') =>
    Object.fromEntries(
      criticalTypes.map((type) => [
        type,
        byK((_, i) => mean(scores.flatMap((score) => score.criticalRecall[type]?.[which][i] ?? []))),
      ]),
    );
  const overTypes = (byType: Record<string, ByK<number | null>>) =>
    byK((k) => mean(criticalTypes.map((type) => byType[type]![k]!)));
  const criticalRecallByType = perType('found');
  const strictCriticalRecallByType = perType('strict');
  const criticalRecall = overTypes(criticalRecallByType);
  return {
    queries: scores.length,
    criteria,
    criticalQueries: scores.filter((score) => Object.keys(score.criticalRecall).length > 0).length,
    criticalRecallByType,
    criticalRecall,
    strictCriticalRecallByType,
    strictCriticalRecall: overTypes(strictCriticalRecallByType),
    composite: byK((k) => compositeScore(criteria.type.map[k]!, criticalRecall[k]!)),
    confusion: confusionAtOne(scores),
  };
}

/** `aggregate` for each group of queries; a query in several groups (several damage types) counts in each. */
export function breakdown(
  scores: readonly QueryScores[],
  ks: readonly number[],
  groupsOf: (query: CropLabels) => readonly string[],
): Record<string, MetricSet> {
  const groups = new Map<string, QueryScores[]>();
  for (const score of scores) {
    for (const group of groupsOf(score.query)) {
      const members = groups.get(group);
      if (members) members.push(score);
      else groups.set(group, [score]);
    }
  }
  return Object.fromEntries([...groups.keys()].sort().map((group) => [group, aggregate(groups.get(group)!, ks)]));
}

function confusionAtOne(scores: readonly QueryScores[]): DamageConfusion {
  const confusion = { damagedAsDamaged: 0, damagedAsClean: 0, cleanAsDamaged: 0, cleanAsClean: 0 };
  let answered = 0;
  for (const { query, topIsDamaged } of scores) {
    if (topIsDamaged === null) continue;
    answered++;
    if (query.hasDamage) {
      confusion.damagedAsDamaged += topIsDamaged;
      confusion.damagedAsClean += 1 - topIsDamaged;
    } else {
      confusion.cleanAsDamaged += topIsDamaged;
      confusion.cleanAsClean += 1 - topIsDamaged;
    }
  }
  return {
    ...confusion,
    accuracy: answered > 0 ? (confusion.damagedAsDamaged + confusion.cleanAsClean) / answered : null,
  };
}

/**
 * Share of the exact top k that the approximate search found: an approximate result within its
 * first k counts when it scores at least the exact k-th score, so crops tied at the cut-off may
 * stand in for each other. Null when the exact search found nothing.
 */
export function annRecallAt(
  approximate: readonly { score: number }[],
  exact: readonly { score: number }[],
  k: number,
): number | null {
  const wanted = Math.min(k, exact.length);
  if (wanted === 0) return null;
  const threshold = exact[wanted - 1]!.score - SCORE_TOLERANCE;
  const found = approximate.slice(0, k).filter((hit) => hit.score >= threshold).length;
  return Math.min(found, wanted) / wanted;
}

/** Scores from two searches of the same vectors may differ in the last float32 bits. */
const SCORE_TOLERANCE = 1e-5;
