import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '@defect-rag/runs';
import { sampleDatasetOrSkip, startTestPostgres, type TestServers } from '@defect-rag/testing';
import { createApiServer, type ApiServer } from '../src';
import { isLoopback } from '../src/server';
import { MAX_QUERY_LENGTH, MAX_QUERY_SELECTIONS, MAX_QUERY_TOKENS } from '../src/limits';
import { errorCodes, fanOutDocument, graphql, startSmallApi, testBackend, type SmallApi } from './helpers';

const sample = sampleDatasetOrSkip();
const SEARCH = `query($q: SimilarityQuery!) { searchSimilar(query: $q) { score crop { id } } }`;

describe.skipIf(!sample)('the API under hostile input', () => {
  let small: SmallApi;
  let servers: TestServers;
  let backend: Backend;
  let api: ApiServer;

  beforeAll(async () => {
    small = await startSmallApi(sample!, 'hostile');
    ({ servers, backend, api } = small);
  }, 240_000);

  afterAll(async () => {
    await small?.stop();
  });

  it('answers errors without stack traces unless DEFECT_RAG_STACK_TRACES asks for them', async () => {
    const bad = await graphql(api.url, SEARCH, { q: { text: 'dent', limit: 1000 } });
    expect(errorCodes(bad)).toEqual(['BAD_USER_INPUT']);
    const invalid = await graphql(api.url, '{ nope }');
    expect(errorCodes(invalid)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    for (const response of [bad, invalid]) {
      expect(JSON.stringify(response)).not.toContain('stacktrace');
      expect(JSON.stringify(response)).not.toContain(process.cwd());
    }
    const debug = await createApiServer(backend, { port: 0, host: '127.0.0.1', stackTraces: true });
    try {
      const traced = await graphql(debug.url, SEARCH, { q: { text: 'dent', limit: 1000 } });
      expect(JSON.stringify(traced)).toContain('stacktrace');
    } finally {
      await debug.close();
    }
  });

  it('refuses minScore 1e309 (Infinity) with a message that says what is allowed', async () => {
    const response = await graphql(
      api.url,
      `
        {
          searchSimilar(query: { text: "dent", minScore: 1e309 }) {
            score
          }
        }
      `,
    );
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors![0]!.message).toContain('minScore: must be a finite number in [-1, 1]');
    expect(response.errors![0]!.message).not.toContain('received number');
  });

  it('answers NOT_FOUND, not an internal error, for a dataset id that is no UUID (a fuzz counterexample)', async () => {
    const stats = await graphql(api.url, '{ indexStats(datasetId: "/etc/passwd") { byArea { count } } }');
    expect(errorCodes(stats)).toEqual(['NOT_FOUND']);
    const search = await graphql(api.url, SEARCH, {
      q: { text: 'dent', filter: { datasetId: '/etc/passwd', zones: ['side'] }, limit: 1 },
    });
    expect(errorCodes(search)).toEqual(['NOT_FOUND']);
  });

  it('checks each input field where it is declared: nested filters, lists, rules across fields, page arguments', async () => {
    const tooMany = Array.from({ length: 51 }, (_, i) => `zone${i}`);
    const search = await graphql(api.url, SEARCH, {
      q: { text: 'x'.repeat(2001), filter: { zones: tooMany, areas: [''], split: null }, limit: 5 },
    });
    expect(errorCodes(search)).toEqual(['BAD_USER_INPUT']);
    const message = search.errors![0]!.message;
    expect(message).toContain('text: at most 2000 characters');
    expect(message).toContain('filter.zones:');
    expect(message).toContain('filter.areas.0:');
    expect(message).not.toContain('split');

    const nulls = await graphql(api.url, SEARCH, {
      q: { text: 'dent', filter: { zones: null, split: null }, limit: 1 },
    });
    expect(nulls.errors).toBeUndefined();

    const ingestion = await graphql(
      api.url,
      `
        mutation ($d: ID!, $o: IngestionOptions) {
          startIngestion(datasetId: $d, options: $o) {
            id
          }
        }
      `,
      { d: '00000000-0000-4000-8000-000000000000', o: { alpha: 0.3 } },
    );
    expect(ingestion.errors![0]!.message).toBe('alpha: alpha needs fusion: WEIGHTED');

    const evaluation = await graphql(
      api.url,
      `
        mutation ($d: ID!, $o: EvaluationOptions) {
          startEvaluation(datasetId: $d, options: $o) {
            id
          }
        }
      `,
      { d: '00000000-0000-4000-8000-000000000000', o: { k: [1, 0], alphas: [2] } },
    );
    expect(evaluation.errors![0]!.message).toMatch(/^k\.1: .*; alphas\.0: /);

    const page = await graphql(
      api.url,
      `
        {
          runs(first: 0) {
            totalCount
          }
        }
      `,
    );
    expect(page.errors![0]!.message).toContain('first: must be 1…');
    const filter = await graphql(
      api.url,
      `
        {
          runs(filter: { datasetId: "nope" }) {
            totalCount
          }
        }
      `,
    );
    expect(filter.errors![0]!.message).toBe('datasetId: not a valid dataset id');
    const cursor = await graphql(
      api.url,
      `
        {
          datasets(after: "x") {
            totalCount
          }
        }
      `,
    );
    expect(cursor.errors![0]!.message).toBe('after: not a cursor of this list');
  });

  describe('documents that would take GraphQL validation seconds (production, keys required for reads)', () => {
    let guarded: ApiServer;
    const key = { 'x-api-key': 'the-key' };

    beforeAll(async () => {
      const keyed = await testBackend(servers, {
        DEFECT_RAG_DATA_DIR: backend.config.dataDir,
        DEFECT_RAG_API_KEYS: 'the-key',
        DEFECT_RAG_API_READS_REQUIRE_KEY: 'true',
      });
      guarded = await createApiServer(keyed, { port: 0, host: '127.0.0.1', production: true });
      // The backend is closed with the server below; close() leaves it open, so keep a handle.
      closeKeyed = () => keyed.close();
    });
    let closeKeyed: () => Promise<void>;

    afterAll(async () => {
      await guarded?.close();
      await closeKeyed?.();
    });

    /** One field repeated: `contentHash` 6,000 times is a 72 KB document like the one that blocked the API for 17.6 s. */
    const repeated = (times: number, field = 'id') => `{ model { ${`${field} `.repeat(times)}} }`;

    async function timed(query: string, headers: Record<string, string> = {}) {
      const started = performance.now();
      const response = await graphql(guarded.url, query, {}, headers);
      return { response, ms: performance.now() - started };
    }

    it('refuses each in under a second, with a typed error, before validating it', async () => {
      const cases = [
        { query: repeated(6_000, 'contentHash'), headers: {}, status: 401, code: 'UNAUTHENTICATED' },
        { query: repeated(6_000, 'contentHash'), headers: key, status: 400, code: 'QUERY_TOO_COMPLEX' },
        { query: repeated(MAX_QUERY_TOKENS + 10), headers: key, status: 400, code: 'GRAPHQL_PARSE_FAILED' },
        { query: repeated(MAX_QUERY_TOKENS - 10), headers: key, status: 400, code: 'QUERY_TOO_COMPLEX' },
        {
          query: `{ ${'... on Query { model { id id } } '.repeat(150)} }`,
          headers: key,
          status: 400,
          code: 'QUERY_TOO_COMPLEX',
        },
        // 1.3 KB whose fragments, each spread 30 times in the next, hold 30^6 fields: once 10 minutes' work.
        { query: fanOutDocument(30, 6), headers: key, status: 400, code: 'QUERY_TOO_COMPLEX' },
      ];
      expect(repeated(6_000, 'contentHash').length).toBeGreaterThan(MAX_QUERY_LENGTH);
      for (const { query, headers, status, code } of cases) {
        const { response, ms } = await timed(query, headers);
        expect({ status: response.status, codes: errorCodes(response) }).toEqual({ status, codes: [code] });
        expect(ms).toBeLessThan(1_000);
        console.log(`refused ${query.length} characters (${code}) in ${ms.toFixed(0)} ms`);
      }
      // Within the bounds, the same field repeated is answered.
      const { response, ms } = await timed(repeated(MAX_QUERY_SELECTIONS - 2), key);
      expect(response.errors).toBeUndefined();
      expect(ms).toBeLessThan(1_000);
    });

    it("answers another client's searches while hostile documents keep coming", async () => {
      let attacking = true;
      const attackers = Array.from({ length: 4 }, async () => {
        let sent = 0;
        for (let i = 0; attacking; i++) {
          const query = [repeated(MAX_QUERY_TOKENS - 10), repeated(6_000, 'contentHash'), fanOutDocument(30, 6)][
            i % 3
          ]!;
          await graphql(guarded.url, query, {}, key);
          sent++;
        }
        return sent;
      });
      const latencies: number[] = [];
      for (let i = 0; i < 20; i++) {
        const started = performance.now();
        const search = await graphql<{ searchSimilar: unknown[] }>(
          guarded.url,
          SEARCH,
          { q: { text: 'dent on the door', limit: 3 } },
          key,
        );
        latencies.push(performance.now() - started);
        expect(search.errors).toBeUndefined();
        expect(search.data!.searchSimilar.length).toBeGreaterThan(0);
      }
      attacking = false;
      const sent = (await Promise.all(attackers)).reduce((a, b) => a + b, 0);
      latencies.sort((a, b) => a - b);
      console.log(
        `20 searches during ${sent} hostile requests: median ${latencies[10]!.toFixed(0)} ms, max ${latencies[19]!.toFixed(0)} ms`,
      );
      expect(sent).toBeGreaterThan(20);
      expect(latencies[19]).toBeLessThan(1_000);
    });
  });

  describe('which folders a client may make the server read', () => {
    const REGISTER = `mutation($path: String!, $name: String!, $repoint: Boolean) {
      registerDataset(path: $path, name: $name, repoint: $repoint) { id root } }`;

    it('by default only under <data dir>/datasets: "/" and a link out of it are FORBIDDEN', async () => {
      const datasets = path.join(backend.config.dataDir, 'datasets');
      mkdirSync(path.join(datasets, 'fleet-a'), { recursive: true });
      symlinkSync('/', path.join(datasets, 'escape'));
      for (const folder of ['/', '/etc', path.join(datasets, 'escape'), path.join(datasets, '..')]) {
        const response = await graphql(api.url, REGISTER, { path: folder, name: 'stolen' });
        expect(response.errors![0]!.extensions).toEqual({ code: 'FORBIDDEN', reason: 'DATASET_FORBIDDEN' });
        expect(response.errors![0]!.message).toContain('DEFECT_RAG_DATASET_ROOTS');
      }
      const allowed = await graphql(api.url, REGISTER, { path: path.join(datasets, 'fleet-a'), name: 'fleet-a' });
      expect(allowed.errors).toBeUndefined();
    });

    it('re-pointing a registered name at another folder needs repoint: true (CONFLICT otherwise)', async () => {
      const datasets = path.join(backend.config.dataDir, 'datasets');
      mkdirSync(path.join(datasets, 'fleet-b'), { recursive: true });
      const moved = await graphql(api.url, REGISTER, { path: path.join(datasets, 'fleet-b'), name: 'fleet-a' });
      expect(moved.errors![0]!.extensions).toEqual({ code: 'CONFLICT', reason: 'DATASET_CONFLICT' });
      const repointed = await graphql<{ registerDataset: { root: string } }>(api.url, REGISTER, {
        path: path.join(datasets, 'fleet-b'),
        name: 'fleet-a',
        repoint: true,
      });
      expect(repointed.data!.registerDataset.root).toBe(path.join(datasets, 'fleet-b'));
    });

    it('DEFECT_RAG_DATASET_ROOTS lists the folders allowed instead', async () => {
      const root = mkdtempSync(path.join(tmpdir(), 'roots-'));
      mkdirSync(path.join(root, 'fleet-c'));
      const rooted = await testBackend(servers, { DEFECT_RAG_DATASET_ROOTS: `/nonexistent:${root}` });
      const server = await createApiServer(rooted, { port: 0, host: '127.0.0.1' });
      try {
        const inside = await graphql(server.url, REGISTER, { path: path.join(root, 'fleet-c'), name: 'fleet-c' });
        expect(inside.errors).toBeUndefined();
        const outside = await graphql(server.url, REGISTER, { path: backend.config.dataDir, name: 'data' });
        expect(errorCodes(outside)).toEqual(['FORBIDDEN']);
      } finally {
        await server.close();
        await rooted.close();
      }
    });

    it('refuses to listen beyond loopback without API keys unless told to', async () => {
      expect(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost'].every(isLoopback)).toBe(true);
      expect(['0.0.0.0', '::', '192.168.1.10', 'example.com'].some(isLoopback)).toBe(false);
      await expect(createApiServer(backend, { port: 0, host: '0.0.0.0' })).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('DEFECT_RAG_API_ALLOW_REMOTE_WITHOUT_KEYS'),
      });
      const allowed: Record<string, string>[] = [
        { DEFECT_RAG_API_KEYS: 'k' },
        { DEFECT_RAG_API_ALLOW_REMOTE_WITHOUT_KEYS: 'true' },
      ];
      for (const env of allowed) {
        const other = await testBackend(servers, env);
        const server = await createApiServer(other, { port: 0, host: '0.0.0.0' });
        await server.close();
        await other.close();
      }
    });
  });

  it('answers UNAVAILABLE (DATABASE_UNAVAILABLE) once PostgreSQL is gone, not INTERNAL_SERVER_ERROR', async () => {
    const postgres = await startTestPostgres();
    const lonely = await testBackend({ databaseUrl: postgres.url, qdrantUrl: servers.qdrantUrl });
    const server = await createApiServer(lonely, { port: 0, host: '127.0.0.1' });
    try {
      await postgres.stop();
      for (const query of ['{ datasets(first: 1) { totalCount } }', '{ runs(first: 1) { totalCount } }']) {
        const response = await graphql(server.url, query);
        expect(response.errors![0]!.extensions).toEqual({ code: 'UNAVAILABLE', reason: 'DATABASE_UNAVAILABLE' });
      }
    } finally {
      await server.close();
      await lonely.close().catch(() => {});
    }
  }, 120_000);
});
