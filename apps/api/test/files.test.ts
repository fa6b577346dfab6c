import { cp, mkdtemp, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestDataset, type IngestionSummary } from '@defect-rag/ingestion';
import { type Backend } from '@defect-rag/runs';
import { getCrop } from '@defect-rag/search';
import { sampleDatasetOrSkip, startTestServers, type TestServers } from '@defect-rag/testing';
import { createApiServer, type ApiServer } from '../src';
import { copyFirstSampleImages, graphql, testBackend } from './helpers';

/*
 * Crop images and source photos, with the data folder and the dataset both under dot-folders (the
 * default data folder is `.data`), and a folder swapped for a link pointing outside after ingestion.
 */

const sample = sampleDatasetOrSkip();

interface Hit {
  crop: { id: string; level: string; sourceImage: string; imageUrl: string };
}
const SEARCH = `query($q: SimilarityQuery!) { searchSimilar(query: $q) { crop { id level sourceImage imageUrl } } }`;

/** The status, content type and bytes of a GET. */
async function get(url: string): Promise<{ status: number; type: string | null; body: Buffer }> {
  const response = await fetch(url);
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    body: Buffer.from(await response.arrayBuffer()),
  };
}

describe.skipIf(!sample)('crop images and source photos under dot-folders, checked by their real path', () => {
  let servers: TestServers;
  let backend: Backend;
  let api: ApiServer;
  let datasetDir: string;
  let ingestion: IngestionSummary;
  let crop: Hit['crop'];
  let photo: Hit['crop'];

  beforeAll(async () => {
    servers = await startTestServers();
    backend = await testBackend(servers);
    expect(backend.config.dataDir.split(path.sep)).toContain('.data');
    datasetDir = path.join(await mkdtemp(path.join(tmpdir(), 'dotted-dataset-')), '.datasets', 'sample');
    await cp(copyFirstSampleImages(sample!, 2), datasetDir, { recursive: true });
    ingestion = await ingestDataset(backend, { datasetDir, name: 'dotted' });
    api = await createApiServer(backend, { port: 0, host: '127.0.0.1', production: false });
    const hits = async (level: string) =>
      (await graphql<{ searchSimilar: Hit[] }>(api.url, SEARCH, { q: { text: 'dent', level, limit: 1 } })).data!
        .searchSimilar;
    crop = (await hits('CROP'))[0]!.crop;
    photo = (await hits('PHOTO'))[0]!.crop;
  }, 300_000);

  afterAll(async () => {
    await api?.close();
    await backend?.close();
    await servers?.stop();
  });

  it('serves a crop image from a data folder under a dot-folder', async () => {
    const { file } = await getCrop(backend, crop.id);
    const response = await get(`${api.url}${crop.imageUrl}`);
    expect(response.status).toBe(200);
    expect(response.type).toMatch(/^image\//);
    expect(response.body.equals(await readFile(file!))).toBe(true);
  });

  it('serves the source photo of a crop and of a photo point from a dataset under a dot-folder', async () => {
    for (const hit of [crop, photo]) {
      const url = hit.level === 'PHOTO' ? hit.imageUrl : `${hit.imageUrl}/source`;
      const response = await get(`${api.url}${url}`);
      expect(response.status, url).toBe(200);
      expect(response.body.equals(await readFile(path.join(datasetDir, hit.sourceImage)))).toBe(true);
    }
  });

  it('refuses, with a JSON 404 and no bytes of the file, what a link swapped in after ingestion points to', async () => {
    // Outside files with the same names as the dataset's photos and the crops, each holding a secret.
    const outside = await mkdtemp(path.join(tmpdir(), 'outside-'));
    const secret = Buffer.from('SECRET-BYTES-OUTSIDE-THE-ROOT');
    const imagesDir = path.join(datasetDir, path.dirname(crop.sourceImage));
    const cropsDir = path.dirname((await getCrop(backend, crop.id)).file!);
    for (const [name, dir] of [
      ['images', imagesDir],
      ['crops', cropsDir],
    ] as const) {
      const copy = path.join(outside, name);
      await cp(dir, copy, { recursive: true, dereference: true });
      await rename(dir, `${dir}.moved`);
      await symlink(copy, dir);
      for (const file of await readdir(copy, { recursive: true, withFileTypes: true }))
        if (file.isFile()) await writeFile(path.join(file.parentPath, file.name), secret);
    }
    try {
      for (const url of [crop.imageUrl, `${crop.imageUrl}/source`, photo.imageUrl]) {
        const response = await get(`${api.url}${url}`);
        expect(response.status, url).toBe(404);
        expect(response.type, url).toMatch(/^application\/json/);
        expect(response.body.includes(secret), url).toBe(false);
        const body = JSON.parse(response.body.toString()) as { errors: { message: string; extensions: object }[] };
        expect(body.errors[0]!.extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'IMAGE_NOT_FOUND' });
        expect(body.errors[0]!.message, url).not.toContain(outside);
      }
    } finally {
      for (const dir of [imagesDir, cropsDir]) {
        await rm(dir);
        await rename(`${dir}.moved`, dir);
      }
    }
    // Back in place, the same URLs serve again: the check is made when the file is read.
    expect((await get(`${api.url}${crop.imageUrl}`)).status).toBe(200);
    expect(ingestion.images).toBe(2);
  });
});
