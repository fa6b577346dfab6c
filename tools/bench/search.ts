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
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { mulberry32, type VectorKind } from '@defect-rag/runtime';
import { startEmbeddedQdrant } from '@defect-rag/servers';
import { VectorStore, type CropFilter, type CropPayload, type CropPoint, type Vector } from '@defect-rag/vector-store';
import { median, percentile, timed } from './_stats';

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
const DIMENSION = 1024;
const UPLOAD_CHUNK = 2048;
const UPLOAD = { batchSize: 128, concurrency: 4 };
/** Qdrant's default `indexing_threshold`, restored once the upload is done. */
const DEFAULT_INDEXING_THRESHOLD_KB = 10_000;

// --- synthetic crops --------------------------------------------------------------------------

/** The generator everything below draws from; reseeded per crop so a crop depends on its index only. */
let random = mulberry32(2024);

function weighted<T extends string>(weights: Record<T, number>): () => T {
  const entries = Object.entries(weights) as [T, number][];
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  return () => {
    let r = random() * total;
    for (const [value, weight] of entries) if ((r -= weight) < 0) return value;
    return entries[entries.length - 1]![0];
  };
}

// Shares roughly as in a body-shop dataset: bumpers and doors everywhere, roofs and wheels rare.
const ZONE_AREA = {
  front_bumper: 'front',
  rear_bumper: 'rear',
  front_door: 'side',
  rear_door: 'side',
  hood: 'front',
  fender: 'side',
  trunk: 'rear',
  quarter_panel: 'side',
  side_mirror: 'side',
  headlight: 'front',
  taillight: 'rear',
  windshield: 'glass',
  roof: 'top',
  wheel: 'side',
  undercarriage: 'bottom',
} as const;
type Zone = keyof typeof ZONE_AREA;
const zone = weighted<Zone>({
  front_bumper: 22,
  rear_bumper: 16,
  front_door: 14,
  rear_door: 10,
  hood: 10,
  fender: 8,
  trunk: 6,
  quarter_panel: 5,
  side_mirror: 3,
  headlight: 2,
  taillight: 1.5,
  windshield: 1,
  roof: 1,
  wheel: 0.4,
  undercarriage: 0.1,
});
const DAMAGE_TYPE_WEIGHTS = {
  scratch: 40,
  dent: 25,
  paint_chip: 12,
  crack: 10,
  broken_glass: 5,
  broken_lamp: 4,
  flat_tire: 2,
  rust: 1.5,
  glass_shatter: 0.3,
};
const damageType = weighted(DAMAGE_TYPE_WEIGHTS);
const dataset = weighted({ 'fleet-a': 70, 'fleet-b': 25, demo: 5 });
const split = weighted({ train: 70, val: 15, test: 15 });

function unitVector(): Float32Array {
  const vector = Float32Array.from({ length: DIMENSION }, () => random() * 2 - 1);
  return normalize(vector);
}

function normalize(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const value of vector) norm += value * value;
  norm = Math.sqrt(norm);
  for (let i = 0; i < vector.length; i++) vector[i]! /= norm;
  return vector;
}

/** Σ weight·vector plus isotropic noise of norm `noise`, normalised. */
function mix(parts: [number, Float32Array][], noise: number): Float32Array {
  const out = new Float32Array(DIMENSION);
  const scale = (noise * Math.sqrt(3)) / Math.sqrt(DIMENSION); // uniform noise of that expected norm
  for (let i = 0; i < DIMENSION; i++) {
    let value = (random() * 2 - 1) * scale;
    for (const [weight, vector] of parts) value += weight * vector[i]!;
    out[i] = value;
  }
  return normalize(out);
}

// Image vectors: 128 visual clusters with 32 sub-directions each; the zone picks the cluster group
// most of the time, so neighbourhoods correlate with payloads without following them exactly.
const CLUSTERS = Array.from({ length: 128 }, unitVector);
const SUBDIRECTIONS = Array.from({ length: 32 }, unitVector);
const ZONES = Object.keys(ZONE_AREA) as Zone[];
// Text vectors: the descriptions are templates of zone and damage, so they sit in tight clusters.
const textCentroids = new Map(
  ZONES.flatMap((zoneName) =>
    [...Object.keys(DAMAGE_TYPE_WEIGHTS), 'clean'].map((type) => [`${zoneName}/${type}`, unitVector()] as const),
  ),
);

function syntheticCrop(index: number): CropPoint {
  random = mulberry32(2024 + index * 0x9e3779b1);
  const vehicleZone = zone();
  const hasDamage = random() < 0.5;
  const damageTypes = hasDamage ? [...new Set([damageType(), ...(random() < 0.25 ? [damageType()] : [])])] : [];
  const datasetId = dataset();
  const imageId = `${datasetId}-img-${Math.floor(index / 6)}`;
  const cropId = `${imageId}/crop-${index}`;
  const zoneIndex = ZONES.indexOf(vehicleZone);
  const cluster =
    random() < 0.7
      ? (zoneIndex * 8 + Math.floor(random() * 8)) % CLUSTERS.length
      : Math.floor(random() * CLUSTERS.length);
  const image = mix(
    [
      [1, CLUSTERS[cluster]!],
      [0.6, SUBDIRECTIONS[Math.floor(random() * SUBDIRECTIONS.length)]!],
    ],
    0.6,
  );
  const text = mix([[1, textCentroids.get(`${vehicleZone}/${damageTypes[0] ?? 'clean'}`)!]], 0.3);
  const fused = mix(
    [
      [1, image],
      [1, text],
    ],
    0,
  );
  const payload: CropPayload = {
    crop_id: cropId,
    dataset_id: datasetId,
    image_id: imageId,
    image: `images/${imageId}.jpg`,
    file: `crops/${cropId}.jpg`,
    split: datasetId === 'demo' ? null : split(),
    has_damage: hasDamage,
    vehicle_zone: vehicleZone,
    area: ZONE_AREA[vehicleZone],
    damage_types: damageTypes,
    defects: damageTypes.map((type) => ({
      label: type,
      type,
      box: { x: 40, y: 60, width: 120, height: 80 },
      polygon: [] as [number, number][],
      visible_fraction: 1,
      critical: false,
    })),
    text_description: hasDamage
      ? `${damageTypes.join(' and ')} on the ${vehicleZone}`
      : `clean paint on the ${vehicleZone}`,
    grid_pos: hasDamage ? null : [index % 4, index % 6],
    box: { x: 0, y: 0, width: 336, height: 336 },
    strategy: hasDamage ? 'cluster' : 'grid',
    model_id: 'bench/synthetic-1024',
    content_hash: `h${index}`,
  };
  return { cropId, vectors: { fused, image, text }, payload };
}

// --- run --------------------------------------------------------------------------------------

const FILTERS: { name: string; filter: CropFilter; using?: VectorKind }[] = [
  { name: 'none (fused)', filter: {} },
  { name: 'none (image)', filter: {}, using: 'image' },
  { name: 'damaged', filter: { hasDamage: true } },
  { name: 'zone front_bumper', filter: { zones: ['front_bumper'] } },
  { name: 'split test', filter: { split: 'test' } },
  { name: 'damage scratch|dent', filter: { damageTypes: ['scratch', 'dent'] } },
  { name: 'damaged + zone side doors', filter: { hasDamage: true, zones: ['front_door', 'rear_door'] } },
  { name: 'dataset fleet-b + split train', filter: { datasetId: 'fleet-b', split: 'train' } },
  { name: 'zone + damage + split', filter: { zones: ['front_bumper', 'hood'], damageTypes: ['dent'], split: 'train' } },
  { name: 'rare zone roof', filter: { zones: ['roof'] } },
  { name: 'rare damage rust', filter: { damageTypes: ['rust'] } },
  { name: 'rare zone wheel + damaged', filter: { zones: ['wheel'], hasDamage: true } },
  { name: 'very rare glass_shatter', filter: { damageTypes: ['glass_shatter'] } },
  { name: 'very rare undercarriage', filter: { zones: ['undercarriage'] } },
];

/**
 * Qdrant's advice for bulk loads: no HNSW building while the points arrive (it would fight the
 * upload for the CPUs and rebuild segments as they grow), then one build over the final segments.
 */
async function setIndexingThreshold(url: string, collection: string, kilobytes: number): Promise<void> {
  const response = await fetch(`${url}/collections/${collection}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ optimizers_config: { indexing_threshold: kilobytes } }),
  });
  if (!response.ok) throw new Error(`PATCH ${collection} answered ${response.status}: ${await response.text()}`);
}

/** With --url, the collection a previous run loaded (its name carries the point count and HNSW settings) is reused. */
async function isLoaded(url: string, collection: string): Promise<boolean> {
  const info = (await (await fetch(`${url}/collections/${collection}`)).json()) as { result: { points_count: number } };
  return info.result.points_count === POINTS;
}

async function waitForIndexing(url: string, collection: string): Promise<void> {
  for (;;) {
    const info = (await (await fetch(`${url}/collections/${collection}`)).json()) as { result: { status: string } };
    if (info.result.status === 'green') return;
    await sleep(500);
  }
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

async function upload(store: VectorStore, collection: string): Promise<void> {
  let pending: Promise<unknown> = Promise.resolve();
  for (let start = 0; start < POINTS; start += UPLOAD_CHUNK) {
    const chunk = Array.from({ length: Math.min(UPLOAD_CHUNK, POINTS - start) }, (_, i) => syntheticCrop(start + i));
    // Generate the next chunk while Qdrant takes this one.
    await pending;
    pending = store.upsert(collection, chunk, UPLOAD);
    if ((start / UPLOAD_CHUNK) % 10 === 0) process.stdout.write(`  ${start}/${POINTS}\r`);
  }
  await pending;
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
    await setIndexingThreshold(url, collection, 0);
    const uploaded = await timed(() => upload(store, collection));
    await setIndexingThreshold(url, collection, DEFAULT_INDEXING_THRESHOLD_KB);
    console.log(
      `upload: ${(uploaded.ms / 1000).toFixed(1)} s (${Math.round(POINTS / (uploaded.ms / 1000))} points/s, batches of ${UPLOAD.batchSize}, ${UPLOAD.concurrency} in flight)`,
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
