import { mapConcurrent } from '@defect-rag/dataset';
import { UNKNOWN } from '@defect-rag/taxonomy';
import type { VectorKind } from '@defect-rag/runtime';
import type { CropFilter, VectorStore } from '@defect-rag/vector-store';
import { hubness, mean } from './metrics';
import { memoryRetriever, qdrantRetriever, type EvaluationCrop, type Retriever } from './retrieval';
import type { CropLabels, Criterion } from './relevance';
import {
  aggregate,
  annRecallAt,
  breakdown,
  RelevantCounts,
  scoreQuery,
  typeConfusion,
  type ByK,
  type MetricSet,
  type QueryScores,
  type RetrievedCrop,
  type TypeConfusion,
} from './scoring';

export type SearchKind = 'hnsw' | 'exact';

/** The metrics of one search: over every test crop, and per zone and damage type of the test crop. */
export interface SearchMetrics {
  overall: MetricSet;
  byZone: Record<string, MetricSet>;
  /** Clean test crops are the group `(clean)`. */
  byType: Record<string, MetricSet>;
  /** Query type → type of the first result, over the damaged test crops with a known type. */
  typeConfusion: TypeConfusion;
}

/**
 * `model`: what a user of this model can ask (ranked); `baseline`: what a retriever with no model
 * reaches (random vectors, trivial image statistics); `upper-bound`: the test crop's own stored
 * description, written from its labels, which no user has at query time (never ranked).
 */
export type ConfigurationRole = 'model' | 'baseline' | 'upper-bound';

/** One way of querying, as the protocol runs it. */
export interface SearchSpec {
  role: ConfigurationRole;
  /** The query mode of a model configuration; null for baselines and the upper bound. */
  mode: VectorKind | null;
  /** Image weight of the fusion on both sides; null when nothing is fused at query time. */
  alpha: number | null;
  /** `image → image`, `prompt → fused`, `image+prompt α=0.5`, `baseline: random vectors`. */
  label: string;
  /** Which vectors answer it, in words. */
  vectors: string;
  queryVector: (crop: EvaluationCrop) => Float32Array;
  /** A stored named vector (searched through HNSW and exactly) or vectors computed for the evaluation (exactly, in memory). */
  index: { stored: VectorKind } | { computed: (crop: EvaluationCrop) => Float32Array };
}

export interface ConfigurationResult {
  role: ConfigurationRole;
  mode: VectorKind | null;
  alpha: number | null;
  label: string;
  vectors: string;
  exact: SearchMetrics;
  /** Null when no HNSW index holds these vectors. */
  hnsw: SearchMetrics | null;
  /** Share of the exact top k that HNSW found, per k; null without HNSW. */
  annRecall: ByK<number | null> | null;
  /** Share of the exact top-10 slots taken by the 1 % most returned train crops (see `hubness`). */
  hubness: number | null;
}

export interface ProtocolInput {
  store: VectorStore;
  collection: string;
  datasetId: string;
  train: readonly EvaluationCrop[];
  test: readonly EvaluationCrop[];
  searches: readonly SearchSpec[];
  ks: readonly number[];
  /** Damage type ids the taxonomy flags as critical. */
  critical: ReadonlySet<string>;
  /** The criteria judged: without clean crops, has_damage is not (every answer would be right). */
  judged: readonly Criterion[];
  onProgress: (done: number, total: number) => Promise<void>;
  /** Throws RUN_CANCELLED; called between batches of queries. */
  checkCancelled: () => Promise<void>;
}

/** Queries in flight at once against Qdrant. */
const QUERY_CONCURRENCY = 4;
/** Result slots per query that the hubness figure counts. */
const HUBNESS_K = 10;
/** Queries between two cancellation checks. */
const CANCEL_CHECK_EVERY = 64;

/**
 * The original protocol, with queries a user could make: every test crop queries the train crops
 * of its dataset in each configuration (stored vectors through HNSW and exactly), and its results
 * are judged against its own labels.
 */
export async function runProtocol(input: ProtocolInput): Promise<ConfigurationResult[]> {
  const { store, collection, datasetId, train, test, ks } = input;
  const trainFilter: CropFilter = { datasetId, split: 'train' };
  const limit = Math.max(...ks);
  const runs = input.searches.flatMap((spec) =>
    ('stored' in spec.index ? (['hnsw', 'exact'] as const) : (['exact'] as const)).map((kind) => ({ spec, kind })),
  );
  const total = runs.length * test.length;
  let done = 0;
  await input.onProgress(done, total);
  const results = new Map<string, RetrievedCrop[][]>();
  for (const { spec, kind } of runs) {
    const retriever: Retriever =
      'stored' in spec.index
        ? qdrantRetriever(store, collection, {
            using: spec.index.stored,
            queryVector: spec.queryVector,
            filter: trainFilter,
            limit,
            exact: kind === 'exact',
          })
        : memoryRetriever(train, { indexVector: spec.index.computed, queryVector: spec.queryVector, limit });
    const lists: RetrievedCrop[][] = [];
    for (let start = 0; start < test.length; start += CANCEL_CHECK_EVERY) {
      await input.checkCancelled();
      lists.push(
        ...(await mapConcurrent(test.slice(start, start + CANCEL_CHECK_EVERY), QUERY_CONCURRENCY, async (query) => {
          const hits = await retriever(query);
          await input.onProgress(++done, total);
          return hits;
        })),
      );
    }
    results.set(`${spec.label}/${kind}`, lists);
  }

  const counts = new RelevantCounts(train.map((crop) => crop.labels));
  const summarize = (lists: RetrievedCrop[][]): SearchMetrics => {
    const scores = test.map((query, i) =>
      scoreQuery(query.labels, lists[i]!, ks, counts, input.critical, input.judged),
    );
    return summarizeScores(scores, ks);
  };
  return input.searches.map(({ role, mode, alpha, label, vectors }) => {
    const exact = results.get(`${label}/exact`)!;
    const hnsw = results.get(`${label}/hnsw`);
    return {
      role,
      mode,
      alpha,
      label,
      vectors,
      exact: summarize(exact),
      hnsw: hnsw ? summarize(hnsw) : null,
      annRecall: hnsw
        ? Object.fromEntries(ks.map((k) => [k, mean(exact.map((list, i) => annRecallAt(hnsw[i]!, list, k)))]))
        : null,
      hubness: hubness(
        exact.map((list) => list.slice(0, HUBNESS_K).map((hit) => hit.crop.cropId)),
        train.length,
      ),
    };
  });
}

export function summarizeScores(scores: readonly QueryScores[], ks: readonly number[]): SearchMetrics {
  return {
    overall: aggregate(scores, ks),
    byZone: breakdown(scores, ks, (query) => [query.zone]),
    byType: breakdown(scores, ks, typeGroups),
    typeConfusion: typeConfusion(scores),
  };
}

function typeGroups(query: CropLabels): readonly string[] {
  if (!query.hasDamage) return ['(clean)'];
  return query.damageTypes.length > 0 ? query.damageTypes : [UNKNOWN];
}
