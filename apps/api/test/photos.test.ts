import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestDataset, type IngestionSummary } from '@defect-rag/ingestion';
import { type Backend } from '@defect-rag/runs';
import { copySampleSubset, sampleDatasetOrSkip, startTestServers, type TestServers } from '@defect-rag/testing';
import { createApiServer, type ApiServer } from '../src';
import { errorCodes, graphql, graphqlUpload, testBackend } from './helpers';

const sample = sampleDatasetOrSkip();
const STEMS = ['cdd_10', 'cdd_13', 'cps_car32', 'cps_car4'];

const PHOTO_FIELDS = `id imageId datasetId imageUrl sourceImage width height hasDamage vehicleZone zones damageTypes
  textDescription split view cropIds defects { label type zone area box { x y width height } polygon }
  crops { id level imageId }`;

interface PhotoResult {
  id: string;
  imageId: string;
  imageUrl: string;
  sourceImage: string;
  width: number;
  height: number;
  hasDamage: boolean;
  zones: string[];
  textDescription: string;
  view: string;
  cropIds: string[];
  defects: { label: string; zone: string; polygon: number[][]; box: { width: number } }[];
  crops: { id: string; level: string; imageId: string }[];
}
interface Hit {
  score: number;
  crop: { id: string; level: string; imageId: string; imageUrl: string; photo: PhotoResult | null };
}
const SEARCH = `query($q: SimilarityQuery!) { searchSimilar(query: $q) {
  score crop { id level imageId imageUrl photo { ${PHOTO_FIELDS} } } } }`;

describe.skipIf(!sample)('photos in the GraphQL API', () => {
  let servers: TestServers;
  let backend: Backend;
  let api: ApiServer;
  let dir: string;
  let ingestion: IngestionSummary;

  beforeAll(async () => {
    servers = await startTestServers();
    backend = await testBackend(servers);
    dir = copySampleSubset(sample!, STEMS);
    ingestion = await ingestDataset(backend, { datasetDir: dir, name: 'photos' });
    api = await createApiServer(backend, { port: 0, host: '127.0.0.1', production: false });
  }, 300_000);

  afterAll(async () => {
    await api?.close();
    await backend?.close();
    await servers?.stop();
  });

  it('answers a Photo by id with its size, defects and polygons, zones, description and crops', async () => {
    const damaged = path.join(dir, 'annotations', 'cdd_10_labelDANO_modificado.json');
    const shapes = (JSON.parse(readFileSync(damaged, 'utf8')) as { shapes: { points: number[][] }[] }).shapes;
    const search = await graphql<{ searchSimilar: Hit[] }>(api.url, SEARCH, {
      q: { text: 'dent', level: 'PHOTO', limit: 10 },
    });
    expect(search.errors).toBeUndefined();
    const photoId = search.data!.searchSimilar.find((hit) => hit.crop.photo!.sourceImage.endsWith('cdd_10.jpg'))!.crop
      .id;

    const { data, errors } = await graphql<{ photo: PhotoResult }>(
      api.url,
      `query($id: ID!) { photo(id: $id) { ${PHOTO_FIELDS} } }`,
      { id: photoId },
    );
    expect(errors).toBeUndefined();
    const photo = data!.photo;
    expect(photo).toMatchObject({ id: photoId, width: 1024, height: 1024, hasDamage: true, view: 'tiles' });
    expect(photo.id).toBe(`photo:${photo.imageId}`);
    expect(photo.defects.map((defect) => defect.polygon)).toEqual(shapes.map((shape) => shape.points));
    expect(photo.textDescription).toMatch(new RegExp(`^${shapes.length} defects?: `));
    expect(photo.crops.map((crop) => crop.id).sort()).toEqual([...photo.cropIds].sort());
    expect(photo.crops.length).toBeGreaterThan(0);
    expect(photo.crops.every((crop) => crop.level === 'CROP' && crop.imageId === photo.imageId)).toBe(true);

    // The same photo by its image id; its image is the source photo.
    const byImageId = await graphql<{ photo: { id: string } }>(
      api.url,
      `
        query ($id: ID!) {
          photo(id: $id) {
            id
          }
        }
      `,
      {
        id: photo.imageId,
      },
    );
    expect(byImageId.data!.photo.id).toBe(photoId);
    const image = await fetch(`${api.url}${photo.imageUrl}`);
    expect(image.status).toBe(200);
    expect(Buffer.from(await image.arrayBuffer())).toEqual(readFileSync(path.join(dir, photo.sourceImage)));

    const missing = await graphql(
      api.url,
      `
        query {
          photo(id: "photo:nope") {
            id
          }
        }
      `,
    );
    expect(errorCodes(missing)).toEqual(['NOT_FOUND']);
    expect(missing.errors![0]!.extensions!.reason).toBe('PHOTO_NOT_FOUND');
  });

  it('keeps searches to crops by default, finds photos with level PHOTO, and links crops to their photo', async () => {
    const crops = await graphql<{ searchSimilar: Hit[] }>(api.url, SEARCH, { q: { text: 'dent', limit: 100 } });
    expect(crops.errors).toBeUndefined();
    expect(crops.data!.searchSimilar).toHaveLength(ingestion.crops.total);
    for (const { crop } of crops.data!.searchSimilar) {
      expect(crop.level).toBe('CROP');
      expect(crop.photo!.imageId).toBe(crop.imageId);
      expect(crop.photo!.cropIds).toContain(crop.id);
    }

    const photos = await graphql<{ searchSimilar: Hit[] }>(api.url, SEARCH, {
      q: { text: 'dent', level: 'PHOTO', limit: 100, filter: { hasDamage: false } },
    });
    expect(photos.data!.searchSimilar.map((hit) => hit.crop.photo!.sourceImage).sort()).toEqual([
      'images/cps_car32.jpg',
      'images/cps_car4.jpg',
    ]);
    expect(
      photos.data!.searchSimilar.every((hit) => hit.crop.level === 'PHOTO' && hit.crop.photo!.id === hit.crop.id),
    ).toBe(true);
  });

  it('searches photos by an uploaded whole photo: the same photo comes first with its own vector', async () => {
    const bytes = readFileSync(path.join(dir, 'images', 'cps_car32.jpg'));
    const { data, errors } = await graphqlUpload<{ searchSimilar: Hit[] }>(
      api.url,
      SEARCH,
      { q: { image: null, mode: 'IMAGE', level: 'PHOTO', limit: 4 } },
      'variables.q.image',
      bytes,
    );
    expect(errors).toBeUndefined();
    const [first] = data!.searchSimilar;
    expect(first!.crop.photo!.sourceImage).toBe('images/cps_car32.jpg');
    expect(first!.score).toBeCloseTo(1, 4);
    expect(data!.searchSimilar).toHaveLength(STEMS.length);

    // The same upload at crop level: crops only.
    const asCrop = await graphqlUpload<{ searchSimilar: Hit[] }>(
      api.url,
      SEARCH,
      { q: { image: null, mode: 'IMAGE', limit: 4 } },
      'variables.q.image',
      bytes,
    );
    expect(asCrop.data!.searchSimilar.every((hit) => hit.crop.level === 'CROP')).toBe(true);
  });
});
