import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestDataset } from '@defect-rag/ingestion';
import { listRuns } from '@defect-rag/runs';
import { sampleDatasetOrSkip } from '@defect-rag/testing';
import { errorCodes, graphql, startSmallApi, type SmallApi } from './helpers';

/*
 * What a new user's typos and stale links meet: unknown vocabulary and cursors are refused by name
 * instead of answering nothing, and RAG context gives image URLs an agent can open.
 */

const sample = sampleDatasetOrSkip();

const SEARCH = `query($q: SimilarityQuery!) { searchSimilar(query: $q) { crop { id } } }`;
const BROWSE = `query($filter: CropFilter, $after: String) {
  crops(filter: $filter, first: 2, after: $after) { pageInfo { endCursor } edges { node { id } } } }`;

describe.skipIf(!sample)('a new user’s mistakes, answered by name', () => {
  let small: SmallApi;

  beforeAll(async () => {
    small = await startSmallApi(sample!, 'first-run');
  }, 300_000);

  afterAll(async () => {
    await small?.stop();
  });

  it('refuses an unknown zone, area or damage type as BAD_USER_INPUT naming the known ones, in searches and browsing', async () => {
    const search = await graphql(small.api.url, SEARCH, {
      q: { text: 'dent', filter: { zones: ['sidee'], areas: ['dor'], damageTypes: ['dnt'] } },
    });
    expect(errorCodes(search)).toEqual(['BAD_USER_INPUT']);
    const message = search.errors![0]!.message;
    expect(message).toContain('zones: unknown zone "sidee" (known: front, rear, left_side, right_side, side, roof');
    expect(message).toContain('areas: unknown area "dor" (known: bumper,');
    expect(message).toContain('damageTypes: unknown damage type "dnt" (known: scratch,');

    const browse = await graphql(small.api.url, BROWSE, { filter: { zones: ['front', 'sidee'] } });
    expect(errorCodes(browse)).toEqual(['BAD_USER_INPUT']);
    expect(browse.errors![0]!.message).toMatch(/^zones: unknown zone "sidee" \(known: /);

    // Known values, `unknown` included (what unmatched labels are stored as), are answered.
    const known = await graphql(small.api.url, SEARCH, {
      q: { text: 'dent', filter: { zones: ['side', 'unknown'], areas: ['door'], damageTypes: ['dent', 'unknown'] } },
    });
    expect(known.errors).toBeUndefined();
  });

  it('refuses an `after` cursor that is not one of the list’s, malformed or unknown', async () => {
    const first = await graphql<{ crops: { pageInfo: { endCursor: string } } }>(small.api.url, BROWSE, {});
    expect(first.errors).toBeUndefined();
    const next = await graphql(small.api.url, BROWSE, { after: first.data!.crops.pageInfo.endCursor });
    expect(next.errors).toBeUndefined();

    for (const after of ['nope', 'cdd_99_cluster_0123456789']) {
      const answer = await graphql(small.api.url, BROWSE, { after });
      expect(errorCodes(answer), after).toEqual(['BAD_USER_INPUT']);
      expect(answer.errors![0]!.message).toBe('after: not a cursor of this list');
    }
    for (const list of ['datasets', 'runs']) {
      const answer = await graphql(small.api.url, `{ ${list}(first: 1, after: "${randomUUID()}") { totalCount } }`);
      expect(errorCodes(answer), list).toEqual(['BAD_USER_INPUT']);
      expect(answer.errors![0]!.message).toBe('after: not a cursor of this list');
    }
  });

  it('refuses to ingest a folder that does not exist before registering anything', async () => {
    const runsBefore = (await listRuns(small.backend, {}, { first: 1 })).totalCount;
    await expect(ingestDataset(small.backend, { datasetDir: '/typo/path' })).rejects.toMatchObject({
      code: 'DATASET_NOT_FOUND',
      message: 'dataset folder not found: /typo/path',
    });
    expect(await small.backend.db.datasets.findByName('path')).toBeNull();
    expect((await listRuns(small.backend, {}, { first: 1 })).totalCount).toBe(runsBefore);
  });

  it('gives RAG context image URLs an agent can open: absolute, on the address served', async () => {
    const { data, errors } = await graphql<{ ragContext: { context: string; items: { crop: { id: string } }[] } }>(
      small.api.url,
      `
        {
          ragContext(query: { text: "dent", limit: 2 }, format: TEXT) {
            context
            items {
              crop {
                id
              }
            }
          }
        }
      `,
    );
    expect(errors).toBeUndefined();
    const urls = [...data!.ragContext.context.matchAll(/image: (\S+?)[;)\s]/g)].map(([, url]) => url!);
    expect(urls).toEqual(data!.ragContext.items.map(({ crop }) => `${small.api.url}/crops/${crop.id}`));
    const image = await fetch(urls[0]!);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toMatch(/^image\//);
  });
});
