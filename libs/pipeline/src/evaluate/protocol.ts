import { mapConcurrent } from '@defect-rag/dataset';
import { DefectRagError } from '@defect-rag/runtime';
import { UNKNOWN } from '@defect-rag/taxonomy';
import type { CropFilter, VectorStore } from '@defect-rag/vector-store';
import { mean } from './metrics';
import {
  loadCrops,
  memoryRetriever,
  qdrantRetriever,
  vectorSpaceFor,
  type QueryMode,
  type Retriever,
  type VectorSpace,
} from './retrieval';
import type { CropLabels } from './relevance';
import {
  aggregate,
  annRecallAt,
  breakdown,
  RelevantCounts,
  scoreQuery,
  type ByK,
  type MetricSet,
  type QueryScores,
  type RetrievedCrop,
} from './scoring';

export type SearchKind = 'hnsw' | 'exact';

/** The metrics of one search: over every test crop, and per zone and damage type of the test crop. */
export interface SearchMetrics {
  overall: MetricSet;
  byZone: Record<string, MetricSet>;
  /** Clean test crops are the group `(clean)`. */
  byType: Record<string, MetricSet>;
}

export interface ConfigurationResult {
  mode: QueryMode;
  /** Image weight of the fusion; null for the image and text modes. */
  alpha: number | null;
  /** `image`, `text`, `fused α=0.25`. */
  label: string;
  /** Which vectors answer it, in words. */
  vectors: string;
  exact: SearchMetrics;
  /** Null when no HNSW index holds these vectors (re-fused weights). */
  hnsw: SearchMetrics | null;
  /** Share of the exact top k that HNSW found, per k; null without HNSW. */
  annRecall: ByK<number | null> | null;
}

export interface ProtocolInput {
  store: VectorStore;
  collection: string;
  datasetId: string;
  ks: readonly number[];
  modes: readonly QueryMode[];
  alphas: readonly number[];
  /** Image weight of the index's own `fused` vectors (0.5 for the average fusion). */
  indexAlpha: number;
  /** Damage type ids the taxonomy flags as critical. */
  critical: ReadonlySet<string>;
  onProgress: (done: number, total: number) => Promise<void>;
  /** Throws RUN_CANCELLED; called between batches of queries. */
  checkCancelled: () => Promise<void>;
}

export interface ProtocolResult {
  trainCrops: number;
  testCrops: number;
  configurations: ConfigurationResult[];
}

/** Queries in flight at once against Qdrant. */
const QUERY_CONCURRENCY = 4;
/** Queries between two cancellation checks. */
const CANCEL_CHECK_EVERY = 64;

/**
 * The original protocol: every test crop queries the train crops of its dataset in each vector
 * space (through HNSW and exactly), and its results are judged against its own labels.
 */
export async function runProtocol(input: ProtocolInput): Promise<ProtocolResult> {
  const { store, collection, datasetId, ks } = input;
  const trainFilter: CropFilter = { datasetId, split: 'train' };
  const [train, test] = await Promise.all([
    loadCrops(store, collection, trainFilter),
    loadCrops(store, collection, { datasetId, split: 'test' }),
  ]);
  if (train.length === 0 || test.length === 0) {
    throw new DefectRagError(
      'SPLIT_INVALID',
      `the index holds ${train.length} train and ${test.length} test crops of this dataset; the evaluation needs both`,
      { datasetId },
    );
  }
  const configurations = input.modes.flatMap((mode): { mode: QueryMode; alpha: number | null; label: string }[] =>
    mode === 'fused'
      ? input.alphas.map((alpha) => ({ mode, alpha, label: `fused α=${alpha}` }))
      : [{ mode, alpha: null, label: mode }],
  );
  const spaces = new Map<string, VectorSpace>();
  for (const { mode, alpha } of configurations) {
    const space = vectorSpaceFor(mode, alpha, input.indexAlpha);
    spaces.set(space.key, space);
  }

  const limit = Math.max(...ks);
  const searches = [...spaces.values()].flatMap((space) =>
    (space.stored ? (['hnsw', 'exact'] as const) : (['exact'] as const)).map((kind) => ({ space, kind })),
  );
  const total = searches.length * test.length;
  let done = 0;
  await input.onProgress(done, total);
  const results = new Map<string, RetrievedCrop[][]>();
  for (const { space, kind } of searches) {
    const retriever: Retriever = space.stored
      ? qdrantRetriever(store, collection, { using: space.stored, filter: trainFilter, limit, exact: kind === 'exact' })
      : memoryRetriever(train, space.alpha!, limit);
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
    results.set(`${space.key}/${kind}`, lists);
  }

  const counts = new RelevantCounts(train.map((crop) => crop.labels));
  const summarize = (lists: RetrievedCrop[][]): SearchMetrics => {
    const scores = test.map((query, i) => scoreQuery(query.labels, lists[i]!, ks, counts, input.critical));
    return summarizeScores(scores, ks);
  };
  return {
    trainCrops: train.length,
    testCrops: test.length,
    configurations: configurations.map(({ mode, alpha, label }) => {
      const space = vectorSpaceFor(mode, alpha, input.indexAlpha);
      const exact = results.get(`${space.key}/exact`)!;
      const hnsw = results.get(`${space.key}/hnsw`);
      return {
        mode,
        alpha,
        label,
        vectors: space.description,
        exact: summarize(exact),
        hnsw: hnsw ? summarize(hnsw) : null,
        annRecall: hnsw
          ? Object.fromEntries(ks.map((k) => [k, mean(exact.map((list, i) => annRecallAt(hnsw[i]!, list, k)))]))
          : null,
      };
    }),
  };
}

function summarizeScores(scores: readonly QueryScores[], ks: readonly number[]): SearchMetrics {
  return {
    overall: aggregate(scores, ks),
    byZone: breakdown(scores, ks, (query) => [query.zone]),
    byType: breakdown(scores, ks, typeGroups),
  };
}

function typeGroups(query: CropLabels): readonly string[] {
  if (!query.hasDamage) return ['(clean)'];
  return query.damageTypes.length > 0 ? query.damageTypes : [UNKNOWN];
}
