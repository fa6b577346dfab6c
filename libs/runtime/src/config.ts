import path from 'node:path';
import { config as loadDotenv } from 'dotenv';
import { z } from 'zod';
import { DefectRagError } from './errors';

const port = z.coerce.number().int().min(0).max(65535);
const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const urlWithScheme = (schemes: string[]) =>
  optionalString.refine((value) => value === undefined || schemes.some((scheme) => value.startsWith(`${scheme}://`)), {
    message: `must start with ${schemes.map((s) => `${s}://`).join(' or ')}`,
  });

const configSchema = z.object({
  DATABASE_URL: urlWithScheme(['postgres', 'postgresql']),
  QDRANT_URL: urlWithScheme(['http', 'https']),
  QDRANT_API_KEY: optionalString,
  DEFECT_RAG_DATA_DIR: z.string().trim().min(1).default('.data'),
  DEFECT_RAG_MODEL_DIR: z.string().trim().min(1).default('models/tiny-clip'),
  DEFECT_RAG_API_HOST: z.string().trim().min(1).default('127.0.0.1'),
  DEFECT_RAG_API_PORT: port.default(4000),
  DEFECT_RAG_POSTGRES_PORT: port.default(0),
  DEFECT_RAG_QDRANT_PORT: port.default(0),
  DEFECT_RAG_EMBEDDED_IDLE_STOP_MS: z.coerce.number().int().min(0).default(60_000),
  DEFECT_RAG_QDRANT_SHARDS: z.coerce.number().int().min(1).default(1),
  DEFECT_RAG_QDRANT_REPLICATION_FACTOR: z.coerce.number().int().min(1).default(1),
  DEFECT_RAG_QDRANT_QUANTIZATION: z.enum(['none', 'int8']).default('none'),
  DEFECT_RAG_QDRANT_ON_DISK: z.stringbool().default(false),
  DEFECT_RAG_QDRANT_HNSW_M: z.coerce.number().int().min(2).default(16),
  DEFECT_RAG_QDRANT_HNSW_EF_CONSTRUCT: z.coerce.number().int().min(4).default(100),
  DEFECT_RAG_QDRANT_HNSW_EF: z.coerce.number().int().min(1).default(512),
  DEFECT_RAG_API_KEYS: optionalString,
  DEFECT_RAG_API_ALLOW_REMOTE_WITHOUT_KEYS: z.stringbool().default(false),
  DEFECT_RAG_DATASET_ROOTS: optionalString,
  DEFECT_RAG_API_READS_REQUIRE_KEY: z.stringbool().default(false),
  DEFECT_RAG_API_PUBLIC_URL: urlWithScheme(['http', 'https']),
  DEFECT_RAG_API_TIMEOUT_MS: z.coerce.number().int().min(1).default(30_000),
  DEFECT_RAG_MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(10 * 1024 * 1024),
  DEFECT_RAG_STACK_TRACES: z.stringbool().default(false),
  DEFECT_RAG_WORKER_HEARTBEAT_SECONDS: z.coerce.number().int().min(10).default(30),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['pretty', 'json']).default('pretty'),
});

export interface Config {
  /** External PostgreSQL; when absent an embedded server is started under `dataDir`. */
  databaseUrl: string | undefined;
  /** External Qdrant; when absent the bundled Qdrant binary is started under `dataDir`. */
  qdrantUrl: string | undefined;
  qdrantApiKey: string | undefined;
  /** Absolute path of the folder for embedded servers' data, runs and crops. */
  dataDir: string;
  /** Absolute path of the default model folder: the first of `modelDirs`. */
  modelDir: string;
  /**
   * Every model folder the API and `search` serve (`DEFECT_RAG_MODEL_DIR`, comma-separated); each
   * model has its own collection, and a query names its model or gets the first.
   */
  modelDirs: string[];
  apiHost: string;
  apiPort: number;
  /** 0 means "pick a free port". */
  postgresPort: number;
  qdrantPort: number;
  /** Embedded servers stop once no process has used them this long (0: never), e.g. after their users were killed. */
  embeddedIdleStopMs: number;
  /** How a new collection is spread over a Qdrant cluster; 1 and 1 on a single server. */
  qdrantShards: number;
  qdrantReplicationFactor: number;
  /**
   * How a new collection stores its vectors (an existing collection keeps its own): int8 scalar
   * quantization or none, the original vectors on disk or in RAM, and the HNSW graph's degree and
   * build beam. `npm run bench -- scale` measures the trade-off.
   */
  qdrantIndex: { quantization: 'none' | 'int8'; onDisk: boolean; hnswM: number; hnswEfConstruct: number };
  /** The HNSW search beam (hnsw_ef) of every search. */
  qdrantHnswEf: number;
  apiKeys: string[];
  /** Listen beyond loopback without API keys: refused unless this is set. */
  apiAllowRemoteWithoutKeys: boolean;
  /**
   * Absolute folders datasets must lie in (DEFECT_RAG_DATASET_ROOTS, separated by `:`). Unset: the
   * CLI may register any folder its user can read; the API only `<dataDir>/datasets`
   * (see apiDatasetRoots).
   */
  datasetRoots: string[] | undefined;
  /** With API keys set, queries need one too (mutations always do). */
  apiReadsRequireKey: boolean;
  /**
   * Base of absolute crop image URLs; when absent `imageUrl` is relative (`/crops/<id>`) and the
   * RAG context's image URLs start with the address the API listens on.
   */
  apiPublicUrl: string | undefined;
  /** Longest a GraphQL operation or upload may take. */
  apiTimeoutMs: number;
  /** Largest accepted query image upload. */
  maxUploadBytes: number;
  /**
   * Stack traces in API error answers (never in production) and in the CLI's error output: a
   * development aid, off unless asked for, since they show absolute paths and internals.
   */
  stackTraces: boolean;
  /**
   * How often a worker of a distributed ingestion shows it still holds its batch: a batch whose
   * worker died goes to another after about this long (pg-boss's minimum is 10 s).
   */
  workerHeartbeatSeconds: number;
  logLevel: z.infer<typeof configSchema>['LOG_LEVEL'];
  logFormat: z.infer<typeof configSchema>['LOG_FORMAT'];
}

/**
 * Reads the configuration once, from the environment and an optional `.env` in the working
 * directory (the environment wins). Relative paths are resolved against `cwd`.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  { cwd = process.cwd(), dotenv = env === process.env }: { cwd?: string; dotenv?: boolean } = {},
): Config {
  const source = dotenv ? { ...readDotenv(cwd), ...env } : env;
  const parsed = configSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = issue.path.join('.');
      return `${key}=${JSON.stringify(source[key] ?? '')}: ${issue.message}`;
    });
    throw new DefectRagError('CONFIG_INVALID', `Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const c = parsed.data;
  const modelDirs = [
    ...new Set(
      c.DEFECT_RAG_MODEL_DIR.split(',')
        .map((dir) => dir.trim())
        .filter(Boolean)
        .map((dir) => path.resolve(cwd, dir)),
    ),
  ];
  if (modelDirs.length === 0)
    throw new DefectRagError('CONFIG_INVALID', 'Invalid configuration:\n  DEFECT_RAG_MODEL_DIR names no folder');
  return {
    databaseUrl: c.DATABASE_URL,
    qdrantUrl: c.QDRANT_URL,
    qdrantApiKey: c.QDRANT_API_KEY,
    dataDir: path.resolve(cwd, c.DEFECT_RAG_DATA_DIR),
    modelDir: modelDirs[0]!,
    modelDirs,
    apiHost: c.DEFECT_RAG_API_HOST,
    apiPort: c.DEFECT_RAG_API_PORT,
    postgresPort: c.DEFECT_RAG_POSTGRES_PORT,
    qdrantPort: c.DEFECT_RAG_QDRANT_PORT,
    embeddedIdleStopMs: c.DEFECT_RAG_EMBEDDED_IDLE_STOP_MS,
    qdrantShards: c.DEFECT_RAG_QDRANT_SHARDS,
    qdrantReplicationFactor: c.DEFECT_RAG_QDRANT_REPLICATION_FACTOR,
    qdrantIndex: {
      quantization: c.DEFECT_RAG_QDRANT_QUANTIZATION,
      onDisk: c.DEFECT_RAG_QDRANT_ON_DISK,
      hnswM: c.DEFECT_RAG_QDRANT_HNSW_M,
      hnswEfConstruct: c.DEFECT_RAG_QDRANT_HNSW_EF_CONSTRUCT,
    },
    qdrantHnswEf: c.DEFECT_RAG_QDRANT_HNSW_EF,
    apiKeys:
      c.DEFECT_RAG_API_KEYS?.split(',')
        .map((key) => key.trim())
        .filter(Boolean) ?? [],
    apiAllowRemoteWithoutKeys: c.DEFECT_RAG_API_ALLOW_REMOTE_WITHOUT_KEYS,
    datasetRoots: c.DEFECT_RAG_DATASET_ROOTS?.split(path.delimiter)
      .map((root) => root.trim())
      .filter(Boolean)
      .map((root) => path.resolve(cwd, root)),
    apiReadsRequireKey: c.DEFECT_RAG_API_READS_REQUIRE_KEY,
    apiPublicUrl: c.DEFECT_RAG_API_PUBLIC_URL?.replace(/\/+$/, ''),
    apiTimeoutMs: c.DEFECT_RAG_API_TIMEOUT_MS,
    maxUploadBytes: c.DEFECT_RAG_MAX_UPLOAD_BYTES,
    stackTraces: c.DEFECT_RAG_STACK_TRACES,
    workerHeartbeatSeconds: c.DEFECT_RAG_WORKER_HEARTBEAT_SECONDS,
    logLevel: c.LOG_LEVEL,
    logFormat: c.LOG_FORMAT,
  };
}

/**
 * The folders API clients may register datasets in: DEFECT_RAG_DATASET_ROOTS, else only
 * `<dataDir>/datasets`, since a client of the API is not the server's user and must not make it
 * read (and serve, through `/crops/<id>/source`) whatever the server can read.
 */
export function apiDatasetRoots(config: Config): string[] {
  return config.datasetRoots ?? [path.join(config.dataDir, 'datasets')];
}

function readDotenv(cwd: string): Record<string, string> {
  const result = loadDotenv({ path: path.join(cwd, '.env'), processEnv: {}, quiet: true });
  return result.parsed ?? {};
}
