// `npm run bench -- scale [--points 1000000] [--queries 500] [--quantization int8|none] [--on-disk true|false]
//                         [--m 16] [--ef-construct 100] [--ef 512] [--clients 8] [--segments N]
//                         [--url URL | --data-dir DIR]`
//
// The index at a fleet's size: loads `--points` synthetic crops (tools/bench/_synthetic.ts: three
// named 1024-d vectors each, clustered, with the payload cardinalities of real crops) into a fresh
// collection made the way DEFECT_RAG_QDRANT_* configure it (default: int8 scalar quantization in
// RAM, original vectors on disk), then reports
// - build time: the upload, and the HNSW build that follows it, until the collection is green;
// - peak RSS of the Qdrant process (VmHWM; with --url it is not ours to read) and of this one;
// - for each filter row, on `--queries` queries: p50/p99 latency with one client and with
//   `--clients` clients searching at once (and their searches per second), both through the
//   library's VectorStore with its default settings, and recall@10 against exact search over the
//   original vectors (quantization ignored).
// With --url, or --data-dir (an embedded Qdrant on a folder that is kept, RSS still measured), the
// collection stays there, and a later run with the same flags (but --ef, --queries and --clients,
// which only searches use) reuses it instead of loading it again (an hour at 1,000,000 points on 2
// cores). With --data-dir the exact top 10s are kept there too: they take most of a row's time.
// Targets (issue 17): p50 ≤ 10 ms with one client, recall@10 ≥ 0.98, within the machine's memory.
// Disk: about 12.5 GB of original vectors per million points under TMPDIR (or the --url server).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { VectorKind } from '@defect-rag/runtime';
import { startEmbeddedQdrant } from '@defect-rag/servers';
import { VectorStore, type CropFilter, type SearchHit, type Vector } from '@defect-rag/vector-store';
import { percentile, timed, withPeakRss } from './_stats';
import { bulkLoad, DIMENSION, FILTERS, syntheticCrop, UPLOAD_SETTINGS, waitForIndexing } from './_synthetic';

const { values: args } = parseArgs({
  options: {
    points: { type: 'string', default: '1000000' },
    queries: { type: 'string', default: '500' },
    quantization: { type: 'string', default: 'int8' },
    'on-disk': { type: 'string', default: 'true' },
    m: { type: 'string', default: '16' },
    'ef-construct': { type: 'string', default: '100' },
    ef: { type: 'string', default: '512' },
    clients: { type: 'string', default: '8' },
    segments: { type: 'string' },
    url: { type: 'string' },
    'data-dir': { type: 'string' },
  },
});
const POINTS = Number(args.points);
const QUERIES = Number(args.queries);
const CLIENTS = Number(args.clients);
const HNSW = { m: Number(args.m), efConstruct: Number(args['ef-construct']) };
const EF = Number(args.ef);
const QUANTIZATION = args.quantization;
const ON_DISK = args['on-disk'] === 'true';
/** Qdrant's target number of segments (its default_segment_number); unset, Qdrant's own choice (9 at 1M here). */
const SEGMENTS = args.segments === undefined ? undefined : Number(args.segments);
const sizes = {
  points: POINTS,
  queries: QUERIES,
  clients: CLIENTS,
  ef: EF,
  ...HNSW,
  ...(SEGMENTS !== undefined && { segments: SEGMENTS }),
};
for (const [flag, value] of Object.entries(sizes)) {
  if (!(Number.isInteger(value) && value >= 1)) throw new Error(`--${flag} must be a positive integer, got ${value}`);
}
if (QUANTIZATION !== 'int8' && QUANTIZATION !== 'none') throw new Error(`--quantization is int8 or none`);
if (!['true', 'false'].includes(args['on-disk'])) throw new Error(`--on-disk is true or false`);
if (args.url && args['data-dir'])
  throw new Error('--url and --data-dir exclude each other: one names a running Qdrant, the other starts one');

/** Kilobytes of a field of /proc/<pid>/status (VmHWM, VmRSS, RssAnon, RssFile). */
function procStatus(pid: number, field: string): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((row) => row.startsWith(`${field}:`));
  return Number(line?.split(/\s+/)[1] ?? Number.NaN);
}

/** The embedded Qdrant's pid: the one process whose command line names our data folder. */
function qdrantPid(dataDir: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (command.includes(dataDir) && command.includes('qdrant')) return Number(entry);
    } catch {
      // The process ended while we looked.
    }
  }
  return undefined;
}

/**
 * The same filter as the library's (libs/vector-store filter.ts) for the fields the rows use, for the
 * exact searches sent straight to Qdrant; `checkFilter` confirms both count the same points.
 */
function qdrantFilter(filter: CropFilter): unknown {
  const must: unknown[] = [];
  if (filter.hasDamage !== undefined) must.push({ key: 'has_damage', match: { value: filter.hasDamage } });
  if (filter.zones) must.push({ key: 'vehicle_zone', match: { any: filter.zones } });
  if (filter.damageTypes) must.push({ key: 'damage_types', match: { any: filter.damageTypes } });
  if (filter.datasetId !== undefined) must.push({ key: 'dataset_id', match: { value: filter.datasetId } });
  if (filter.split !== undefined) must.push({ key: 'split', match: { value: filter.split } });
  return must.length > 0 ? { must } : undefined;
}

async function qdrant<T>(url: string, route: string, body: unknown): Promise<T> {
  const response = await fetch(`${url}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`POST ${route} answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { result: T }).result;
}

async function checkFilter(store: VectorStore, url: string, collection: string, filter: CropFilter): Promise<number> {
  const expected = await store.count(collection, filter);
  const { count } = await qdrant<{ count: number }>(url, `/collections/${collection}/points/count`, {
    filter: qdrantFilter(filter),
    exact: true,
  });
  if (count !== expected)
    throw new Error(`the exact search's filter counts ${count} points, the library's ${expected}`);
  return count;
}

/** The crop ids of the exact top 10 over the original vectors. */
async function exactTop10(url: string, collection: string, vector: Vector, using: VectorKind, filter: CropFilter) {
  const result = await qdrant<{ points: Array<{ payload: { crop_id: string } }> }>(
    url,
    `/collections/${collection}/points/query`,
    {
      // JSON.stringify writes a Float32Array as an object: Qdrant wants an array.
      query: Array.from(vector),
      using,
      filter: qdrantFilter(filter),
      limit: 10,
      params: { exact: true, quantization: { ignore: true } },
      with_payload: ['crop_id'],
    },
  );
  return new Set(result.points.map((point) => point.payload.crop_id));
}

/** `clients` loops searching at once over the queries; each query's latency in ms, and searches per second. */
async function concurrently(clients: number, count: number, search: (index: number) => Promise<SearchHit[]>) {
  const latencies: number[] = [];
  let next = 0;
  const { ms } = await timed(() =>
    Promise.all(
      Array.from({ length: clients }, async () => {
        for (let index = next++; index < count; index = next++) latencies.push((await timed(() => search(index))).ms);
      }),
    ),
  );
  return { latencies, perSecond: count / (ms / 1000) };
}

const keptDir = args['data-dir'] && path.resolve(args['data-dir']);
if (keptDir) await mkdir(keptDir, { recursive: true });

/** With --data-dir, a value computed once per data folder (the queries are the same for the same flags). */
async function cached<T>(key: string, compute: () => Promise<T>): Promise<T> {
  if (!keptDir) return compute();
  const file = path.join(keptDir, `bench-${key.replace(/[^\w.-]+/g, '_')}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as T;
  const value = await compute();
  await writeFile(file, JSON.stringify(value));
  return value;
}

const dataDir = args.url ? undefined : (keptDir ?? (await mkdtemp(path.join(os.tmpdir(), 'defect-rag-bench-scale-'))));
const server = dataDir ? await startEmbeddedQdrant({ dataDir }) : undefined;
const url = args.url ?? server!.url;
const pid = dataDir ? qdrantPid(dataDir) : undefined;
try {
  const store = new VectorStore({ url, hnswEf: EF });
  const collection = await store.ensureCollection({
    modelId: `bench/scale-${POINTS}-${QUANTIZATION}-${ON_DISK ? 'disk' : 'ram'}-m${HNSW.m}-efc${HNSW.efConstruct}${SEGMENTS ? `-seg${SEGMENTS}` : ''}`,
    dimension: DIMENSION,
    hnsw: HNSW,
    ...(QUANTIZATION === 'int8' && { quantization: 'int8' as const }),
    onDisk: ON_DISK,
  });
  console.log(
    `scale benchmark: ${POINTS} points × 3 named ${DIMENSION}-d vectors; quantization ${QUANTIZATION}, original vectors ` +
      `${ON_DISK ? 'on disk' : 'in RAM'}, HNSW m=${HNSW.m} ef_construct=${HNSW.efConstruct}, search ef ${EF}` +
      `${SEGMENTS ? `, ${SEGMENTS} segments` : ''}; ` +
      `${os.availableParallelism()} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM; Qdrant ${url}`,
  );

  const reused = (args.url ?? keptDir) !== undefined && (await store.count(collection)) === POINTS;
  const build = await withPeakRss(async () => {
    const upload = reused ? undefined : await timed(() => bulkLoad(store, url, collection, POINTS, SEGMENTS));
    const indexing = await timed(() => waitForIndexing(url, collection));
    return { upload: upload && upload.ms / 1000, indexing: indexing.ms / 1000 };
  });
  const { upload, indexing } = build.result;
  console.log(
    upload === undefined
      ? `reusing ${collection}, loaded by an earlier run into this Qdrant (waited ${indexing.toFixed(1)} s for its indexing)`
      : `build: ${(upload + indexing).toFixed(1)} s = upload ${upload.toFixed(1)} s (${Math.round(POINTS / upload)} points/s, ` +
          `${UPLOAD_SETTINGS}) + HNSW build ${indexing.toFixed(1)} s`,
  );
  const info = (await (await fetch(`${url}/collections/${collection}`)).json()) as {
    result: { points_count: number; indexed_vectors_count: number; segments_count: number };
  };
  console.log(
    `${info.result.points_count} points, ${info.result.indexed_vectors_count} vectors in HNSW graphs, ${info.result.segments_count} segments`,
  );
  const memory = () =>
    pid === undefined
      ? 'Qdrant RSS not measured (--url)'
      : `Qdrant peak RSS ${(procStatus(pid, 'VmHWM') / 2 ** 20).toFixed(2)} GiB (now ${(procStatus(pid, 'VmRSS') / 2 ** 20).toFixed(2)} GiB: ` +
        `${(procStatus(pid, 'RssAnon') / 2 ** 20).toFixed(2)} anonymous, ${(procStatus(pid, 'RssFile') / 2 ** 20).toFixed(2)} mapped files)`;
  console.log(`${memory()}; this process's peak RSS ${(build.peakRssMiB / 1024).toFixed(2)} GiB`);

  const queries = Array.from({ length: QUERIES }, (_, i) => syntheticCrop(POINTS + i).vectors);
  console.log(
    `\n${QUERIES} queries per row through VectorStore.search (limit 10, its defaults: hnsw_ef ${EF}, int8 pre-selection ` +
      `of twice the limit rescored with the originals, exact scan when the filter keeps at most 25 000 points, or 50 000 that are at most 4 % of the collection); ` +
      `recall@10 against exact search over the original vectors.`,
  );
  console.log(
    `${'filter'.padEnd(30)} ${'matching'.padStart(8)} | ${'1 client p50/p99 ms'.padStart(19)} ${'recall'.padStart(6)} ${'min'.padStart(4)} | ` +
      `${`${CLIENTS} clients p50/p99 ms`.padStart(20)} ${'searches/s'.padStart(10)}`,
  );
  const summary = { worstRecall: 1, worstP50: 0 };
  for (const { name, filter, using = 'fused' } of FILTERS) {
    const matching = await checkFilter(store, url, collection, filter);
    const search = (index: number) =>
      store.search(collection, { vector: queries[index]![using]!, using, filter, limit: 10 });
    for (let i = 0; i < 5; i++) await search(i); // warm-up
    const truths = await cached(`${collection}-${name}-${QUERIES}`, async () => {
      const top10s: string[][] = [];
      for (const vectors of queries)
        top10s.push([...(await exactTop10(url, collection, vectors[using]!, using, filter))]);
      return top10s;
    }).then((top10s) => top10s.map((ids) => new Set(ids)));
    const recalls: number[] = [];
    const single = await concurrently(1, QUERIES, async (index) => {
      const hits = await search(index);
      const truth = truths[index]!;
      recalls.push(truth.size === 0 ? 1 : hits.filter((hit) => truth.has(hit.cropId)).length / truth.size);
      return hits;
    });
    const many = await concurrently(CLIENTS, QUERIES, search);
    const recall = recalls.reduce((sum, value) => sum + value, 0) / recalls.length;
    summary.worstRecall = Math.min(summary.worstRecall, recall);
    summary.worstP50 = Math.max(summary.worstP50, percentile(single.latencies, 50));
    const latency = (values: number[], width: number) =>
      `${percentile(values, 50).toFixed(1)} / ${percentile(values, 99).toFixed(1)}`.padStart(width);
    console.log(
      `${name.padEnd(30)} ${String(matching).padStart(8)} | ${latency(single.latencies, 19)} ${recall.toFixed(3).padStart(6)} ` +
        `${Math.min(...recalls)
          .toFixed(1)
          .padStart(4)} | ${latency(many.latencies, 20)} ${many.perSecond.toFixed(0).padStart(10)}`,
    );
  }
  console.log(
    `\nworst mean recall@10 ${summary.worstRecall.toFixed(3)} (target ≥ 0.98: ${summary.worstRecall >= 0.98 ? 'met' : 'not met'}); ` +
      `worst 1-client p50 ${summary.worstP50.toFixed(1)} ms (target ≤ 10 ms: ${summary.worstP50 <= 10 ? 'met' : 'not met'})`,
  );
  console.log(`after the searches: ${memory()}`);
} finally {
  await server?.stop();
  if (dataDir && !keptDir) await rm(dataDir, { recursive: true, force: true });
}
