// `npm run bench -- api [--duration 30] [--connections 50] [--rounds 3] [--limit 10]`
//
// Load on the GraphQL API: `--connections` concurrent clients (autocannon, loopback) send
// `searchSimilar` by crop id with a zone filter (each query crop filtered to its own zone) for
// `--duration` seconds, against the same searches sent straight to Qdrant (one query-by-point
// request each) with the same load. The API runs as `defect-rag serve` does, in its own process
// (NODE_ENV=production), over embedded PostgreSQL and Qdrant holding the shared sample ingested
// with the tiny model; crop-id searches embed nothing, so the model does not matter. Rounds
// alternate Qdrant and API; the ratio of the median p50s says what the API costs on top of Qdrant
// (target ≤ 1.5). Every response is checked: errors, non-2xx and GraphQL errors must be zero.
// Both sides run closed-loop at full load, so their p50s follow from the CPU each request costs;
// the CPU milliseconds per request of the load generator, the API process and everything else
// (Qdrant) are printed beside them (Linux /proc).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { ingestDataset, openBackend } from '@defect-rag/pipeline';
import { createLogger, loadConfig, sampleDatasetDir, workspaceRoot } from '@defect-rag/runtime';
import { startTestServers } from '@defect-rag/testing';
import { pointIdForCrop } from '@defect-rag/vector-store';
import { median } from './_stats';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '30' },
    connections: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
    limit: { type: 'string', default: '10' },
  },
});
const DURATION_S = Number(args.duration);
const CONNECTIONS = Number(args.connections);
const ROUNDS = Number(args.rounds);
const LIMIT = Number(args.limit);
const QUERY_CROPS = 100;
const WARMUP_S = 3;

const sample = sampleDatasetDir();
if (!sample) {
  console.error('the shared sample (../shared/datasets/vehicle-damage-sample) is needed for this benchmark');
  process.exit(2);
}

interface Search {
  cropId: string;
  zone: string;
  /** GraphQL request body. */
  api: string;
  /** The same search as one Qdrant query request body. */
  qdrant: string;
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
async function load(url: string, bodies: readonly string[], seconds: number): Promise<Measure> {
  const cpuBefore = { machine: machineBusyMs(), own: ownCpuMs(), api: processCpuMs(apiPid()) };
  let next = 0;
  let bodyErrors = 0;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
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
  const searches: Search[] = points.map(({ cropId, payload }) => ({
    cropId,
    zone: payload.vehicle_zone,
    api: JSON.stringify({
      query:
        'query($query: SimilarityQuery!) { searchSimilar(query: $query) { score crop { id vehicleZone damageTypes textDescription imageUrl } } }',
      variables: { query: { cropId, filter: { zones: [payload.vehicle_zone] }, limit: LIMIT } },
    }),
    // The request the vector store sends for a crop-id search: Qdrant's query by point id, the crop
    // itself excluded, scanned exactly (the filter keeps few points), with payloads.
    qdrant: JSON.stringify({
      query: pointIdForCrop(cropId),
      using: 'fused',
      filter: {
        must: [{ key: 'vehicle_zone', match: { any: [payload.vehicle_zone] } }],
        must_not: [{ has_id: [pointIdForCrop(cropId)] }],
      },
      limit: LIMIT,
      params: { hnsw_ef: 512, exact: true, quantization: { rescore: true, oversampling: 2 } },
      with_payload: true,
    }),
  }));

  const started = await startApi(env);
  api = started.child;
  const apiUrl = `${started.url}/graphql`;
  const qdrantUrl = `${servers.qdrantUrl}/collections/${collection}/points/query`;

  // Both sides answer the same searches with the same crops, in the same order.
  for (const search of searches.slice(0, 10)) {
    const post = async (url: string, body: string) =>
      (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json();
    const viaApi = (await post(apiUrl, search.api)) as {
      data?: { searchSimilar: { crop: { id: string; vehicleZone: string } }[] };
    };
    const viaQdrant = (await post(qdrantUrl, search.qdrant)) as {
      result: { points: { payload: { crop_id: string } }[] };
    };
    const apiIds = viaApi.data?.searchSimilar.map((item) => item.crop.id);
    const qdrantIds = viaQdrant.result.points.map((point) => point.payload.crop_id);
    if (
      JSON.stringify(apiIds) !== JSON.stringify(qdrantIds) ||
      !viaApi.data!.searchSimilar.every((item) => item.crop.vehicleZone === search.zone)
    ) {
      throw new Error(
        `API and Qdrant disagree on crop ${search.cropId}: ${JSON.stringify(viaApi)} vs ${JSON.stringify(qdrantIds)}`,
      );
    }
  }

  console.log(
    `api benchmark: searchSimilar by crop id + zone filter, ${searches.length} query crops of ${refs.length}, limit ${LIMIT}, ` +
      `${CONNECTIONS} connections, ${DURATION_S} s per side, ${ROUNDS} round(s), ${os.cpus().length} CPUs shared by load generator, API and Qdrant`,
  );
  await load(
    qdrantUrl,
    searches.map((search) => search.qdrant),
    WARMUP_S,
  );
  await load(
    apiUrl,
    searches.map((search) => search.api),
    WARMUP_S,
  );

  const rows: { round: number; qdrant: Measure; api: Measure }[] = [];
  console.log('\n                                                                     CPU ms per request');
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
    const qdrant = await load(
      qdrantUrl,
      searches.map((search) => search.qdrant),
      DURATION_S,
    );
    print(round, 'qdrant', qdrant);
    const viaApi = await load(
      apiUrl,
      searches.map((search) => search.api),
      DURATION_S,
    );
    print(round, 'api', viaApi);
    rows.push({ round, qdrant, api: viaApi });
  }

  const medianOf = (side: 'qdrant' | 'api', key: Exclude<keyof Measure, 'cpuMsPerRequest'>) =>
    median(rows.map((row) => row[side][key]));
  const cpuOf = (side: 'qdrant' | 'api', key: keyof Measure['cpuMsPerRequest']) =>
    median(rows.map((row) => row[side].cpuMsPerRequest[key]));
  const failures = rows.reduce((sum, row) => sum + row.api.failures + row.qdrant.failures, 0);
  const summary = (side: 'qdrant' | 'api') =>
    `${medianOf(side, 'requestsPerSecond').toFixed(0)} req/s, mean ${medianOf(side, 'mean').toFixed(2)} ms, p50 ${medianOf(side, 'p50').toFixed(1)} ms, p99 ${medianOf(side, 'p99').toFixed(1)} ms; ` +
    `CPU per request ${(cpuOf(side, 'loadGenerator') + cpuOf(side, 'api') + cpuOf(side, 'rest')).toFixed(3)} ms ` +
    `(autocannon ${cpuOf(side, 'loadGenerator').toFixed(3)}, API process ${cpuOf(side, 'api').toFixed(3)}, rest ${cpuOf(side, 'rest').toFixed(3)})`;
  console.log(`\nAPI:    ${summary('api')} (medians of ${ROUNDS})`);
  console.log(`Qdrant: ${summary('qdrant')}`);
  console.log(`failures (transport errors, timeouts, non-2xx, error bodies): ${failures}`);
  // autocannon measures whole milliseconds: below a few ms, the p50s are too coarse to divide.
  const ratio = medianOf('api', 'p50') / medianOf('qdrant', 'p50');
  const meanRatio = medianOf('api', 'mean') / medianOf('qdrant', 'mean');
  const verdict = Number.isFinite(ratio)
    ? `${ratio.toFixed(2)} (target ≤ 1.5: ${ratio <= 1.5 ? 'met' : 'NOT met'})`
    : 'n/a (Qdrant p50 under 1 ms)';
  console.log(`API p50 / Qdrant p50: ${verdict}; mean / mean: ${meanRatio.toFixed(2)}`);
  if (failures > 0) process.exitCode = 1;
} finally {
  api?.kill('SIGTERM');
  if (api && api.exitCode === null) await new Promise((resolve) => api!.once('exit', resolve));
  await backend.close();
  await servers.stop();
  await rm(dataDir, { recursive: true, force: true });
}
