import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestDataset } from '@defect-rag/ingestion';
import { type Backend } from '@defect-rag/runs';
import { workspaceRoot } from '@defect-rag/runtime';
import { sampleDatasetOrSkip, startTestServers, type TestServers } from '@defect-rag/testing';
import { createApiServer, type ApiServer } from '../src';
import {
  copyFirstSampleImages,
  errorCodes,
  graphql,
  graphqlUpload,
  testBackend,
  type GraphQLResponse,
} from './helpers';

const sample = sampleDatasetOrSkip();

const CROP_FIELDS = `id hasDamage vehicleZone area damageTypes photoId imageId sourceImage sourceImageUrl imageUrl strategy
  box { x y width height } defects { type polygon critical }`;
const SEARCH = `query Search($query: SimilarityQuery!) { searchSimilar(query: $query) { score crop { ${CROP_FIELDS} } } }`;
const RAG = `query Rag($query: SimilarityQuery!, $n: Int!, $max: Int) {
  ragContext(query: $query, normalReferences: $n, maxCharacters: $max) { context items { role score crop { ${CROP_FIELDS} } } }
}`;
const CROPS = `query Crops($filter: CropFilter, $first: Int!, $after: String) {
  crops(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${CROP_FIELDS} } }
  }
}`;

interface CropResult {
  id: string;
  hasDamage: boolean;
  vehicleZone: string;
  area: string;
  damageTypes: string[];
  photoId: string;
  imageId: string;
  sourceImage: string;
  sourceImageUrl: string;
  imageUrl: string;
  strategy: string;
  box: { x: number; y: number; width: number; height: number };
  defects: { type: string; polygon: number[][]; critical: boolean }[];
}
type Hit = { score: number; crop: CropResult };
type SearchData = { searchSimilar: Hit[] };
type RagData = { ragContext: { context: string; items: (Hit & { role: string })[] } };
type CropsData = {
  crops: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: { cursor: string; node: CropResult }[];
  };
};

describe.skipIf(!sample)('searches of issue 19, over HTTP on the shared sample ingested with the tiny model', () => {
  let servers: TestServers;
  let backend: Backend;
  let api: ApiServer;
  let datasetId: string;
  /** A damaged cluster crop: its window is a full 336-px box of its photo. */
  let crop: CropResult;
  let photo: Buffer;

  const search = async (query: Record<string, unknown>): Promise<Hit[]> => {
    const response = await graphql<SearchData>(api.url, SEARCH, {
      query: { ...query, filter: { datasetId, ...(query.filter as object) } },
    });
    expect(response.errors).toBeUndefined();
    return response.data!.searchSimilar;
  };
  const upload = async (query: Record<string, unknown>, file: Buffer): Promise<GraphQLResponse<SearchData>> =>
    graphqlUpload<SearchData>(
      api.url,
      SEARCH,
      { query: { image: null, ...query, filter: { datasetId } } },
      'variables.query.image',
      file,
    );
  const ids = (hits: Hit[]) => hits.map((hit) => hit.crop.id);

  beforeAll(async () => {
    servers = await startTestServers();
    backend = await testBackend(servers);
    ({ datasetId } = await ingestDataset(backend, { datasetDir: sample!, name: 'sample' }));
    api = await createApiServer(backend, { port: 0, host: '127.0.0.1', production: false });
    const page = await graphql<CropsData>(api.url, CROPS, { filter: { datasetId, hasDamage: true }, first: 100 });
    crop = page.data!.crops.edges.map((edge) => edge.node).find((node) => node.strategy === 'cluster')!;
    photo = Buffer.from(await (await fetch(`${api.url}${crop.sourceImageUrl}`)).arrayBuffer());
  }, 300_000);

  afterAll(async () => {
    await api?.close();
    await backend?.close();
    await servers?.stop();
  });

  describe('hybrid query: image and text fused like the index, with a query-time alpha', () => {
    let jpeg: Buffer;
    const hybrid = async (query: Record<string, unknown>) => {
      const response = await upload({ text: 'scratch on the door', mode: 'FUSED', limit: 10, ...query }, jpeg);
      expect(response.errors).toBeUndefined();
      return response.data!.searchSimilar;
    };
    const expectSameRanking = (a: Hit[], b: Hit[]) => {
      expect(ids(a)).toEqual(ids(b));
      a.forEach((hit, i) => expect(hit.score).toBeCloseTo(b[i]!.score, 4));
    };

    beforeAll(async () => {
      jpeg = Buffer.from(await (await fetch(`${api.url}${crop.imageUrl}`)).arrayBuffer());
    });

    it('alpha 1 is the image query, alpha 0 the text query', async () => {
      const image = await upload({ mode: 'FUSED', limit: 10 }, jpeg);
      expectSameRanking(await hybrid({ alpha: 1 }), image.data!.searchSimilar);
      expectSameRanking(
        await hybrid({ alpha: 0 }),
        await search({ text: 'scratch on the door', mode: 'FUSED', limit: 10 }),
      );
    });

    it("without alpha, the index's fusion (the default average: 0.5), which differs from either side", async () => {
      const byDefault = await hybrid({});
      expectSameRanking(byDefault, await hybrid({ alpha: 0.5 }));
      expect(byDefault.map((hit) => hit.score)).not.toEqual((await hybrid({ alpha: 1 })).map((hit) => hit.score));
    });

    it('alpha without both image and text, or out of [0, 1], is BAD_USER_INPUT naming alpha', async () => {
      for (const query of [
        { text: 'dent', alpha: 0.3 },
        { cropId: crop.id, alpha: 0.3 },
      ]) {
        const response = await graphql(api.url, SEARCH, { query });
        expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
        expect(response.errors![0]!.message).toMatch(/alpha/);
      }
      const outOfRange = await upload({ text: 'dent', alpha: 1.5 }, jpeg);
      expect(errorCodes(outOfRange)).toEqual(['BAD_USER_INPUT']);
      expect(outOfRange.errors![0]!.message).toMatch(/alpha must lie in \[0, 1\]/);
    });
  });

  describe('a region of an uploaded photo, cut the way phase 1 cuts', () => {
    it('a box that is a stored crop’s window finds that crop first, scored as the same picture', async () => {
      const response = await upload({ region: { box: crop.box }, mode: 'IMAGE', limit: 3 }, photo);
      expect(response.errors).toBeUndefined();
      const [first] = response.data!.searchSimilar;
      expect(first!.crop.id).toBe(crop.id);
      // The stored crop is a JPEG of the same pixels; the query crop is cut losslessly.
      expect(first!.score).toBeGreaterThan(0.99);
      // The whole photo squeezed into one model input is a different picture.
      const whole = await upload({ mode: 'IMAGE', limit: 3 }, photo);
      expect(whole.data!.searchSimilar[0]!.score).toBeLessThan(first!.score);
    });

    it('a polygon region is cut around its bounding box: the same window, the same crop first', async () => {
      const { x, y, width, height } = crop.box;
      const polygon = [
        { x, y },
        { x: x + width, y },
        { x: x + width, y: y + height },
        { x, y: y + height },
      ];
      const response = await upload({ region: { polygon }, mode: 'IMAGE', limit: 1 }, photo);
      expect(response.errors).toBeUndefined();
      expect(response.data!.searchSimilar[0]!.crop.id).toBe(crop.id);
    });

    it('a region larger than the window is tiled and searched as one query', async () => {
      const response = await upload(
        { region: { box: { x: 0, y: 0, width: 1000, height: 700 } }, mode: 'IMAGE' },
        photo,
      );
      expect(response.errors).toBeUndefined();
      expect(response.data!.searchSimilar).toHaveLength(10);
    });

    it('a region outside the photo, with both box and polygon, or without an image is BAD_USER_INPUT naming it', async () => {
      const outside = await upload({ region: { box: { x: 5000, y: 5000, width: 10, height: 10 } } }, photo);
      expect(errorCodes(outside)).toEqual(['BAD_USER_INPUT']);
      expect(outside.errors![0]!.message).toMatch(/region: it lies outside the \d+×\d+ query image/);
      const both = await upload(
        {
          region: {
            box: crop.box,
            polygon: [
              { x: 0, y: 0 },
              { x: 9, y: 0 },
              { x: 9, y: 9 },
            ],
          },
        },
        photo,
      );
      expect(errorCodes(both)).toEqual(['BAD_USER_INPUT']);
      expect(both.errors![0]!.message).toMatch(/region\.box: give exactly one of box or polygon/);
      const noImage = await graphql(api.url, SEARCH, { query: { text: 'dent', region: { box: crop.box } } });
      expect(errorCodes(noImage)).toEqual(['BAD_USER_INPUT']);
      expect(noImage.errors![0]!.message).toMatch(/region needs image/);
    });
  });

  describe('one result per photo, excluded photos and paging', () => {
    it('onePerPhoto keeps the best crop of each photo, in the order of the ungrouped ranking', async () => {
      const all = await search({ cropId: crop.id, limit: 40 });
      const photos = all.map((hit) => hit.crop.photoId);
      expect(new Set(photos).size).toBeLessThan(photos.length); // some photos have several crops here
      const grouped = await search({ cropId: crop.id, limit: 10, onePerPhoto: true });
      expect(grouped).toHaveLength(10);
      expect(new Set(grouped.map((hit) => hit.crop.photoId)).size).toBe(10);
      const bestOfPhoto = new Map<string, string>();
      for (const hit of all) if (!bestOfPhoto.has(hit.crop.photoId)) bestOfPhoto.set(hit.crop.photoId, hit.crop.id);
      const expected = [...bestOfPhoto.values()].slice(0, 10);
      expect(ids(grouped).slice(0, expected.length)).toEqual(expected);
    });

    it('excludePhotoIds leaves out every crop of those photos and nothing else', async () => {
      const all = await search({ cropId: crop.id, limit: 30 });
      const excluded = [...new Set(all.slice(0, 3).map((hit) => hit.crop.photoId))];
      const rest = await search({ cropId: crop.id, limit: 30, excludePhotoIds: excluded });
      expect(rest.every((hit) => !excluded.includes(hit.crop.photoId))).toBe(true);
      const kept = ids(all).filter((_, i) => !excluded.includes(all[i]!.crop.photoId));
      expect(ids(rest).slice(0, kept.length)).toEqual(kept);
    });

    it('offset pages through the ranking, grouped or not; offset + limit beyond the cap is BAD_USER_INPUT', async () => {
      const first10 = await search({ cropId: crop.id, limit: 10 });
      expect(ids(await search({ cropId: crop.id, limit: 5, offset: 5 }))).toEqual(ids(first10).slice(5));
      const grouped6 = await search({ cropId: crop.id, limit: 6, onePerPhoto: true });
      expect(ids(await search({ cropId: crop.id, limit: 3, offset: 3, onePerPhoto: true }))).toEqual(
        ids(grouped6).slice(3),
      );
      const beyond = await graphql(api.url, SEARCH, { query: { cropId: crop.id, limit: 10, offset: 95 } });
      expect(errorCodes(beyond)).toEqual(['BAD_USER_INPUT']);
      expect(beyond.errors![0]!.message).toMatch(/offset \+ limit must be at most 100/);
    });
  });

  describe('relevance feedback', () => {
    const damaged = { hasDamage: true };

    it('several positives: none of them returned, a ranking of its own', async () => {
      const alone = await search({ cropId: crop.id, filter: damaged, limit: 20 });
      const other = alone[10]!.crop.id;
      const both = await search({ cropId: crop.id, positiveCropIds: [other], filter: damaged, limit: 20 });
      expect(ids(both)).not.toContain(crop.id);
      expect(ids(both)).not.toContain(other);
      expect(ids(both)).not.toEqual(ids(alone).filter((id) => id !== other));
    });

    it('a negative pushes its neighbours down: its nearest crop ranks no higher than without it', async () => {
      const alone = await search({ cropId: crop.id, filter: damaged, limit: 100 });
      const negative = alone[30]!.crop.id;
      const nearest = (await search({ cropId: negative, filter: damaged, limit: 2 })).find(
        (hit) => hit.crop.id !== crop.id,
      )!.crop.id;
      const fed = await search({ cropId: crop.id, negativeCropIds: [negative], filter: damaged, limit: 100 });
      expect(ids(fed)).not.toContain(negative);
      const rank = (hits: Hit[]) => ids(hits).indexOf(nearest);
      // Ranked by 2·a·c − b·c: every crop above the negative's nearest neighbour stays above it.
      expect(rank(fed) === -1 || rank(fed) >= rank(alone)).toBe(true);
      expect(rank(fed)).not.toBe(rank(alone));
    });

    it('an unknown crop is NOT_FOUND naming it; a crop both positive and negative, or negatives alone, BAD_USER_INPUT', async () => {
      const unknown = await graphql(api.url, SEARCH, {
        query: { cropId: crop.id, negativeCropIds: ['no-such-crop'] },
      });
      expect(errorCodes(unknown)).toEqual(['NOT_FOUND']);
      expect(unknown.errors![0]!.message).toContain('"no-such-crop"');
      const both = await graphql(api.url, SEARCH, { query: { cropId: crop.id, negativeCropIds: [crop.id] } });
      expect(errorCodes(both)).toEqual(['BAD_USER_INPUT']);
      expect(both.errors![0]!.message).toMatch(/both a positive .* and a negative/);
      const negativesOnly = await graphql(api.url, SEARCH, { query: { negativeCropIds: [crop.id] } });
      expect(errorCodes(negativesOnly)).toEqual(['BAD_USER_INPUT']);
      expect(negativesOnly.errors![0]!.message).toMatch(/at least one of cropId, positiveCropIds, image or text/);
    });
  });

  describe('browsing by filter alone, and the zone × damage type table', () => {
    it('crops(filter, first, after) pages through every matching crop once; totalCount agrees with indexStats', async () => {
      const seen: CropResult[] = [];
      let after: string | null = null;
      let totalCount = 0;
      do {
        const response: GraphQLResponse<CropsData> = await graphql<CropsData>(api.url, CROPS, {
          filter: { datasetId, hasDamage: true },
          first: 40,
          after,
        });
        expect(response.errors).toBeUndefined();
        const page = response.data!.crops;
        totalCount = page.totalCount;
        seen.push(...page.edges.map((edge) => edge.node));
        after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
        expect(page.edges.at(-1)?.cursor ?? null).toBe(page.pageInfo.endCursor);
      } while (after);
      const stats = await graphql<{ indexStats: { damaged: number } }>(
        api.url,
        `
          query ($id: ID) {
            indexStats(datasetId: $id) {
              damaged
            }
          }
        `,
        { id: datasetId },
      );
      expect(totalCount).toBe(stats.data!.indexStats.damaged);
      expect(seen).toHaveLength(totalCount);
      expect(new Set(seen.map((node) => node.id)).size).toBe(totalCount);
      expect(seen.every((node) => node.hasDamage)).toBe(true);
    });

    it('indexStats.zoneDamageTypes adds up to byDamageType, per zone of byZone', async () => {
      const response = await graphql<{
        indexStats: {
          byZone: { value: string }[];
          byDamageType: { value: string; count: number }[];
          zoneDamageTypes: { zone: string; damageType: string; count: number }[];
        };
      }>(
        api.url,
        `
          query ($id: ID) {
            indexStats(datasetId: $id) {
              byZone {
                value
              }
              byDamageType {
                value
                count
              }
              zoneDamageTypes {
                zone
                damageType
                count
              }
            }
          }
        `,
        { id: datasetId },
      );
      const { byZone, byDamageType, zoneDamageTypes } = response.data!.indexStats;
      expect(zoneDamageTypes.length).toBeGreaterThan(0);
      const zones = byZone.map((zone) => zone.value);
      for (const row of zoneDamageTypes) expect(zones).toContain(row.zone);
      for (const { value, count } of byDamageType) {
        const rows = zoneDamageTypes.filter((row) => row.damageType === value);
        expect(rows.reduce((sum, row) => sum + row.count, 0)).toBe(count);
      }
    });
  });

  describe('ragContext with normal references, image URLs and a character budget', () => {
    const rag = async (n: number, max?: number) =>
      graphql<RagData>(api.url, RAG, { query: { cropId: crop.id, filter: { datasetId }, limit: 5 }, n, max });

    it('adds clean crops of the zones and areas of the similar damaged ones, labelled, each with its image URL', async () => {
      const response = await rag(3);
      expect(response.errors).toBeUndefined();
      const { context, items } = response.data!.ragContext;
      const similar = items.filter((item) => item.role === 'SIMILAR');
      const references = items.filter((item) => item.role === 'NORMAL_REFERENCE');
      expect(similar).toHaveLength(5);
      expect(references.length).toBeGreaterThan(0);
      expect(references.length).toBeLessThanOrEqual(3);
      expect(items.slice(0, 5)).toEqual(similar);
      const pairs = similar
        .filter((item) => item.crop.hasDamage)
        .map((item) => `${item.crop.vehicleZone}/${item.crop.area}`);
      for (const { crop: reference } of references) {
        expect(reference.hasDamage).toBe(false);
        expect(pairs).toContain(`${reference.vehicleZone}/${reference.area}`);
      }
      expect(new Set(items.map((item) => item.crop.id)).size).toBe(items.length);
      const cited = [...context.matchAll(/crop:([A-Za-z0-9_-]+)/g)].map((match) => match[1]);
      expect(cited).toEqual(items.map((item) => item.crop.id));
      // Absolute: an agent reads the block outside any page.
      for (const item of items) expect(context).toContain(`image: ${api.url}${item.crop.imageUrl}`);
      expect(context).toContain('normal reference');
    });

    it('maxCharacters leaves items out from the end until the block fits; too small for the header is BAD_USER_INPUT', async () => {
      const full = (await rag(3)).data!.ragContext;
      const budget = full.context.length - 1;
      const cut = (await rag(3, budget)).data!.ragContext;
      expect(cut.context.length).toBeLessThanOrEqual(budget);
      expect(cut.items.length).toBeLessThan(full.items.length);
      expect(cut.items.map((item) => item.crop.id)).toEqual(
        full.items.slice(0, cut.items.length).map((item) => item.crop.id),
      );
      const tiny = await rag(0, 10);
      expect(errorCodes(tiny)).toEqual(['BAD_USER_INPUT']);
      expect(tiny.errors![0]!.message).toMatch(/maxCharacters 10 cannot hold/);
    });
  });

  describe('crop fields: the source photo URL, defect polygons and the critical flag', () => {
    it('sourceImageUrl serves the photo the crop was cut from; photoId is its photo', async () => {
      expect(crop.photoId).toBe(crop.imageId);
      expect(photo).toEqual(readFileSync(path.join(sample!, crop.sourceImage)));
    });

    it('each defect carries its visible polygon in crop pixels, and critical from the taxonomy (damage: not critical)', async () => {
      expect(crop.defects.length).toBeGreaterThan(0);
      for (const defect of crop.defects) {
        expect(defect.polygon.length).toBeGreaterThanOrEqual(3);
        for (const [x, y] of defect.polygon) {
          expect(x).toBeGreaterThanOrEqual(0);
          expect(x).toBeLessThanOrEqual(336);
          expect(y).toBeGreaterThanOrEqual(0);
          expect(y).toBeLessThanOrEqual(336);
        }
        expect(defect.critical).toBe(false);
      }
    });

    it('a dataset whose taxonomy marks its damage type critical gets critical defects', async () => {
      const dir = copyFirstSampleImages(sample!, 2);
      const taxonomy = readFileSync(path.join(workspaceRoot, 'libs/taxonomy/taxonomy.default.yaml'), 'utf8');
      const critical = taxonomy.replace(/(- id: damage\n(?:.*\n)*?\s+critical:) false/, '$1 true');
      expect(critical).not.toBe(taxonomy);
      writeFileSync(path.join(dir, 'taxonomy.yaml'), critical);
      const ingested = await ingestDataset(backend, { datasetDir: dir, name: 'critical' });
      const page = await graphql<CropsData>(api.url, CROPS, {
        filter: { datasetId: ingested.datasetId, hasDamage: true },
        first: 100,
      });
      const defects = page.data!.crops.edges.flatMap((edge) => edge.node.defects);
      expect(defects.length).toBeGreaterThan(0);
      expect(defects.every((defect) => defect.type === 'damage' && defect.critical)).toBe(true);
    }, 120_000);
  });
});
