import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestDataset, type IngestionSummary } from '@defect-rag/ingestion';
import { type Backend } from '@defect-rag/runs';
import { sampleDatasetOrSkip, startTestServers, type TestServers } from '@defect-rag/testing';
import { createApiServer, MAX_QUERY_COST, type ApiServer } from '../src';
import { errorCodes, graphql, graphqlUpload, testBackend } from './helpers';

const sample = sampleDatasetOrSkip();
const MAX_UPLOAD_BYTES = 1_000_000;

const CROP_FIELDS = `id hasDamage vehicleZone area damageTypes textDescription sourceImage imageUrl datasetId split imageId strategy modelId
  box { x y width height } defects { label type visibleFraction box { x y width height } } gridPosition { row column }`;
const SEARCH = `query Search($query: SimilarityQuery!) { searchSimilar(query: $query) { score crop { ${CROP_FIELDS} } } }`;

interface CropResult {
  id: string;
  hasDamage: boolean;
  vehicleZone: string;
  area: string;
  damageTypes: string[];
  imageUrl: string;
  datasetId: string;
  textDescription: string;
  sourceImage: string;
}
type SearchData = { searchSimilar: { score: number; crop: CropResult }[] };

/** A stand-in for apps/explorer/dist, so these tests do not depend on the page being built. */
function builtExplorer(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'explorer-dist-'));
  mkdirSync(path.join(dir, 'assets'));
  writeFileSync(
    path.join(dir, 'index.html'),
    '<!doctype html><div id="app"></div><script type="module" src="./assets/index-abc123.js"></script>',
  );
  writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log("explorer");');
  return dir;
}

describe.skipIf(!sample)('the GraphQL API over HTTP, on the shared sample ingested with the tiny model', () => {
  let servers: TestServers;
  let backend: Backend;
  let api: ApiServer;
  let ingestion: IngestionSummary;
  /** The zone with the most damaged crops, and a damaged crop in it. */
  let zone: string;
  let damagedCrop: CropResult;
  let explorerDir: string | undefined;

  beforeAll(async () => {
    servers = await startTestServers();
    backend = await testBackend(servers, { DEFECT_RAG_MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) });
    ingestion = await ingestDataset(backend, { datasetDir: sample!, name: 'sample' });
    explorerDir = builtExplorer();
    api = await createApiServer(backend, { port: 0, host: '127.0.0.1', explorerDir });
    const stats = await graphql<{
      indexStats: { byZone: { value: string; count: number }[] };
      taxonomy: { zones: { id: string; children: string[] }[] };
    }>(
      api.url,
      `
        query ($datasetId: ID) {
          indexStats(datasetId: $datasetId) {
            byZone {
              value
              count
            }
          }
          taxonomy {
            zones {
              id
              children
            }
          }
        }
      `,
      { datasetId: ingestion.datasetId },
    );
    // A zone without children, so that every crop a filter on it finds has exactly that zone.
    const parents = new Set(
      stats.data!.taxonomy.zones.filter((entry) => entry.children.length > 0).map(({ id }) => id),
    );
    zone = stats.data!.indexStats.byZone.find(({ value }) => !parents.has(value))!.value;
    const found = await graphql<SearchData>(api.url, SEARCH, {
      query: { text: 'dent', filter: { hasDamage: true, zones: [zone] }, limit: 1 },
    });
    damagedCrop = found.data!.searchSimilar[0]!.crop;
  }, 240_000);

  afterAll(async () => {
    await api?.close();
    await backend?.close();
    await servers?.stop();
    if (explorerDir) rmSync(explorerDir, { recursive: true });
  });

  describe('searchSimilar', () => {
    it('by text, within a damage and zone filter: every item satisfies it', async () => {
      const response = await graphql<SearchData>(api.url, SEARCH, {
        query: {
          text: 'deep scratch on the front bumper',
          mode: 'TEXT',
          filter: { hasDamage: true, zones: [zone] },
          limit: 20,
        },
      });
      expect(response.errors).toBeUndefined();
      const items = response.data!.searchSimilar;
      expect(items.length).toBeGreaterThan(0);
      for (const { crop } of items) {
        expect(crop.hasDamage).toBe(true);
        expect(crop.vehicleZone).toBe(zone);
        expect(crop.damageTypes.length).toBeGreaterThan(0);
      }
      const scores = items.map((item) => item.score);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
    });

    it('by crop id, within a clean-crops and dataset filter: never the crop itself, every item clean', async () => {
      const response = await graphql<SearchData>(api.url, SEARCH, {
        query: { cropId: damagedCrop.id, filter: { hasDamage: false, datasetId: ingestion.datasetId }, limit: 15 },
      });
      expect(response.errors).toBeUndefined();
      const items = response.data!.searchSimilar;
      expect(items).toHaveLength(15);
      for (const { crop } of items) {
        expect(crop.id).not.toBe(damagedCrop.id);
        expect(crop.hasDamage).toBe(false);
        expect(crop.damageTypes).toEqual([]);
        expect(crop.datasetId).toBe(ingestion.datasetId);
      }
    });

    it('by an uploaded image (GraphQL multipart), within a damage type and area filter', async () => {
      const jpeg = Buffer.from(await (await fetch(`${api.url}${damagedCrop.imageUrl}`)).arrayBuffer());
      const response = await graphqlUpload<SearchData>(
        api.url,
        SEARCH,
        {
          query: {
            image: null,
            mode: 'IMAGE',
            filter: { damageTypes: damagedCrop.damageTypes, areas: [damagedCrop.area] },
            limit: 10,
          },
        },
        'variables.query.image',
        jpeg,
      );
      expect(response.errors).toBeUndefined();
      const items = response.data!.searchSimilar;
      expect(items.length).toBeGreaterThan(0);
      for (const { crop } of items) {
        expect(crop.area).toBe(damagedCrop.area);
        expect(crop.damageTypes.some((type) => damagedCrop.damageTypes.includes(type))).toBe(true);
      }
      // The stored crop itself is among the results, as the closest: the upload went through the same embedding path.
      expect(items[0]!.crop.id).toBe(damagedCrop.id);
      expect(items[0]!.score).toBeGreaterThan(0.99);
    });

    it('respects minScore', async () => {
      const response = await graphql<SearchData>(api.url, SEARCH, {
        query: { cropId: damagedCrop.id, minScore: 0.9, limit: 100 },
      });
      for (const { score } of response.data!.searchSimilar) expect(score).toBeGreaterThanOrEqual(0.9);
    });
  });

  it('ragContext cites exactly the returned crops, in order, and says the weights are random', async () => {
    const response = await graphql<{
      ragContext: { context: string; items: { score: number; crop: { id: string } }[] };
    }>(
      api.url,
      `
        query ($query: SimilarityQuery!) {
          ragContext(query: $query, format: MARKDOWN) {
            context
            items {
              score
              crop {
                id
              }
            }
          }
        }
      `,
      { query: { text: 'dent on the door', filter: { hasDamage: true }, limit: 7 } },
    );
    expect(response.errors).toBeUndefined();
    const { context, items } = response.data!.ragContext;
    expect(items).toHaveLength(7);
    const cited = [...context.matchAll(/\[crop:([^\]]+)\]/g)].map((match) => match[1]).filter((id) => id !== '<id>');
    expect(cited).toEqual(items.map((item) => item.crop.id));
    expect(context).toContain('random test weights');
  });

  it('crop(id) returns the stored crop, whose imageUrl serves its JPEG', async () => {
    const response = await graphql<{ crop: CropResult }>(
      api.url,
      `query($id: ID!) { crop(id: $id) { ${CROP_FIELDS} } }`,
      { id: damagedCrop.id },
    );
    expect(response.data!.crop).toMatchObject({
      id: damagedCrop.id,
      imageUrl: `/crops/${damagedCrop.id}`,
      textDescription: damagedCrop.textDescription,
    });

    const image = await fetch(`${api.url}${response.data!.crop.imageUrl}`);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/jpeg');
    const bytes = Buffer.from(await image.arrayBuffer());
    expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect(await sharp(bytes).metadata()).toMatchObject({ format: 'jpeg', width: 336, height: 336 });
  });

  it('GET /crops/:id answers 404 with a JSON error for an unknown crop', async () => {
    const response = await fetch(`${api.url}/crops/no-such-crop`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({
      errors: [{ extensions: { code: 'NOT_FOUND', reason: 'CROP_NOT_FOUND' } }],
    });
  });

  it('GET /healthz reports PostgreSQL, Qdrant and the model', async () => {
    const response = await fetch(`${api.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      ok: true,
      postgres: { ok: true },
      qdrant: { ok: true, detail: expect.stringMatching(/^version /) },
      model: { ok: true, detail: expect.stringContaining('defect-rag/tiny-clip') },
    });
  });

  it('GET /crops/:id/source is the photo the crop was cut from; 404 for an unknown crop', async () => {
    const response = await fetch(`${api.url}/crops/${damagedCrop.id}/source`);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(
      readFileSync(path.join(sample!, damagedCrop.sourceImage)),
    );
    const unknown = await fetch(`${api.url}/crops/no-such-crop/source`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({
      errors: [{ extensions: { code: 'NOT_FOUND', reason: 'CROP_NOT_FOUND' } }],
    });
  });

  it('GET / serves the built explorer, its content-hashed assets cached for good', async () => {
    const page = await fetch(api.url);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(await page.text()).toContain('<div id="app">');
    const asset = await fetch(`${api.url}/assets/index-abc123.js`);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await asset.text()).toBe('console.log("explorer");');
    // The API's own routes stay in front of it.
    expect((await fetch(`${api.url}/healthz`)).headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('GET / is a local landing page, not a CDN one, while the explorer is not built', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'no-explorer-'));
    const unbuilt = await createApiServer(backend, { port: 0, host: '127.0.0.1', explorerDir: empty });
    try {
      const page = await (await fetch(unbuilt.url)).text();
      expect(page).toContain('/graphql');
      expect(page).toContain('npm run -w @defect-rag/explorer build');
      expect(page).not.toMatch(/https?:\/\//);
    } finally {
      await unbuilt.close();
      rmSync(empty, { recursive: true });
    }
  });

  it('indexStats, taxonomy and datasets describe what was ingested', async () => {
    const response = await graphql<{
      indexStats: { points: number; damaged: number; clean: number; byZone: { value: string; count: number }[] };
      taxonomy: { zones: { id: string; parent: string | null }[]; damageTypes: { id: string; critical: boolean }[] };
      datasets: { totalCount: number; edges: { node: { id: string; name: string; cropCount: number } }[] };
    }>(
      api.url,
      `
        query ($datasetId: ID) {
          indexStats(datasetId: $datasetId) {
            points
            damaged
            clean
            byZone {
              value
              count
            }
          }
          taxonomy(datasetId: $datasetId) {
            zones {
              id
              parent
            }
            damageTypes {
              id
              critical
            }
          }
          datasets {
            totalCount
            edges {
              node {
                id
                name
                cropCount
              }
            }
          }
        }
      `,
      { datasetId: ingestion.datasetId },
    );
    expect(response.errors).toBeUndefined();
    const { indexStats, taxonomy, datasets } = response.data!;
    expect(indexStats.points).toBe(ingestion.crops.total);
    expect(indexStats.damaged + indexStats.clean).toBe(indexStats.points);
    // Child zones are counted in their parents too: the top-level zones add up to every point.
    const topLevel = new Set(taxonomy.zones.filter((entry) => entry.parent === null).map((entry) => entry.id));
    expect(
      indexStats.byZone.filter(({ value }) => topLevel.has(value)).reduce((sum, { count }) => sum + count, 0),
    ).toBe(indexStats.points);
    const zoneIds = taxonomy.zones.map((entry) => entry.id);
    for (const { value } of indexStats.byZone) expect(zoneIds).toContain(value);
    expect(datasets.edges.map((edge) => edge.node)).toContainEqual({
      id: ingestion.datasetId,
      name: 'sample',
      cropCount: ingestion.crops.total,
    });
  });

  it('zones form a hierarchy: a filter on `side` finds left and right side crops too, and counts roll up', async () => {
    const response = await graphql<{
      taxonomy: { zones: { id: string; name: string; parent: string | null; children: string[] }[] };
      indexStats: { byZone: { value: string; count: number }[] };
      searchSimilar: { crop: { id: string; vehicleZone: string } }[];
    }>(
      api.url,
      `
        query ($datasetId: ID, $query: SimilarityQuery!) {
          taxonomy(datasetId: $datasetId) {
            zones {
              id
              name
              parent
              children
            }
          }
          indexStats(datasetId: $datasetId) {
            byZone {
              value
              count
            }
          }
          searchSimilar(query: $query) {
            crop {
              id
              vehicleZone
            }
          }
        }
      `,
      {
        datasetId: ingestion.datasetId,
        query: { text: 'dent on a door', filter: { zones: ['side'], datasetId: ingestion.datasetId }, limit: 100 },
      },
    );
    expect(response.errors).toBeUndefined();
    const { taxonomy, indexStats, searchSimilar } = response.data!;
    expect(taxonomy.zones).toContainEqual({
      id: 'side',
      name: 'side',
      parent: null,
      children: ['left_side', 'right_side'],
    });
    expect(taxonomy.zones).toContainEqual({ id: 'left_side', name: 'left side', parent: 'side', children: [] });

    const found = new Map<string, number>();
    for (const { crop } of searchSimilar) found.set(crop.vehicleZone, (found.get(crop.vehicleZone) ?? 0) + 1);
    const count = (zone: string) => indexStats.byZone.find(({ value }) => value === zone)?.count ?? 0;
    // The sample has crops in all three; the filter on the parent finds every one of them.
    expect([...found.keys()].sort()).toEqual(['left_side', 'right_side', 'side']);
    expect(found.get('left_side')).toBe(count('left_side'));
    expect(found.get('right_side')).toBe(count('right_side'));
    expect(count('side')).toBe(searchSimilar.length);
    expect(count('side')).toBe(found.get('side')! + count('left_side') + count('right_side'));
  });

  it('model names the tiny test model, its random weights and its collection', async () => {
    const response = await graphql<{
      model: {
        id: string;
        contentHash: string;
        dimension: number;
        precision: string;
        randomWeights: boolean;
        collection: string;
      };
    }>(api.url, '{ model { id contentHash dimension precision randomWeights collection } }');
    expect(response.errors).toBeUndefined();
    expect(response.data!.model).toEqual({
      id: 'defect-rag/tiny-clip',
      contentHash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      dimension: (await backend.embedder()).dimension,
      precision: 'fp32',
      randomWeights: true,
      collection: ingestion.collection,
    });
  });

  describe('errors carry extensions.code', () => {
    it('BAD_USER_INPUT: nothing to look for; limit out of range; a malformed id; a variable of the wrong type', async () => {
      const none = await graphql(api.url, SEARCH, { query: { cropId: null } });
      expect(errorCodes(none)).toEqual(['BAD_USER_INPUT']);
      expect(none.errors![0]!.message).toContain('give at least one of cropId, positiveCropIds, image or text');

      const tooMany = await graphql(api.url, SEARCH, { query: { text: 'dent', limit: 1000 } });
      expect(errorCodes(tooMany)).toEqual(['BAD_USER_INPUT']);
      expect(tooMany.errors![0]!.message).toContain('limit');

      const tooLong = await graphql(api.url, SEARCH, { query: { text: 'x'.repeat(5000) } });
      expect(errorCodes(tooLong)).toEqual(['BAD_USER_INPUT']);

      const badId = await graphql(
        api.url,
        `
          {
            run(id: "42") {
              id
            }
          }
        `,
      );
      expect(errorCodes(badId)).toEqual(['BAD_USER_INPUT']);
      expect(badId.errors![0]!.message).toContain('not a valid run id');

      const badPage = await graphql(
        api.url,
        `
          {
            runs(first: 0) {
              totalCount
            }
          }
        `,
      );
      expect(errorCodes(badPage)).toEqual(['BAD_USER_INPUT']);

      const wrongType = await graphql(api.url, SEARCH, { query: { text: 'dent', limit: 'ten' } });
      expect(wrongType.status).toBe(400);
      expect(errorCodes(wrongType)).toEqual(['BAD_USER_INPUT']);
    });

    it('NOT_FOUND: an unknown crop, dataset or run', async () => {
      const crop = await graphql(
        api.url,
        `
          {
            crop(id: "no-such-crop") {
              id
            }
          }
        `,
      );
      expect(crop.errors![0]!.extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'CROP_NOT_FOUND' });
      expect(crop.data).toEqual({ crop: null });

      const byCrop = await graphql(api.url, SEARCH, { query: { cropId: 'no-such-crop' } });
      expect(byCrop.errors![0]!.extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'CROP_NOT_FOUND' });

      const unknown = '00000000-0000-4000-8000-000000000000';
      const dataset = await graphql(
        api.url,
        `
          query ($id: ID!) {
            dataset(id: $id) {
              id
            }
          }
        `,
        { id: unknown },
      );
      expect(dataset.errors![0]!.extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'DATASET_NOT_FOUND' });
      const run = await graphql(
        api.url,
        `
          query ($id: ID!) {
            run(id: $id) {
              id
            }
          }
        `,
        { id: unknown },
      );
      expect(run.errors![0]!.extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'RUN_NOT_FOUND' });
    });

    it('PAYLOAD_TOO_LARGE: an upload over DEFECT_RAG_MAX_UPLOAD_BYTES, or a JSON body over 1 MB', async () => {
      const big = await sharp({
        create: {
          width: 1200,
          height: 1200,
          channels: 3,
          background: '#000',
          noise: { type: 'gaussian', mean: 128, sigma: 60 },
        },
      })
        .jpeg({ quality: 100 })
        .toBuffer();
      expect(big.length).toBeGreaterThan(MAX_UPLOAD_BYTES);
      const upload = await graphqlUpload(api.url, SEARCH, { query: { image: null } }, 'variables.query.image', big);
      expect(upload.errors![0]!.extensions).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', reason: 'PAYLOAD_TOO_LARGE' });

      const body = await graphql(api.url, SEARCH, { query: { text: 'dent' }, padding: 'x'.repeat(1_200_000) });
      expect(body.status).toBe(413);
      expect(errorCodes(body)).toEqual(['PAYLOAD_TOO_LARGE']);
    });

    it('a JSON body that is not JSON is BAD_USER_INPUT; a charset in the content type, a GET and a text/plain POST get Apollo’s answers', async () => {
      const post = (body: string, contentType: string) =>
        fetch(`${api.url}/graphql`, { method: 'POST', headers: { 'content-type': contentType }, body });
      const broken = await post('{"query": "{ __typename }"', 'application/json');
      expect(broken.status).toBe(400);
      expect(await broken.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_USER_INPUT' } }] });

      const withCharset = await post(JSON.stringify({ query: '{ __typename }' }), 'application/json; charset=utf-8');
      expect(await withCharset.json()).toEqual({ data: { __typename: 'Query' } });

      const get = await fetch(`${api.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, {
        headers: { 'apollo-require-preflight': 'true' },
      });
      expect(await get.json()).toEqual({ data: { __typename: 'Query' } });

      // A "simple" request a browser would send cross-site without asking: Apollo's CSRF prevention refuses it.
      const plain = await post(JSON.stringify({ query: '{ __typename }' }), 'text/plain');
      expect(plain.status).toBe(400);
      expect(await plain.text()).toContain('Cross-Site Request Forgery');
    });

    it('BAD_USER_INPUT for a corrupt upload, and BAD_REQUEST for a multipart request without the CSRF preflight header', async () => {
      const corrupt = await graphqlUpload(
        api.url,
        SEARCH,
        { query: { image: null } },
        'variables.query.image',
        Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46]),
      );
      expect(corrupt.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'IMAGE_DECODE_FAILED' });

      const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } })
        .jpeg()
        .toBuffer();
      const csrf = await graphqlUpload(api.url, SEARCH, { query: { image: null } }, 'variables.query.image', jpeg, {});
      expect(csrf.status).toBe(400);
      expect(errorCodes(csrf)).toEqual(['BAD_REQUEST']);
      expect(csrf.errors![0]!.message).toContain('apollo-require-preflight');
    });

    // The depth limit is tested in limits.test.ts: this schema has no cycles, so no valid query here is too deep.
    it('QUERY_TOO_COMPLEX: a query costlier than the limit, refused before it runs', async () => {
      const costly = await graphql(
        api.url,
        `
          {
            runs(first: 100) {
              edges {
                node {
                  id
                  problems(first: 100) {
                    edges {
                      node {
                        message
                      }
                    }
                  }
                }
              }
            }
          }
        `,
      );
      expect(costly.status).toBe(400);
      expect(errorCodes(costly)).toEqual(['QUERY_TOO_COMPLEX']);
      expect(costly.errors![0]!.message).toContain(`costs more than ${MAX_QUERY_COST}`);
      expect(costly.data).toBeUndefined();
    });
  });

  describe('with API keys set (DEFECT_RAG_API_KEYS)', () => {
    let keyed: { backend: Backend; api: ApiServer };
    let readsNeedKey: { backend: Backend; api: ApiServer };

    beforeAll(async () => {
      const open = async (env: Record<string, string>) => {
        const server = await testBackend(servers, env);
        return { backend: server, api: await createApiServer(server, { port: 0, host: '127.0.0.1' }) };
      };
      // The same data dir: the crop files are there.
      const dataDir = backend.config.dataDir;
      keyed = await open({
        DEFECT_RAG_DATA_DIR: dataDir,
        DEFECT_RAG_API_KEYS: 'key-one,key-two',
        DEFECT_RAG_DATASET_ROOTS: path.dirname(sample!),
        DEFECT_RAG_API_PUBLIC_URL: 'https://defects.example.com/',
      });
      readsNeedKey = await open({
        DEFECT_RAG_DATA_DIR: dataDir,
        DEFECT_RAG_API_KEYS: 'key-one',
        DEFECT_RAG_API_READS_REQUIRE_KEY: 'true',
      });
    });

    afterAll(async () => {
      for (const server of [keyed, readsNeedKey]) {
        await server?.api.close();
        await server?.backend.close();
      }
    });

    const register = `mutation($path: String!) { registerDataset(path: $path, name: "keyed") { name } }`;

    it('mutations need a key (UNAUTHENTICATED, 401 otherwise); queries do not', async () => {
      const variables = { path: sample! };
      const without = await graphql(keyed.api.url, register, variables);
      expect(without.status).toBe(401);
      expect(errorCodes(without)).toEqual(['UNAUTHENTICATED']);
      const wrong = await graphql(keyed.api.url, register, variables, { 'x-api-key': 'key-three' });
      expect(errorCodes(wrong)).toEqual(['UNAUTHENTICATED']);

      expect((await graphql(keyed.api.url, register, variables, { 'x-api-key': 'key-two' })).data).toEqual({
        registerDataset: { name: 'keyed' },
      });
      expect(
        (await graphql(keyed.api.url, register, variables, { authorization: 'Bearer key-one' })).errors,
      ).toBeUndefined();
      const search = await graphql<SearchData>(keyed.api.url, SEARCH, { query: { cropId: damagedCrop.id, limit: 1 } });
      expect(search.errors).toBeUndefined();
      // With DEFECT_RAG_API_PUBLIC_URL set, image URLs are absolute.
      const [item] = search.data!.searchSimilar;
      expect(item!.crop.imageUrl).toBe(`https://defects.example.com/crops/${item!.crop.id}`);
    });

    it('with DEFECT_RAG_API_READS_REQUIRE_KEY=true, queries and crop images need one too', async () => {
      const query = await graphql(readsNeedKey.api.url, SEARCH, { query: { text: 'dent', limit: 1 } });
      expect(query.status).toBe(401);
      expect(errorCodes(query)).toEqual(['UNAUTHENTICATED']);
      expect(
        (await graphql(readsNeedKey.api.url, SEARCH, { query: { text: 'dent', limit: 1 } }, { 'x-api-key': 'key-one' }))
          .errors,
      ).toBeUndefined();

      expect((await fetch(`${readsNeedKey.api.url}/crops/${damagedCrop.id}`)).status).toBe(401);
      expect(
        (await fetch(`${readsNeedKey.api.url}/crops/${damagedCrop.id}`, { headers: { 'x-api-key': 'key-one' } }))
          .status,
      ).toBe(200);
      expect((await fetch(`${readsNeedKey.api.url}/crops/${damagedCrop.id}/source`)).status).toBe(401);
      const report = `${readsNeedKey.api.url}/runs/00000000-0000-4000-8000-000000000000/report/evaluation.md`;
      expect((await fetch(report)).status).toBe(401);
      // With a key, the route is reached: this run does not exist.
      expect((await fetch(report, { headers: { 'x-api-key': 'key-one' } })).status).toBe(404);
      expect((await fetch(`${readsNeedKey.api.url}/healthz`)).status).toBe(200);
    });
  });

  describe('when the model cannot be loaded', () => {
    let broken: { backend: Backend; api: ApiServer };

    beforeAll(async () => {
      const backend = await testBackend(servers, {
        DEFECT_RAG_MODEL_DIR: path.join(mkdtempSync(path.join(tmpdir(), 'no-model-')), 'missing'),
      });
      broken = { backend, api: await createApiServer(backend, { port: 0, host: '127.0.0.1', production: true }) };
    });

    afterAll(async () => {
      await broken?.api.close();
      await broken?.backend.close();
    });

    it('searches fail with UNAVAILABLE and a message that says why', async () => {
      const response = await graphql(broken.api.url, SEARCH, { query: { text: 'dent' } });
      expect(response.errors![0]!.extensions).toEqual({ code: 'UNAVAILABLE', reason: 'MODEL_NOT_FOUND' });
      expect(response.errors![0]!.message).toMatch(/model/i);
    });

    it('/healthz answers 503 naming the model, with PostgreSQL and Qdrant ok', async () => {
      const response = await fetch(`${broken.api.url}/healthz`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({
        ok: false,
        postgres: { ok: true, detail: 'answers' },
        qdrant: { ok: true, detail: expect.stringMatching(/^version /) },
        // In production a failure gives its code only.
        model: { ok: false, code: 'MODEL_NOT_FOUND', detail: 'MODEL_NOT_FOUND' },
      });
    });

    it('in production, no stack traces, no schema suggestions and no introspection', async () => {
      const response = await graphql(
        broken.api.url,
        `
          {
            searchSimilr(query: { text: "dent" }) {
              score
            }
          }
        `,
      );
      expect(errorCodes(response)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(JSON.stringify(response)).not.toContain('Did you mean');
      expect(JSON.stringify(response)).not.toContain('stacktrace');
      const introspection = await graphql(
        broken.api.url,
        `
          {
            __schema {
              types {
                name
              }
            }
          }
        `,
      );
      expect(introspection.errors).toBeDefined();
    });
  });
});
