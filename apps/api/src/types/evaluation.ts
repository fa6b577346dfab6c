import { Field, Float, Int, ObjectType } from 'type-graphql';
import type { EvaluationMetrics as StoredMetrics, MetricSet as StoredMetricSet } from '@defect-rag/evaluation';

@ObjectType({ description: 'A figure at one cut-off k; null when it does not apply (no query it concerns).' })
export class KValue {
  @Field(() => Int)
  k!: number;

  @Field(() => Float, { nullable: true })
  value!: number | null;
}

@ObjectType({ description: 'Retrieval metrics under one relevance criterion (has_damage, damage type or zone).' })
export class CriterionMetrics {
  @Field(() => Int, { description: 'Queries the criterion applies to; precision is their mean.' })
  queries!: number;

  @Field(() => Int, { description: 'Of those, the ones with a relevant crop in the index (recall, mAP, MRR).' })
  withRelevant!: number;

  @Field(() => [KValue])
  precision!: KValue[];

  @Field(() => [KValue])
  recall!: KValue[];

  @Field(() => [KValue])
  map!: KValue[];

  @Field(() => Float, { nullable: true })
  mrr!: number | null;
}

@ObjectType({ description: 'The overall metrics of one configuration, per relevance criterion and per k.' })
export class MetricSet {
  @Field(() => Int)
  queries!: number;

  @Field(() => CriterionMetrics, { description: 'Relevant: the same damaged/clean state.' })
  damage!: CriterionMetrics;

  @Field(() => CriterionMetrics, { description: 'Relevant: a shared damage type.' })
  type!: CriterionMetrics;

  @Field(() => CriterionMetrics, { description: 'Relevant: the same vehicle zone.' })
  zone!: CriterionMetrics;

  @Field(() => Int, { description: 'Test crops that show a critical damage type.' })
  criticalQueries!: number;

  @Field(() => [KValue], {
    description:
      'Per critical type, the share of its queries with a crop of that type among their first k ("was it found"); then the mean over the types.',
  })
  criticalRecall!: KValue[];

  @Field(() => [KValue], {
    description:
      'The same means of strict recall (crops of the type among the first k / all of them): at most k / their number; not in the composite.',
  })
  strictCriticalRecall!: KValue[];

  @Field(() => [KValue], { description: '0.7 · mAP(type) + 0.3 · critical recall.' })
  composite!: KValue[];
}

@ObjectType({
  description: 'Queries of one damage type whose first result shows `resultType` (fractional where first results tie).',
})
export class TypeCount {
  @Field(() => String, { description: 'A damage type id, or (none) for a first result without a known type.' })
  resultType!: string;

  @Field(() => Float)
  queries!: number;
}

@ObjectType({ description: 'One row of the type confusion: the damaged test crops showing a type, exact search.' })
export class TypeRow {
  @Field(() => String)
  type!: string;

  @Field(() => Int)
  queries!: number;

  @Field(() => [KValue], { description: 'Precision under the damage type criterion.' })
  precision!: KValue[];

  @Field(() => [TypeCount], { description: 'The types of their first results.' })
  firstResult!: TypeCount[];
}

@ObjectType({ description: "A configuration of the model, by composite at the report's ranking k." })
export class RankingRow {
  @Field(() => Int)
  rank!: number;

  @Field(() => String)
  label!: string;

  @Field(() => String, { nullable: true, description: 'image, text or fused.' })
  mode!: string | null;

  @Field(() => Float, { nullable: true })
  alpha!: number | null;

  @Field(() => Float, { nullable: true, description: 'Exact search.' })
  composite!: number | null;

  @Field(() => Float, { nullable: true })
  compositeHnsw!: number | null;

  @Field(() => Float, { nullable: true, description: 'mAP under the damage type criterion.' })
  map!: number | null;

  @Field(() => Float, { nullable: true })
  criticalRecall!: number | null;

  @Field(() => Float, { nullable: true })
  strictCriticalRecall!: number | null;

  @Field(() => Float, { nullable: true, description: 'MRR under the damage type criterion.' })
  mrr!: number | null;
}

@ObjectType({ description: 'A configuration evaluated: the model in one query mode, a baseline or the upper bound.' })
export class EvaluationConfiguration {
  @Field(() => String, { description: 'model, baseline or upper-bound.' })
  role!: string;

  @Field(() => String)
  label!: string;

  @Field(() => String, { nullable: true })
  mode!: string | null;

  @Field(() => Float, { nullable: true })
  alpha!: number | null;

  @Field(() => String, { description: 'The vectors it searches.' })
  vectors!: string;

  @Field(() => MetricSet, { description: 'Exact search.' })
  exact!: MetricSet;

  @Field(() => MetricSet, { nullable: true, description: 'HNSW search; null when not measured.' })
  hnsw!: MetricSet | null;

  @Field(() => [KValue], { nullable: true, description: 'Share of the exact top k that HNSW also returns.' })
  annRecall!: KValue[] | null;

  @Field(() => [TypeRow], {
    description: 'Per damage type of the test crops: precision and the type of the first result.',
  })
  types!: TypeRow[];
}

@ObjectType({ description: 'Precision at 1 (tied first results share it) over the queries it applies to.' })
export class PrecisionAtOne {
  @Field(() => Int)
  queries!: number;

  @Field(() => Float, { nullable: true })
  precision!: number | null;
}

@ObjectType({ description: "Agreement of a retriever's first result with the query crop, other photos only." })
export class AgreementResult {
  @Field(() => String)
  label!: string;

  @Field(() => String, { description: 'model or baseline.' })
  role!: string;

  @Field(() => PrecisionAtOne, { description: 'Damaged vs clean.' })
  damage!: PrecisionAtOne;

  @Field(() => PrecisionAtOne)
  zone!: PrecisionAtOne;

  @Field(() => PrecisionAtOne)
  zoneWithinDamaged!: PrecisionAtOne;

  @Field(() => PrecisionAtOne)
  zoneWithinClean!: PrecisionAtOne;
}

@ObjectType({
  description: 'The same-source control within one photo source: each crop against the other photos of it.',
})
export class ControlSource {
  @Field(() => String)
  source!: string;

  @Field(() => Int)
  photos!: number;

  @Field(() => Int)
  damagedCrops!: number;

  @Field(() => Int)
  cleanWindows!: number;

  @Field(() => [AgreementResult])
  retrievers!: AgreementResult[];
}

@ObjectType({ description: 'A configuration searched within one photo source (exact).' })
export class SourceConfiguration {
  @Field(() => String)
  label!: string;

  @Field(() => String, { description: 'model or baseline.' })
  role!: string;

  @Field(() => MetricSet)
  exact!: MetricSet;
}

@ObjectType({
  description:
    'One photo source: its test crops against its own train crops only, so that telling sources apart cannot help.',
})
export class SourceFigures {
  @Field(() => String, { description: 'Named from the file stem by the source pattern.' })
  source!: string;

  @Field(() => Int)
  photos!: number;

  @Field(() => Int)
  trainCrops!: number;

  @Field(() => Int)
  testCrops!: number;

  @Field(() => [SourceConfiguration], { description: 'Empty when the source lacks train or test crops.' })
  configurations!: SourceConfiguration[];
}

@ObjectType({ description: 'Damaged crops against clean windows of the same photos.' })
export class SameSourceControl {
  @Field(() => Int)
  photos!: number;

  @Field(() => Int)
  damagedCrops!: number;

  @Field(() => Int)
  cleanWindows!: number;

  @Field(() => Int, { description: 'No defect pixel within this many pixels of a clean window.' })
  marginPx!: number;

  @Field(() => [AgreementResult])
  retrievers!: AgreementResult[];

  @Field(() => [ControlSource], { description: 'The same within each photo source.' })
  bySource!: ControlSource[];
}

@ObjectType({ description: 'Discovery precision at one cut-off k, the mean over the queries of a row.' })
export class DiscoveryAtK {
  @Field(() => Int)
  k!: number;

  @Field(() => Float, { description: "Share of the first k windows that show a hidden defect of the query's type." })
  sameType!: number;

  @Field(() => Float, { description: 'Share of the first k windows that show a hidden defect of any type.' })
  anyType!: number;
}

@ObjectType({
  description: 'The discovery queries of one damage type, or of every type (`all`, each query weighing the same).',
})
export class DiscoveryRow {
  @Field(() => String, { description: 'A damage type id, or all.' })
  type!: string;

  @Field(() => Int)
  queries!: number;

  @Field(() => [DiscoveryAtK])
  atK!: DiscoveryAtK[];
}

@ObjectType({ description: 'One retriever and ranking of the discovery measurement.' })
export class DiscoveryResult {
  @Field(() => String, {
    description:
      'model (the evaluated one), trivial (trivial features) or random (the expected share of random windows).',
  })
  retriever!: string;

  @Field(() => Boolean, { description: "Only each photo's best window counts (onePerPhoto searches)." })
  onePerPhoto!: boolean;

  @Field(() => [DiscoveryRow], { description: 'Per query type, then all.' })
  rows!: DiscoveryRow[];
}

@ObjectType({
  description:
    "Discovery precision@k: the test split's damaged photos as unlabelled windows (annotations hidden), each found by train damage crops of a type.",
})
export class DiscoveryFigures {
  @Field(() => Int, { description: 'Damaged test photos.' })
  testPhotos!: number;

  @Field(() => Int, { description: 'Of those, the photos whose windows were searched.' })
  photos!: number;

  @Field(() => Int)
  windows!: number;

  @Field(() => Int, { description: 'Windows that show a hidden defect.' })
  windowsWithDefect!: number;

  @Field(() => Int, { description: 'The most train damage crops asked per type.' })
  queriesPerType!: number;

  @Field(() => [Int])
  k!: number[];

  @Field(() => [DiscoveryResult])
  results!: DiscoveryResult[];
}

@ObjectType({ description: "The evaluation report's files, served by the API (same key rules as /crops)." })
export class EvaluationFiles {
  @Field(() => String, { description: 'URL path of evaluation.json.' })
  json!: string;

  @Field(() => String, { description: 'URL path of evaluation.md.' })
  markdown!: string;

  @Field(() => String, { description: 'URL path of the precision@k plot (SVG).' })
  plot!: string;
}

@ObjectType({ description: 'The headline figures of an evaluation run; the files hold the breakdowns.' })
export class EvaluationMetrics {
  @Field(() => String)
  modelId!: string;

  @Field(() => Boolean, { description: 'A random test model: the figures say nothing about retrieval quality.' })
  randomWeights!: boolean;

  @Field(() => [Int])
  k!: number[];

  @Field(() => Int, { description: 'The k the ranking is made at: the largest.' })
  rankingK!: number;

  @Field(() => Int)
  trainCrops!: number;

  @Field(() => Int)
  testCrops!: number;

  @Field(() => [RankingRow], { description: "The model's configurations, best composite first." })
  ranking!: RankingRow[];

  @Field(() => [EvaluationConfiguration], { description: 'The model, then the baselines, then the upper bound.' })
  configurations!: EvaluationConfiguration[];

  @Field(() => [String], { description: 'What the figures do and do not show, in sentences.' })
  findings!: string[];

  @Field(() => [AgreementResult])
  agreement!: AgreementResult[];

  @Field(() => SameSourceControl)
  control!: SameSourceControl;

  @Field(() => [SourceFigures], { description: 'Every configuration within each photo source.' })
  sources!: SourceFigures[];

  @Field(() => DiscoveryFigures, {
    nullable: true,
    description: 'Discovery precision@k; null unless the evaluation was asked for it (`discovery: true`).',
  })
  discovery!: DiscoveryFigures | null;

  @Field(() => EvaluationFiles)
  files!: EvaluationFiles;
}

/** The report files a run serves, by name; `reportFile` refuses any other. */
export const REPORT_FILES = { json: 'evaluation.json', markdown: 'evaluation.md', plot: 'precision-at-k.svg' } as const;

export function reportFileUrl(runId: string, name: string): string {
  return `/runs/${encodeURIComponent(runId)}/report/${encodeURIComponent(name)}`;
}

function byK(values: Record<string, number | null>): KValue[] {
  return Object.entries(values)
    .map(([k, value]) => ({ k: Number(k), value }))
    .sort((a, b) => a.k - b.k);
}

function metricSet(set: StoredMetricSet): MetricSet {
  const criterion = (name: keyof StoredMetricSet['criteria']): CriterionMetrics => {
    const { queries, withRelevant, precision, recall, map, mrr } = set.criteria[name];
    return { queries, withRelevant, precision: byK(precision), recall: byK(recall), map: byK(map), mrr };
  };
  return {
    queries: set.queries,
    damage: criterion('damage'),
    type: criterion('type'),
    zone: criterion('zone'),
    criticalQueries: set.criticalQueries,
    criticalRecall: byK(set.criticalRecall),
    // Metrics stored before strict recall had its own name have none.
    strictCriticalRecall: byK(set.strictCriticalRecall ?? {}),
    composite: byK(set.composite),
  };
}

function agreement(result: StoredMetrics['agreement'][number]): AgreementResult {
  return {
    label: result.label,
    role: result.role,
    damage: result.damage,
    zone: result.zone.overall,
    zoneWithinDamaged: result.zone.withinDamaged,
    zoneWithinClean: result.zone.withinClean,
  };
}

/**
 * The GraphQL view of a run's stored metrics: per-k records become lists, and server paths
 * (the report's files, the control's windows folder) become URLs or are left out. Null for a
 * run that stored none, or metrics of a format this version does not read.
 */
export function toEvaluationMetrics(runId: string, stored: Record<string, unknown> | null): EvaluationMetrics | null {
  if (!stored) return null;
  const metrics = stored as Partial<StoredMetrics>;
  if (!Array.isArray(metrics.configurations) || !Array.isArray(metrics.ranking) || !metrics.control) return null;
  return {
    modelId: metrics.modelId ?? '',
    randomWeights: metrics.randomWeights ?? false,
    k: metrics.k ?? [],
    rankingK: metrics.rankingK ?? 0,
    trainCrops: metrics.trainCrops ?? 0,
    testCrops: metrics.testCrops ?? 0,
    ranking: metrics.ranking,
    configurations: metrics.configurations.map((configuration) => ({
      role: configuration.role,
      label: configuration.label,
      mode: configuration.mode,
      alpha: configuration.alpha,
      vectors: configuration.vectors,
      exact: metricSet(configuration.exact),
      hnsw: configuration.hnsw ? metricSet(configuration.hnsw) : null,
      annRecall: configuration.annRecall ? byK(configuration.annRecall) : null,
      types: (configuration.types ?? []).map((row) => ({
        type: row.type,
        queries: row.queries,
        precision: byK(row.precision),
        firstResult: Object.entries(row.firstResult).map(([resultType, queries]) => ({ resultType, queries })),
      })),
    })),
    findings: metrics.findings ?? [],
    agreement: (metrics.agreement ?? []).map(agreement),
    control: {
      photos: metrics.control.photos,
      damagedCrops: metrics.control.damagedCrops,
      cleanWindows: metrics.control.cleanWindows,
      marginPx: metrics.control.marginPx,
      retrievers: metrics.control.retrievers.map(agreement),
      bySource: (metrics.control.bySource ?? []).map((source) => ({
        source: source.source,
        photos: source.photos,
        damagedCrops: source.damagedCrops,
        cleanWindows: source.cleanWindows,
        retrievers: source.retrievers.map(agreement),
      })),
    },
    sources: (metrics.sources ?? []).map((source) => ({
      ...source,
      configurations: source.configurations.map((configuration) => ({
        label: configuration.label,
        role: configuration.role,
        exact: metricSet(configuration.exact),
      })),
    })),
    discovery: metrics.discovery
      ? {
          testPhotos: metrics.discovery.testPhotos,
          photos: metrics.discovery.photos,
          windows: metrics.discovery.windows,
          windowsWithDefect: metrics.discovery.windowsWithDefect,
          queriesPerType: metrics.discovery.queriesPerType,
          k: metrics.discovery.ks,
          results: metrics.discovery.results,
        }
      : null,
    files: {
      json: reportFileUrl(runId, REPORT_FILES.json),
      markdown: reportFileUrl(runId, REPORT_FILES.markdown),
      plot: reportFileUrl(runId, REPORT_FILES.plot),
    },
  };
}
