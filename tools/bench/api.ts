// `npm run bench -- api [--duration 30] [--connections 50] [--rounds 3] [--limit 10] [--queries crop,grouped,hybrid]`
//
// Load on the GraphQL API: `--connections` concurrent clients (autocannon, loopback) send
// `searchSimilar` for `--duration` seconds, against the same searches sent straight to Qdrant
// with the same load, for three kinds of query (each query crop filtered to its own zone):
// - crop: by crop id (one query-by-point request to Qdrant);
// - grouped: by crop id with onePerPhoto (Qdrant's query groups by the photo id);
// - hybrid: the crop's JPEG uploaded (GraphQL multipart) with a text, fused with the index's α;
//   the API embeds both with the tiny model on every request, Qdrant gets the fused vector the
//   benchmark embedded once beforehand, so the ratio includes the embedding. The API runs as `defect-rag serve` does, in its own process
// (NODE_ENV=production), over embedded PostgreSQL and Qdrant holding the shared sample ingested
// with the tiny model; crop-id searches embed nothing, so the model does not matter. Rounds
// alternate Qdrant and API; the ratio of the median p50s says what the API costs on top of Qdrant
// (target ≤ 1.5). Every response is checked: errors, non-2xx and GraphQL errors must be zero.
// Both sides run closed-loop at full load, so their p50s follow from the CPU each request costs;
// the CPU milliseconds per request of the load generator, the API process and everything else
// (Qdrant) are printed beside them (Linux /proc).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { fuse, fusionImageWeight } from '@defect-rag/embedding';
import { ingestDataset } from '@defect-rag/ingestion';
import { openBackend } from '@defect-rag/runs';
import { createLogger, loadConfig, sampleDatasetDir, workspaceRoot } from '@defect-rag/runtime';
import { loadDatasetTaxonomy, zonesWithin } from '@defect-rag/taxonomy';
import { startTestServers } from '@defect-rag/testing';
import { pointIdForCrop } from '@defect-rag/vector-store';
import { median } from './_stats';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '30' },
    connections: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
    limit: { type: 'string', default: '10' },
    queries: { type: 'string', default: 'crop,grouped,hybrid' },
  },
});
const DURATION_S = Number(args.duration);
const CONNECTIONS = Number(args.connections);
const ROUNDS = Number(args.rounds);
const LIMIT = Number(args.limit);
const QUERY_KINDS = args.queries.split(',') as QueryKind[];
const HYBRID_TEXT = 'scratch on the door';
const MULTIPART_BOUNDARY = 'defect-rag-bench';
const QUERY_CROPS = 100;
const WARMUP_S = 3;

const sample = sampleDatasetDir();
if (!sample) {
  console.error('the shared sample (../shared/datasets/vehicle-damage-sample) is needed for this benchmark');
  process.exit(2);
}

type QueryKind = 'crop' | 'grouped' | 'hybrid';

interface Search {
  cropId: string;
  zone: string;
  /** GraphQL request body (JSON, or multipart for an upload). */
  api: string | Buffer;
  /** The same search as one Qdrant request body. */
  qdrant: string;
}

interface Side {
  url: string;
  headers: Record<string, string>;
  bodies: (string | Buffer)[];
}

interface Measure {
  requestsPerSecond: number;
  /** CPU milliseconds per request: this process (autocannon), the API's, and the rest of the machine (Qdrant, the system). */
  cpuMsPerRequest: { loadGenerator: number; api: number; rest: number };
  mean: number;
  p50: number;
  p99: number;
  requests: number;
  failures: number;
}

/** Starts apps/api/src/main.ts as `defect-rag serve` does and resolves with its URL once it listens. */
async function startApi(env: NodeJS.ProcessEnv): Promise<{ url: string; child: ChildProcess }> {
  const apiDir = path.join(workspaceRoot, 'apps', 'api');
  const child = spawn(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), path.join(apiDir, 'src', 'main.ts'), '--port', '0'],
    {
      env: { ...env, TSX_TSCONFIG_PATH: path.join(apiDir, 'tsconfig.json') },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the API exited (${code}) before listening`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /^defect-rag API: (\S+)\/graphql$/.exec(line);
      if (match) resolve(match[1]!);
    });
  });
  return { url, child };
}

/** CPU time in milliseconds: the whole machine's busy time, and one process's (Linux clock ticks of 10 ms). */
const TICK_MS = 10;
function machineBusyMs(): number {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal: all but idle and iowait are busy.
  return (ticks.reduce((sum, value) => sum + value, 0) - ticks[3]! - ticks[4]!) * TICK_MS;
}
function processCpuMs(pid: number): number {
  // Fields after the command name's closing parenthesis; utime and stime are the 14th and 15th of the line.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}
function ownCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** `connections` clients sending `bodies` round-robin to `url` for `seconds`; failed = transport errors, non-2xx, GraphQL errors. */
async function load({ url, headers, bodies }: Side, seconds: number): Promise<Measure> {
  const cpuBefore = { machine: machineBusyMs(), own: ownCpuMs(), api: processCpuMs(apiPid()) };
  let next = 0;
  let bodyErrors = 0;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    method: 'POST',
    headers,
    requests: [
      {
        setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length]! }),
        onResponse: (_status, body) => {
          // A GraphQL error comes with status 200; Qdrant answers {"status":{"error":…}} on failure.
          if (body.includes('"errors"') || body.includes('"error"')) bodyErrors++;
        },
      },
    ],
  });
  const own = ownCpuMs() - cpuBefore.own;
  const apiCpu = processCpuMs(apiPid()) - cpuBefore.api;
  const machine = machineBusyMs() - cpuBefore.machine;
  const requests = Math.max(result.requests.total, 1);
  return {
    requestsPerSecond: result.requests.average,
    cpuMsPerRequest: {
      loadGenerator: own / requests,
      api: apiCpu / requests,
      rest: (machine - own - apiCpu) / requests,
    },
    mean: result.latency.mean,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    failures: result.errors + result.timeouts + result.non2xx + bodyErrors,
  };
}

/** A GraphQL multipart request (operations, map, one file) for the variable `query.image`. */
function multipart(operations: string, file: Buffer): Buffer {
  const part = (headers: string, body: string | Buffer) => [
    Buffer.from(`--${MULTIPART_BOUNDARY}\r\n${headers}\r\n\r\n`),
    Buffer.from(body),
    Buffer.from('\r\n'),
  ];
  return Buffer.concat([
    ...part('Content-Disposition: form-data; name="operations"', operations),
    ...part('Content-Disposition: form-data; name="map"', JSON.stringify({ 0: ['variables.query.image'] })),
    ...part('Content-Disposition: form-data; name="0"; filename="query.jpg"\r\nContent-Type: image/jpeg', file),
    Buffer.from(`--${MULTIPART_BOUNDARY}--\r\n`),
  ]);
}

const servers = await startTestServers();
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-api-'));
// The embedded PostgreSQL runs as `postgres` when started by root and must enter it.
await chmod(dataDir, 0o755);
const env = {
  ...process.env,
  NODE_ENV: 'production',
  DATABASE_URL: servers.databaseUrl,
  QDRANT_URL: servers.qdrantUrl,
  DEFECT_RAG_DATA_DIR: dataDir,
  DEFECT_RAG_MODEL_DIR: path.join(workspaceRoot, 'models', 'tiny-clip'),
  LOG_LEVEL: 'warn',
};
const backend = await openBackend(loadConfig(env, { cwd: workspaceRoot, dotenv: false }), createLogger('warn'));
let api: ChildProcess | undefined;
const apiPid = () => api!.pid!;
try {
  const ingestion = await ingestDataset(backend, { datasetDir: sample, name: 'bench' });
  const { collection } = ingestion;
  const refs = await backend.vectorStore.scrollPayloads(collection, { datasetId: ingestion.datasetId });
  const queryIds = refs
    .map((ref) => ref.cropId)
    .sort()
    .slice(0, QUERY_CROPS);
  const points = await backend.vectorStore.getPoints(collection, queryIds);
  const embedder = await backend.embedder();
  const cropsDir = backend.cropsDir(ingestion.datasetId);
  const [textVector] = await embedder.embedTexts([HYBRID_TEXT]);
  const indexFusion = { strategy: 'weighted', alpha: fusionImageWeight({ strategy: 'average' }) } as const;
  const SELECTION = 'score crop { id photoId vehicleZone damageTypes textDescription imageUrl }';
  const graphql = (query: Record<string, unknown>) =>
    JSON.stringify({
      query: `query($query: SimilarityQuery!) { searchSimilar(query: $query) { ${SELECTION} } }`,
      variables: { query },
    });
  // The request the vector store sends for these searches: Qdrant's query by point id or vector,
  // the example crop excluded, scanned exactly (the filter keeps few points), with payloads.
  // A zone filter matches the zone's child zones too (the taxonomy's hierarchy), as the API's does;
  // a similarity search answers crops, so the photo points (level `photo`) are left out, as there.
  const taxonomy = loadDatasetTaxonomy(sample!);
  const qdrantBody = (query: unknown, zone: string, exclude: string | null, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      query,
      using: 'fused',
      filter: {
        must: [{ key: 'vehicle_zone', match: { any: zonesWithin(taxonomy, [zone]) } }],
        must_not: [{ key: 'level', match: { value: 'photo' } }, ...(exclude ? [{ has_id: [exclude] }] : [])],
      },
      limit: LIMIT,
      params: { hnsw_ef: 512, exact: true, quantization: { rescore: true, oversampling: 2 } },
      with_payload: true,
      ...extra,
    });
  const searchesOf = async (kind: QueryKind): Promise<Search[]> =>
    Promise.all(
      points.map(async ({ cropId, payload }) => {
        const zone = payload.vehicle_zone;
        const filter = { zones: [zone] };
        const pointId = pointIdForCrop(cropId);
        if (kind === 'crop') {
          return {
            cropId,
            zone,
            api: graphql({ cropId, filter, limit: LIMIT }),
            qdrant: qdrantBody(pointId, zone, pointId),
          };
        }
        if (kind === 'grouped') {
          return {
            cropId,
            zone,
            api: graphql({ cropId, filter, limit: LIMIT, onePerPhoto: true }),
            qdrant: qdrantBody(pointId, zone, pointId, { group_by: 'image_id', group_size: 1 }),
          };
        }
        const jpeg = await readFile(path.join(cropsDir, payload.file));
        const [imageVector] = await embedder.embedImages([jpeg]);
        const fused = Array.from(fuse(imageVector!, textVector!, indexFusion, embedder.space));
        return {
          cropId,
          zone,
          api: multipart(graphql({ image: null, text: HYBRID_TEXT, filter, limit: LIMIT }), jpeg),
          qdrant: qdrantBody(fused, zone, null),
        };
      }),
    );

  const started = await startApi(env);
  api = started.child;
  const apiUrl = `${started.url}/graphql`;
  const qdrantQuery = `${servers.qdrantUrl}/collections/${collection}/points/query`;
  const sidesOf = (kind: QueryKind, searches: Search[]): { api: Side; qdrant: Side } => ({
    api: {
      url: apiUrl,
      headers:
        kind === 'hybrid'
          ? {
              'content-type': `multipart/form-data; boundary=${MULTIPART_BOUNDARY}`,
              'apollo-require-preflight': 'true',
            }
          : { 'content-type': 'application/json' },
      bodies: searches.map((search) => search.api),
    },
    qdrant: {
      url: kind === 'grouped' ? `${qdrantQuery}/groups` : qdrantQuery,
      headers: { 'content-type': 'application/json' },
      bodies: searches.map((search) => search.qdrant),
    },
  });

  console.log(
    `api benchmark: searchSimilar (${QUERY_KINDS.join(', ')}) + zone filter, ${points.length} query crops of ${refs.length}, limit ${LIMIT}, ` +
      `${CONNECTIONS} connections, ${DURATION_S} s per side, ${ROUNDS} round(s), ${os.cpus().length} CPUs shared by load generator, API and Qdrant`,
  );
  let failures = 0;
  for (const kind of QUERY_KINDS) {
    const searches = await searchesOf(kind);
    const sides = sidesOf(kind, searches);
    // Both sides answer the same searches with the same crops, in the same order.
    for (const [i, search] of searches.slice(0, 10).entries()) {
      const post = async (side: Side) =>
        (await fetch(side.url, { method: 'POST', headers: side.headers, body: side.bodies[i]! })).json();
      const viaApi = (await post(sides.api)) as {
        data?: { searchSimilar: { crop: { id: string; photoId: string; vehicleZone: string } }[] };
      };
      const viaQdrant = (await post(sides.qdrant)) as {
        result: {
          points?: { payload: { crop_id: string } }[];
          groups?: { hits: { payload: { crop_id: string } }[] }[];
        };
      };
      const apiIds = viaApi.data?.searchSimilar.map((item) => item.crop.id);
      const qdrantIds = (viaQdrant.result.points ?? viaQdrant.result.groups!.map((group) => group.hits[0]!)).map(
        (point) => point.payload.crop_id,
      );
      const items = viaApi.data?.searchSimilar ?? [];
      if (
        JSON.stringify(apiIds) !== JSON.stringify(qdrantIds) ||
        !items.every((item) => zonesWithin(taxonomy, [search.zone]).includes(item.crop.vehicleZone)) ||
        (kind === 'grouped' && new Set(items.map((item) => item.crop.photoId)).size !== items.length)
      ) {
        throw new Error(
          `${kind}: API and Qdrant disagree on crop ${search.cropId}: ${JSON.stringify(viaApi)} vs ${JSON.stringify(qdrantIds)}`,
        );
      }
    }
    await load(sides.qdrant, WARMUP_S);
    await load(sides.api, WARMUP_S);

    const rows: { round: number; qdrant: Measure; api: Measure }[] = [];
    console.log(`\n${kind}                                                                CPU ms per request`);
    console.log(
      'round  side    req/s   mean ms    p50 ms   p99 ms   requests  failures   autocannon    API   rest   total',
    );
    const print = (round: number, side: string, m: Measure) => {
      const cpu = m.cpuMsPerRequest;
      console.log(
        `${String(round).padStart(5)}  ${side.padEnd(6)} ${m.requestsPerSecond.toFixed(0).padStart(7)} ${m.mean.toFixed(2).padStart(9)} ${m.p50.toFixed(1).padStart(9)} ` +
          `${m.p99.toFixed(1).padStart(8)} ${String(m.requests).padStart(10)} ${String(m.failures).padStart(9)} ` +
          `${cpu.loadGenerator.toFixed(3).padStart(12)} ${cpu.api.toFixed(3).padStart(6)} ${cpu.rest.toFixed(3).padStart(6)} ${(cpu.loadGenerator + cpu.api + cpu.rest).toFixed(3).padStart(7)}`,
      );
    };
    for (let round = 1; round <= ROUNDS; round++) {
      const qdrant = await load(sides.qdrant, DURATION_S);
      print(round, 'qdrant', qdrant);
      const viaApi = await load(sides.api, DURATION_S);
      print(round, 'api', viaApi);
      rows.push({ round, qdrant, api: viaApi });
    }

    const medianOf = (side: 'qdrant' | 'api', key: Exclude<keyof Measure, 'cpuMsPerRequest'>) =>
      median(rows.map((row) => row[side][key]));
    const cpuOf = (side: 'qdrant' | 'api', key: keyof Measure['cpuMsPerRequest']) =>
      median(rows.map((row) => row[side].cpuMsPerRequest[key]));
    const kindFailures = rows.reduce((sum, row) => sum + row.api.failures + row.qdrant.failures, 0);
    failures += kindFailures;
    const summary = (side: 'qdrant' | 'api') =>
      `${medianOf(side, 'requestsPerSecond').toFixed(0)} req/s, mean ${medianOf(side, 'mean').toFixed(2)} ms, p50 ${medianOf(side, 'p50').toFixed(1)} ms, p99 ${medianOf(side, 'p99').toFixed(1)} ms; ` +
      `CPU per request ${(cpuOf(side, 'loadGenerator') + cpuOf(side, 'api') + cpuOf(side, 'rest')).toFixed(3)} ms ` +
      `(autocannon ${cpuOf(side, 'loadGenerator').toFixed(3)}, API process ${cpuOf(side, 'api').toFixed(3)}, rest ${cpuOf(side, 'rest').toFixed(3)})`;
    console.log(`\n${kind} API:    ${summary('api')} (medians of ${ROUNDS})`);
    console.log(`${kind} Qdrant: ${summary('qdrant')}`);
    console.log(`${kind} failures (transport errors, timeouts, non-2xx, error bodies): ${kindFailures}`);
    // autocannon measures whole milliseconds: below a few ms, the p50s are too coarse to divide.
    const ratio = medianOf('api', 'p50') / medianOf('qdrant', 'p50');
    const meanRatio = medianOf('api', 'mean') / medianOf('qdrant', 'mean');
    const verdict = Number.isFinite(ratio)
      ? `${ratio.toFixed(2)}${kind === 'crop' ? ` (target ≤ 1.5: ${ratio <= 1.5 ? 'met' : 'NOT met'})` : ''}`
      : 'n/a (Qdrant p50 under 1 ms)';
    console.log(`${kind} API p50 / Qdrant p50: ${verdict}; mean / mean: ${meanRatio.toFixed(2)}`);
  }
  if (failures > 0) process.exitCode = 1;
} finally {
  api?.kill('SIGTERM');
  if (api && api.exitCode === null) await new Promise((resolve) => api!.once('exit', resolve));
  await backend.close();
  await servers.stop();
  await rm(dataDir, { recursive: true, force: true });
}
