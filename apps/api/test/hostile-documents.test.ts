import { cpSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestDataset } from '@defect-rag/ingestion';
import { sampleDatasetOrSkip } from '@defect-rag/testing';
import { MAX_QUERY_SELECTIONS } from '../src/limits';
import { errorCodes, fanOutDocument, graphql, startSmallApi, testBackend, type SmallApi } from './helpers';

const sample = sampleDatasetOrSkip();

describe.skipIf(!sample)('the API under hostile documents (issue 26)', () => {
  let small: SmallApi;
  let url: string;

  beforeAll(async () => {
    small = await startSmallApi(sample!, 'documents');
    url = small.api.url;
  }, 240_000);

  afterAll(async () => {
    await small?.stop();
  });

  it('refuses a fragment fanned out 30 times over 6 levels (1.4 KB, 30^6 fields) with QUERY_TOO_COMPLEX, by POST and by GET', async () => {
    const document = fanOutDocument(30, 6);
    expect(document.length).toBeLessThan(1_500);
    const posted = await graphql(url, document);
    expect(posted.status).toBe(400);
    expect(errorCodes(posted)).toEqual(['QUERY_TOO_COMPLEX']);
    const got = await fetch(`${url}/graphql?query=${encodeURIComponent(document)}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(got.status).toBe(400);
    expect(((await got.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe(
      'QUERY_TOO_COMPLEX',
    );
    // The server is free: a cheap query still runs.
    expect((await graphql(url, fanOutDocument(2, 2))).errors).toBeUndefined();
  });

  it('counts the selections of a GET document as of a POST one', async () => {
    const wide = `{ ${Array.from({ length: MAX_QUERY_SELECTIONS + 2 }, () => '__typename').join(' ')} }`;
    const got = await fetch(`${url}/graphql?query=${encodeURIComponent(wide)}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(got.status).toBe(400);
    const answer = (await got.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(answer.errors[0]!.extensions.code).toBe('QUERY_TOO_COMPLEX');
    expect(answer.errors[0]!.message).toContain(`at most ${MAX_QUERY_SELECTIONS}`);
  });

  it('answers BAD_USER_INPUT for a lone surrogate in any filter string, naming no internal address', async () => {
    const lone = '\ud800';
    const filters: Record<string, unknown>[] = [
      { zones: [lone] },
      { areas: [`a${lone}`] },
      { damageTypes: ['\udc00'] },
      { split: lone },
      { datasetId: lone },
    ];
    const queries = [
      [
        'query($q: SimilarityQuery!) { searchSimilar(query: $q) { score } }',
        (filter: unknown) => ({ q: { text: 'dent', filter } }),
      ],
      [
        'query($q: SimilarityQuery!) { ragContext(query: $q) { context } }',
        (filter: unknown) => ({ q: { text: 'dent', filter } }),
      ],
      ['query($f: CropFilter) { crops(filter: $f) { totalCount } }', (filter: unknown) => ({ f: filter })],
    ] as const;
    for (const [query, variables] of queries) {
      for (const filter of filters) {
        const answer = await graphql(url, query, variables(filter));
        expect(errorCodes(answer), JSON.stringify({ query, filter })).toEqual(['BAD_USER_INPUT']);
        expect(answer.errors![0]!.message).toContain('lone surrogate');
        expect(JSON.stringify(answer)).not.toContain('127.0.0.1');
      }
    }
    const excluded = await graphql(url, queries[0][0], { q: { text: 'dent', excludePhotoIds: [lone] } });
    expect(errorCodes(excluded)).toEqual(['BAD_USER_INPUT']);
    // Written in the document instead, it is a parse error.
    expect(errorCodes(await graphql(url, '{ crops(filter: { split: "\\ud800" }) { totalCount } }'))).toEqual([
      'GRAPHQL_PARSE_FAILED',
    ]);
  });

  it('answers BAD_USER_INPUT for a problems cursor beyond PostgreSQL bigint, with no path in the answer', async () => {
    const runs = await graphql<{ runs: { edges: { node: { id: string } }[] } }>(
      url,
      '{ runs(first: 1) { edges { node { id } } } }',
    );
    const runId = runs.data!.runs.edges[0]!.node.id;
    const answer = await graphql(
      url,
      'query($id: ID!) { run(id: $id) { problems(after: "9999999999999999999") { totalCount } } }',
      {
        id: runId,
      },
    );
    expect(errorCodes(answer)).toEqual(['BAD_USER_INPUT']);
    expect(answer.errors![0]!.message).toContain('after: not a cursor of this list');
    expect(JSON.stringify(answer)).not.toContain(process.cwd());
  });

  it('answers subscriptions and persisted queries with a typed "not supported"', async () => {
    const subscription = await graphql(url, 'subscription { x }');
    expect(subscription.status).toBe(400);
    expect(errorCodes(subscription)).toEqual(['BAD_USER_INPUT']);
    expect(subscription.errors![0]!.message).toContain('subscriptions are not supported');
    for (const extensions of [
      { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } },
      { persistedQuery: { version: 2, sha256Hash: 'nope' } },
    ]) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ model { id } }', extensions }),
      });
      expect(response.status).toBeLessThan(500);
      const answer = (await response.json()) as { errors: { extensions: { code: string } }[] };
      expect(answer.errors[0]!.extensions.code).toBe('PERSISTED_QUERY_NOT_SUPPORTED');
    }
  });

  it('takes a variable set to null for an argument with a default as the default', async () => {
    const page = await graphql<{ datasets: { totalCount: number } }>(
      url,
      'query($n: Int) { datasets(first: $n) { totalCount } }',
      { n: null },
    );
    expect(page.errors).toBeUndefined();
    expect(page.data!.datasets.totalCount).toBe(1);
    const rag = await graphql<{ ragContext: { context: string } }>(
      url,
      'query($f: RagContextFormat) { ragContext(query: { text: "dent", limit: 1 }, format: $f) { context } }',
      { f: null },
    );
    expect(rag.errors).toBeUndefined();
    expect(typeof rag.data!.ragContext.context).toBe('string');
  });

  it('answers unknown paths with a JSON NOT_FOUND', async () => {
    for (const target of ['/nope', '/crops', '/runs/x/report']) {
      const response = await fetch(`${url}${target}`);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toContain('application/json');
      expect(
        ((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code,
      ).toBe('NOT_FOUND');
    }
  });

  it('refuses odd multipart bodies with JSON, keeps running, and answers the next request on a fresh connection', async () => {
    // A refused `map` followed by a file part with an empty or odd name: once an uncaught exception.
    for (const map of ['[]', '"x"']) {
      for (const filename of ['', 'x\u0000.png']) {
        const form = new FormData();
        form.append('operations', JSON.stringify({ query: '{ model { id } }' }));
        form.append('map', map);
        form.append('0', new Blob([new Uint8Array(0)]), filename);
        const response = await fetch(`${url}/graphql`, {
          method: 'POST',
          headers: { 'apollo-require-preflight': 'true' },
          body: form,
        });
        expect(response.status).toBe(400);
        const answer = (await response.json()) as { errors: { extensions: { code: string } }[] };
        expect(answer.errors[0]!.extensions.code).toBe('BAD_USER_INPUT');
      }
    }
    expect((await graphql(url, '{ model { id } }')).errors).toBeUndefined();
  });

  it("refuses a relative dataset path with BAD_USER_INPUT rather than resolve it against the server's folder (a fuzz counterexample)", async () => {
    const response = await graphql(url, 'mutation { registerDataset(name: "x", path: "!") { id } }');
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.errors![0]!.message).toContain('path: must be an absolute path on the server');
    expect(JSON.stringify(response)).not.toContain(process.cwd());
  });

  describe('a dataset whose images/ is a link out of the allowed folders', () => {
    const REGISTER = `mutation($path: String!, $name: String!) { registerDataset(path: $path, name: $name) { id } }`;
    const INGEST = `mutation($id: ID!) { startIngestion(datasetId: $id) { id } }`;

    /** A dataset folder under <data>/datasets, and a folder with a photo outside it; linked as its images/ or not yet. */
    function linkedDataset(name: string, linked: boolean): { root: string; outside: string } {
      const root = path.join(small.backend.config.dataDir, 'datasets', name);
      const outside = mkdtempSync(path.join(tmpdir(), 'outside-'));
      mkdirSync(root, { recursive: true });
      const photo = readdirSync(path.join(sample!, 'images'))[0]!;
      cpSync(path.join(sample!, 'images', photo), path.join(outside, photo));
      if (linked) symlinkSync(outside, path.join(root, 'images'));
      return { root, outside };
    }

    it('is FORBIDDEN at registration', async () => {
      const { root } = linkedDataset('linked-before', true);
      const response = await graphql(url, REGISTER, { path: root, name: 'linked-before' });
      expect(response.errors![0]!.extensions).toEqual({ code: 'FORBIDDEN', reason: 'DATASET_FORBIDDEN' });
      expect(response.errors![0]!.message).toContain('images folder');
    });

    it('is FORBIDDEN at ingestion when the link appears after registration', async () => {
      const { root, outside } = linkedDataset('linked-after', false);
      const registered = await graphql<{ registerDataset: { id: string } }>(url, REGISTER, {
        path: root,
        name: 'linked-after',
      });
      expect(registered.errors).toBeUndefined();
      symlinkSync(outside, path.join(root, 'images'));
      const started = await graphql(url, INGEST, { id: registered.data!.registerDataset.id });
      expect(started.errors![0]!.extensions).toEqual({ code: 'FORBIDDEN', reason: 'DATASET_FORBIDDEN' });
      // The CLI's ingestion, under configured roots, refuses it the same way.
      const rooted = await testBackend(small.servers, { DEFECT_RAG_DATASET_ROOTS: path.dirname(root) });
      try {
        await expect(ingestDataset(rooted, { datasetDir: root, name: 'linked-cli' })).rejects.toMatchObject({
          code: 'DATASET_FORBIDDEN',
        });
      } finally {
        await rooted.close();
      }
    });
  });
});
