import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ingestDataset } from '@defect-rag/ingestion';
import { openBackend, type Backend } from '@defect-rag/runs';
import { createLogger, loadConfig, workspaceRoot } from '@defect-rag/runtime';
import { copySampleSubset, startTestServers, type TestServers } from '@defect-rag/testing';
import { createApiServer, type ApiServer } from '../src';

export const tinyModelDir = path.join(workspaceRoot, 'models', 'tiny-clip');

/** A backend on the test servers with its own data dir, the tiny model, and `env` on top (API limits, keys…). */
export async function testBackend(
  urls: { databaseUrl: string; qdrantUrl: string },
  env: Record<string, string> = {},
): Promise<Backend> {
  // Under a dot-folder, as the default `.data` is: file serving must not refuse such a path.
  const parent = mkdtempSync(path.join(tmpdir(), 'defect-rag-api-'));
  await chmod(parent, 0o755);
  const dataDir = path.join(parent, '.data');
  mkdirSync(dataDir);
  await chmod(dataDir, 0o755);
  const config = loadConfig(
    {
      DATABASE_URL: urls.databaseUrl,
      QDRANT_URL: urls.qdrantUrl,
      DEFECT_RAG_DATA_DIR: dataDir,
      DEFECT_RAG_MODEL_DIR: tinyModelDir,
      LOG_LEVEL: 'silent',
      ...env,
    },
    { cwd: workspaceRoot, dotenv: false },
  );
  return openBackend(config, createLogger('silent'));
}

export interface SmallApi {
  servers: TestServers;
  backend: Backend;
  api: ApiServer;
  stop(): Promise<void>;
}

/** Fresh servers, the first 3 images of the sample ingested as `name`, and the API on them (development mode). */
export async function startSmallApi(sampleDir: string, name: string): Promise<SmallApi> {
  const servers = await startTestServers();
  const backend = await testBackend(servers);
  await ingestDataset(backend, { datasetDir: copyFirstSampleImages(sampleDir, 3), name });
  const api = await createApiServer(backend, { port: 0, host: '127.0.0.1', production: false });
  return {
    servers,
    backend,
    api,
    stop: async () => {
      await api.close();
      await backend.close();
      await servers.stop();
    },
  };
}

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions?: { code?: string; reason?: string } }[];
}

/** POSTs a GraphQL operation as JSON. */
export async function graphql<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...((await response.json()) as Omit<GraphQLResponse<T>, 'status'>) };
}

/**
 * A GraphQL multipart request (https://github.com/jaydenseric/graphql-multipart-request-spec) with
 * one file, given to the variable at `filePath` (e.g. `variables.query.image`).
 */
export async function graphqlUpload<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  filePath: string,
  file: Buffer,
  headers: Record<string, string> = { 'apollo-require-preflight': 'true' },
): Promise<GraphQLResponse<T>> {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query, variables }));
  form.append('map', JSON.stringify({ 0: [filePath] }));
  form.append('0', new Blob([file], { type: 'image/jpeg' }), 'query.jpg');
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers, body: form });
  return { status: response.status, ...((await response.json()) as Omit<GraphQLResponse<T>, 'status'>) };
}

/** The error codes of a response, in order. */
export function errorCodes(response: GraphQLResponse): (string | undefined)[] {
  return (response.errors ?? []).map((error) => error.extensions?.code);
}

/**
 * The first `count` images of the shared sample (by name, with their annotations and polygons) in
 * a temporary folder, plus `corrupt.jpg` when asked, which the run records as a problem.
 */
export function copyFirstSampleImages(sampleDir: string, count: number, { corrupt = false } = {}): string {
  const polygons = JSON.parse(readFileSync(path.join(sampleDir, 'poligonos.json'), 'utf8')) as Record<string, unknown>;
  const stems = Object.keys(polygons)
    .map((file) => file.replace(/\.jpg$/, ''))
    .sort()
    .slice(0, count);
  const dir = copySampleSubset(sampleDir, stems);
  if (corrupt) writeFileSync(path.join(dir, 'images', 'corrupt.jpg'), Buffer.from('this is not a JPEG'));
  return dir;
}

/** `fragment F0 on Query { model { id } }`, each F{i} spreading F{i-1} `spreads` times, the operation `{ ...F{levels} }`. */
export function fanOutDocument(spreads: number, levels: number): string {
  const fragments = ['fragment F0 on Query { model { id } }'];
  for (let level = 1; level <= levels; level++)
    fragments.push(`fragment F${level} on Query { ${`...F${level - 1} `.repeat(spreads)}}`);
  return `{ ...F${levels} } ${fragments.join(' ')}`;
}
