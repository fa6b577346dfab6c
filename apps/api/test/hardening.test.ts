import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestDataset, type Backend } from '@defect-rag/pipeline';
import { sampleDatasetOrSkip, startTestServers, type TestServers } from '@defect-rag/testing';
import { createApiServer, type ApiServer } from '../src';
import { copyFirstSampleImages, errorCodes, graphql, testBackend } from './helpers';

const sample = sampleDatasetOrSkip();
const SEARCH = `query($q: SimilarityQuery!) { searchSimilar(query: $q) { score crop { id } } }`;

describe.skipIf(!sample)('the API under hostile input', () => {
  let servers: TestServers;
  let backend: Backend;
  let api: ApiServer;

  beforeAll(async () => {
    servers = await startTestServers();
    backend = await testBackend(servers);
    await ingestDataset(backend, { datasetDir: copyFirstSampleImages(sample!, 3), name: 'hostile' });
    api = await createApiServer(backend, { port: 0, host: '127.0.0.1', production: false });
  }, 240_000);

  afterAll(async () => {
    await api?.close();
    await backend?.close();
    await servers?.stop();
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
});
