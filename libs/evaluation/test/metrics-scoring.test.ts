import { describe, expect, it } from 'vitest';
import { loadTaxonomy } from '@defect-rag/taxonomy';
import { appliesTo, isRelevant, type CropLabels } from '../src/relevance';
import {
  aggregate,
  annRecallAt,
  breakdown,
  RelevantCounts,
  scoreQuery,
  typeConfusion,
  type RetrievedCrop,
} from '../src/scoring';

let nextId = 0;
function crop(hasDamage: boolean, zone: string, damageTypes: string[] = []): CropLabels {
  return { cropId: `crop-${nextId++}`, hasDamage, zone, damageTypes };
}

const critical = new Set(['fracture']);

describe('relevance', () => {
  const dentFront = crop(true, 'front', ['dent']);

  it('judges has_damage for every query, type only for damaged ones with a known type, zone only when known', () => {
    expect(isRelevant('damage', dentFront, crop(true, 'rear', ['scratch']))).toBe(true);
    expect(isRelevant('damage', dentFront, crop(false, 'front'))).toBe(false);
    expect(isRelevant('type', dentFront, crop(true, 'rear', ['scratch', 'dent']))).toBe(true);
    expect(isRelevant('type', dentFront, crop(true, 'front', ['scratch']))).toBe(false);
    expect(isRelevant('zone', dentFront, crop(false, 'front'))).toBe(true);

    expect(appliesTo('type', crop(false, 'front'))).toBe(false);
    expect(appliesTo('type', crop(true, 'front', ['unknown']))).toBe(false);
    expect(appliesTo('zone', crop(true, 'unknown', ['dent']))).toBe(false);
  });

  it('unknown never matches unknown', () => {
    const unknownEverything = crop(true, 'unknown', ['unknown']);
    expect(isRelevant('zone', unknownEverything, crop(true, 'unknown', ['unknown']))).toBe(false);
    expect(isRelevant('type', unknownEverything, crop(true, 'unknown', ['unknown']))).toBe(false);
  });
});

describe('scoreQuery and aggregate on a hand-made index', () => {
  // The index: 3 dents (2 front), 1 fracture (rear), 4 clean (2 front).
  const dentFrontA = crop(true, 'front', ['dent']);
  const dentFrontB = crop(true, 'front', ['dent']);
  const dentRear = crop(true, 'rear', ['dent']);
  const fractureRear = crop(true, 'rear', ['fracture']);
  const cleanFrontA = crop(false, 'front');
  const cleanFrontB = crop(false, 'front');
  const cleanRearA = crop(false, 'rear');
  const cleanRearB = crop(false, 'rear');
  const train = [dentFrontA, dentFrontB, dentRear, fractureRear, cleanFrontA, cleanFrontB, cleanRearA, cleanRearB];
  const counts = new RelevantCounts(train);
  const hits = (...crops: [CropLabels, number][]): RetrievedCrop[] =>
    crops.map(([labels, score]) => ({ crop: labels, score }));

  it('counts the relevant train crops per criterion', () => {
    const query = crop(true, 'front', ['dent', 'fracture']);
    expect(counts.count('damage', query)).toBe(4);
    expect(counts.count('damage', crop(false, 'rear'))).toBe(4);
    expect(counts.count('type', query)).toBe(4);
    expect(counts.count('zone', query)).toBe(4);
    expect(counts.sharingAny(['fracture'])).toBe(1);
  });

  it('scores a damaged query per criterion and on its critical type', () => {
    const query = crop(true, 'front', ['dent', 'fracture']);
    const scores = scoreQuery(
      query,
      hits([dentFrontA, 0.9], [cleanFrontA, 0.8], [fractureRear, 0.7]),
      [1, 3],
      counts,
      critical,
    );
    // has_damage: relevant at ranks 1 and 3, 4 damaged crops in the index.
    expect(scores.criteria.damage!.precision).toEqual([1, 2 / 3]);
    expect(scores.criteria.damage!.recall).toEqual([0.25, 0.5]);
    expect(scores.criteria.damage!.averagePrecision[1]).toBeCloseTo((1 + 2 / 3) / 3, 12);
    // type: dent or fracture, the same ranks.
    expect(scores.criteria.type!.precision).toEqual([1, 2 / 3]);
    // zone front: ranks 1 and 2.
    expect(scores.criteria.zone!.precision).toEqual([1, 2 / 3]);
    expect(scores.criteria.zone!.averagePrecision[1]).toBeCloseTo((1 + 1) / 3, 12);
    // critical (fracture): the only fracture crop is at rank 3.
    expect(scores.criticalRecall).toEqual({ fracture: { found: [0, 1], strict: [0, 1] } });
    expect(scores.topIsDamaged).toBe(1);
    expect(scores.topTypes).toEqual({ dent: 1 });
  });

  it('leaves out the criteria that do not apply and shares a tied first place', () => {
    const query = crop(false, 'unknown');
    const scores = scoreQuery(
      query,
      hits([dentRear, 0.9], [cleanRearA, 0.9], [cleanRearB, 0.5]),
      [1, 3],
      counts,
      critical,
    );
    expect(Object.keys(scores.criteria)).toEqual(['damage']);
    expect(scores.criteria.damage!.precision).toEqual([0.5, 2 / 3]);
    expect(scores.criticalRecall).toEqual({});
    expect(scores.topIsDamaged).toBe(0.5);
    expect(scores.topTypes).toEqual({ dent: 0.5, '(none)': 0.5 });
    expect(scoreQuery(query, [], [1], counts, critical).topIsDamaged).toBeNull();
    expect(scoreQuery(query, [], [1], counts, critical).topTypes).toBeNull();
  });

  it('averages over the queries each metric is defined for, with the composite and the confusion at k = 1', () => {
    const damaged = scoreQuery(
      crop(true, 'front', ['fracture']),
      hits([fractureRear, 0.9], [cleanFrontA, 0.8]),
      [1, 2],
      counts,
      critical,
    );
    const clean = scoreQuery(crop(false, 'rear'), hits([dentRear, 0.7], [cleanRearA, 0.7]), [1, 2], counts, critical);
    const metrics = aggregate([damaged, clean], [1, 2]);
    expect(metrics.queries).toBe(2);
    expect(metrics.criteria.type).toMatchObject({
      queries: 1,
      withRelevant: 1,
      precision: { 1: 1, 2: 0.5 },
      map: { 1: 1, 2: 1 },
      mrr: 1,
    });
    // Precision of has_damage at 1: 1 for the damaged query, 0.5 for the clean one (tie).
    expect(metrics.criteria.damage.precision[1]).toBe(0.75);
    expect(metrics.criticalQueries).toBe(1);
    expect(metrics.criticalRecall).toEqual({ 1: 1, 2: 1 });
    expect(metrics.criticalRecallByType).toEqual({ fracture: { 1: 1, 2: 1 } });
    expect(metrics.composite[1]).toBeCloseTo(0.7 * 1 + 0.3 * 1, 12);
    expect(metrics.confusion).toEqual({
      damagedAsDamaged: 1,
      damagedAsClean: 0,
      cleanAsDamaged: 0.5,
      cleanAsClean: 0.5,
      accuracy: 0.75,
    });

    const withoutCritical = aggregate([clean], [1, 2]);
    expect(withoutCritical.criticalRecall).toEqual({ 1: null, 2: null });
    expect(withoutCritical.composite).toEqual({ 1: null, 2: null });
  });

  it('judges only the criteria it is given: without clean crops, has_damage is left out', () => {
    const scores = scoreQuery(crop(true, 'front', ['dent']), hits([dentFrontA, 0.9]), [1], counts, critical, [
      'type',
      'zone',
    ]);
    expect(Object.keys(scores.criteria)).toEqual(['type', 'zone']);
    expect(aggregate([scores], [1]).criteria.damage).toMatchObject({ queries: 0, precision: { 1: null } });
  });

  it('critical recall@k counts a query as found when one of its first k shares its critical type; strict recall apart (hand-computed)', () => {
    // Critical: the original protocol's breakage/fracture, scratches (plain and deep), contamination,
    // as the shipped taxonomy flags them.
    const protocolCritical = new Set(['fracture', 'scratch', 'deep_scratch', 'contamination']);
    const shipped = loadTaxonomy().damageTypes.filter((type) => type.critical);
    expect(new Set(shipped.map((type) => type.id))).toEqual(protocolCritical);
    const scratchA = crop(true, 'front', ['scratch']);
    const scratchB = crop(true, 'rear', ['scratch']);
    const fracture = crop(true, 'rear', ['fracture']);
    const dent = crop(true, 'front', ['dent']);
    const index = new RelevantCounts([scratchA, scratchB, fracture, dent]);
    // Each query retrieves 2 crops: at k = 10 the figures are those of k = 2.
    const ks = [1, 2, 10];
    // Three scratch queries: found@1 = 1, 0, 1 and found@2 = 1, 1, 1; strict recall@1 = 1/2, 0, 1/2
    // and recall@2 = 1, 1/2, 1/2 (two scratches in the index).
    const scratchQueries = [
      scoreQuery(crop(true, 'front', ['scratch']), hits([scratchA, 0.9], [scratchB, 0.8]), ks, index, protocolCritical),
      scoreQuery(crop(true, 'front', ['scratch']), hits([dent, 0.9], [scratchB, 0.8]), ks, index, protocolCritical),
      scoreQuery(crop(true, 'front', ['scratch']), hits([scratchB, 0.9], [fracture, 0.8]), ks, index, protocolCritical),
    ];
    // One fracture query that misses: recall 0 at both k.
    const fractureQuery = scoreQuery(
      crop(true, 'rear', ['fracture']),
      hits([dent, 0.9], [scratchA, 0.8]),
      ks,
      index,
      protocolCritical,
    );
    // A dent query is not critical and counts in neither.
    const dentQuery = scoreQuery(crop(true, 'front', ['dent']), hits([dent, 0.9]), ks, index, protocolCritical);
    const metrics = aggregate([...scratchQueries, fractureQuery, dentQuery], ks);
    expect(metrics.criticalQueries).toBe(4);
    expect(metrics.criticalRecallByType.scratch![1]).toBeCloseTo(2 / 3, 12);
    expect(metrics.criticalRecallByType.scratch![2]).toBe(1);
    expect(metrics.criticalRecallByType.fracture).toEqual({ 1: 0, 2: 0, 10: 0 });
    // Per type, then the mean of the types: (2/3 + 0) / 2 at k = 1, not the mean of the 4 queries (2/4).
    expect(metrics.criticalRecall[1]).toBeCloseTo(1 / 3, 12);
    expect(metrics.criticalRecall[2]).toBe(0.5);
    expect(metrics.criticalRecall[10]).toBe(0.5);
    expect(metrics.strictCriticalRecallByType.scratch![1]).toBeCloseTo((0.5 + 0 + 0.5) / 3, 12);
    expect(metrics.strictCriticalRecallByType.scratch![2]).toBeCloseTo((1 + 0.5 + 0.5) / 3, 12);
    expect(metrics.strictCriticalRecall[1]).toBeCloseTo((1 / 3 + 0) / 2, 12);
    expect(metrics.strictCriticalRecall[2]).toBeCloseTo((2 / 3 + 0) / 2, 12);
    for (const k of ks) {
      expect(metrics.criticalRecall[k]).toBeGreaterThanOrEqual(0);
      expect(metrics.criticalRecall[k]).toBeLessThanOrEqual(1);
    }
    // The composite takes the found@k form.
    expect(metrics.composite[10]).toBeCloseTo(0.7 * metrics.criteria.type.map[10]! + 0.3 * 0.5, 12);
  });

  it('type confusion: query type → type of the first result, tied and multi-type first results sharing', () => {
    const scratch = crop(true, 'front', ['scratch']);
    const dent = crop(true, 'front', ['dent']);
    const both = crop(true, 'front', ['scratch', 'dent']);
    const clean = crop(false, 'front');
    const index = new RelevantCounts([scratch, dent, both, clean]);
    const score = (query: CropLabels, ...retrieved: [CropLabels, number][]) =>
      scoreQuery(query, hits(...retrieved), [1], index, critical);
    const table = typeConfusion([
      score(crop(true, 'rear', ['scratch']), [scratch, 0.9]),
      score(crop(true, 'rear', ['scratch']), [dent, 0.9], [clean, 0.9]),
      score(crop(true, 'rear', ['dent']), [both, 0.9]),
      score(crop(true, 'rear', ['dent', 'scratch']), [dent, 0.9]),
      // Clean queries have no row.
      score(crop(false, 'rear'), [scratch, 0.9]),
    ]);
    expect(table).toEqual({
      scratch: { scratch: 1, dent: 1.5, '(none)': 0.5 },
      dent: { scratch: 0.5, dent: 1.5 },
    });
  });

  it('breaks down by group, a query counting in each of its groups', () => {
    const both = scoreQuery(crop(true, 'front', ['dent', 'fracture']), hits([dentFrontA, 0.9]), [1], counts, critical);
    const dent = scoreQuery(crop(true, 'rear', ['dent']), hits([cleanRearA, 0.9]), [1], counts, critical);
    const groups = breakdown([both, dent], [1], (query) => query.damageTypes);
    expect(Object.keys(groups)).toEqual(['dent', 'fracture']);
    expect(groups.dent!.queries).toBe(2);
    expect(groups.dent!.criteria.type.precision[1]).toBe(0.5);
    expect(groups.fracture!.queries).toBe(1);
  });
});

describe('annRecallAt', () => {
  it('counts approximate results that reach the exact k-th score, so tied crops may stand in for each other', () => {
    const exact = [{ score: 0.9 }, { score: 0.8 }, { score: 0.8 }];
    expect(annRecallAt([{ score: 0.9 }, { score: 0.8 }, { score: 0.7 }], exact, 2)).toBe(1);
    expect(annRecallAt([{ score: 0.9 }, { score: 0.8 }, { score: 0.7 }], exact, 3)).toBeCloseTo(2 / 3, 12);
    expect(annRecallAt([], exact, 1)).toBe(0);
    expect(annRecallAt([], [], 5)).toBeNull();
    // k larger than the exact list: judged on what exists.
    expect(annRecallAt(exact, exact, 10)).toBe(1);
  });
});
