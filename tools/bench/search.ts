// `npm run bench -- search [--points 100000] [--queries 100] [--compare-ef 128] [--m 16] [--ef-construct 100] [--url URL]`
//
// Filtered search over synthetic crops: loads `--points` points with 1024-d fused/image/text
// vectors and the real payload schema (skewed zones and damage types, some rare) into a fresh
// collection, waits for Qdrant to finish indexing, then for each filter combination runs the same
// queries with the library's default search settings, with `--compare-ef` as hnsw_ef, and exactly,
// and prints p50/p99 latency and recall@10 against the exact results. With --url the collection
// stays there, and a later run with the same flags reuses it instead of loading it again.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startEmbeddedQdrant } from '@defect-rag/servers';
import { VectorStore, type Vector } from '@defect-rag/vector-store';
import { median, percentile, timed } from './_stats';
import { bulkLoad, DIMENSION, FILTERS, syntheticCrop, UPLOAD_SETTINGS, waitForIndexing } from './_synthetic';

const { values: args } = parseArgs({
  options: {
    points: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '100' },
    'compare-ef': { type: 'string', default: '128' },
    m: { type: 'string', default: '16' },
    'ef-construct': { type: 'string', default: '100' },
    url: { type: 'string' },
  },
});
const POINTS = Number(args.points);
const QUERIES = Number(args.queries);
const COMPARE_EF = Number(args['compare-ef']);
const HNSW = { m: Number(args.m), efConstruct: Number(args['ef-construct']) };

/** With --url, the collection a previous run loaded (its name carries the point count and HNSW settings) is reused. */
async function isLoaded(url: string, collection: string): Promise<boolean> {
  const info = (await (await fetch(`${url}/collections/${collection}`)).json()) as { result: { points_count: number } };
  return info.result.points_count === POINTS;
}

/** Latencies of one way of searching over the queries of one filter, and the recall of each query. */
class Run {
  readonly latencies: number[] = [];
  readonly recalls: number[] = [];

  async time<T>(work: () => Promise<T>): Promise<T> {
    const { result, ms } = await timed(work);
    this.latencies.push(ms);
    return result;
  }

  recall(): number {
    return this.recalls.reduce((sum, value) => sum + value, 0) / this.recalls.length;
  }
}

const dataDir = args.url ? undefined : await mkdtemp(path.join(os.tmpdir(), 'defect-rag-bench-search-'));
const qdrant = dataDir ? await startEmbeddedQdrant({ dataDir }) : undefined;
const url = args.url ?? qdrant!.url;
try {
  const store = new VectorStore({ url });
  const collection = await store.ensureCollection({
    modelId: `bench/search-${POINTS}-m${HNSW.m}-efc${HNSW.efConstruct}`,
    dimension: DIMENSION,
    hnsw: HNSW,
  });
  console.log(
    `search benchmark: ${POINTS} points × 3 named ${DIMENSION}-d vectors, HNSW m=${HNSW.m} ef_construct=${HNSW.efConstruct}, Qdrant ${url}`,
  );

  if (await isLoaded(url, collection)) {
    console.log(`reusing ${collection}, loaded by an earlier run into this Qdrant`);
  } else {
    const uploaded = await timed(() => bulkLoad(store, url, collection, POINTS));
    console.log(
      `upload: ${(uploaded.ms / 1000).toFixed(1)} s (${Math.round(POINTS / (uploaded.ms / 1000))} points/s, ${UPLOAD_SETTINGS})`,
    );
  }
  const indexed = await timed(() => waitForIndexing(url, collection));
  console.log(`indexing after upload: ${(indexed.ms / 1000).toFixed(1)} s; count ${await store.count(collection)}`);

  const queries = Array.from({ length: QUERIES }, (_, i) => syntheticCrop(POINTS + i).vectors);
  console.log(
    `\n${QUERIES} queries per row; "default" is the library's own setting (hnsw_ef 512; exact scan when the filter keeps at most 25 000 1024-d points), "ef ${COMPARE_EF}" the same with hnsw_ef ${COMPARE_EF}; recall@10 against exact search.`,
  );
  console.log(
    `${'filter'.padEnd(30)} ${'matching'.padStart(8)} | ${'default p50/p99 ms'.padStart(18)} ${'recall'.padStart(6)} ${'min'.padStart(4)} | ${`ef ${COMPARE_EF} p50/p99 ms`.padStart(18)} ${'recall'.padStart(6)} | ${'exact p50 ms'.padStart(12)}`,
  );
  const worst = { default: 1, compare: 1 };
  for (const { name, filter, using = 'fused' } of FILTERS) {
    const search = (vector: Vector, options: { exact?: boolean; hnswEf?: number }) =>
      store.search(collection, { vector, using, filter, limit: 10, ...options });
    for (const vectors of queries.slice(0, 5)) await search(vectors[using]!, {}); // warm-up
    const runs = { default: new Run(), compare: new Run(), exact: new Run() };
    for (const vectors of queries) {
      const exact = await runs.exact.time(() => search(vectors[using]!, { exact: true }));
      const truth = new Set(exact.map((hit) => hit.cropId));
      for (const [run, options] of [
        [runs.default, {}],
        [runs.compare, { hnswEf: COMPARE_EF }],
      ] as const) {
        const hits = await run.time(() => search(vectors[using]!, options));
        run.recalls.push(truth.size === 0 ? 1 : hits.filter((hit) => truth.has(hit.cropId)).length / truth.size);
      }
    }
    worst.default = Math.min(worst.default, runs.default.recall());
    worst.compare = Math.min(worst.compare, runs.compare.recall());
    const latency = (run: Run) =>
      `${percentile(run.latencies, 50).toFixed(1)} / ${percentile(run.latencies, 99).toFixed(1)}`.padStart(18);
    console.log(
      `${name.padEnd(30)} ${String(await store.count(collection, filter)).padStart(8)} | ${latency(runs.default)} ${runs.default.recall().toFixed(3).padStart(6)} ` +
        `${Math.min(...runs.default.recalls)
          .toFixed(1)
          .padStart(
            4,
          )} | ${latency(runs.compare)} ${runs.compare.recall().toFixed(3).padStart(6)} | ${median(runs.exact.latencies).toFixed(1).padStart(12)}`,
    );
  }
  const verdict = (recall: number) => `${recall.toFixed(3)} (${recall >= 0.98 ? 'meets' : 'misses'} the 0.98 target)`;
  console.log(
    `\nworst mean recall@10 over the filters: default ${verdict(worst.default)}; ef ${COMPARE_EF} ${verdict(worst.compare)}`,
  );
} finally {
  await qdrant?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}
