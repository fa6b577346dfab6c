import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestDataset } from '@defect-rag/ingestion';
import { type Backend } from '@defect-rag/runs';
import {
  IMAGE_ONLY_TEST_MODEL_ID,
  imageOnlyTestModel,
  sampleDatasetOrSkip,
  startTestServers,
  type TestServers,
} from '@defect-rag/testing';
import { createApiServer, type ApiServer } from '../src';
import { copyFirstSampleImages, graphql, testBackend, tinyModelDir } from './helpers';

const sample = sampleDatasetOrSkip();
const IMAGE_ONLY_ID = IMAGE_ONLY_TEST_MODEL_ID;

type SearchData = { searchSimilar: { score: number; crop: { id: string; modelId: string } }[] };
const SEARCH = `query ($query: SimilarityQuery!) { searchSimilar(query: $query) { score crop { id modelId } } }`;

describe.skipIf(!sample)('several served models, one of them image-only', () => {
  let servers: TestServers;
  let backend: Backend;
  let api: ApiServer;
  let cropId: string;
  const temporary: string[] = [];

  beforeAll(async () => {
    servers = await startTestServers();
    const imageOnly = imageOnlyTestModel();
    const dataset = copyFirstSampleImages(sample!, 6);
    temporary.push(imageOnly, dataset);
    backend = await testBackend(servers, { DEFECT_RAG_MODEL_DIR: `${tinyModelDir},${imageOnly}` });
    await ingestDataset(backend, { datasetDir: dataset, name: 'six' });
    const ingestion = await ingestDataset(backend, { datasetDir: dataset, name: 'six', modelDir: imageOnly });
    expect(ingestion.modelId).toBe(IMAGE_ONLY_ID);
    api = await createApiServer(backend, { port: 0, host: '127.0.0.1' });
    const any = await graphql<SearchData>(api.url, SEARCH, { query: { text: 'dent', limit: 1 } });
    cropId = any.data!.searchSimilar[0]!.crop.id;
  }, 240_000);

  afterAll(async () => {
    await api?.close();
    await backend?.close();
    await servers?.stop();
    for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
  });

  it('lists every served model with the modes it answers, the default first', async () => {
    const response = await graphql<{ models: unknown[]; model: { id: string } }>(
      api.url,
      '{ models { id modes isDefault randomWeights dimension collection textQueries } model { id } }',
    );
    expect(response.data!.models).toEqual([
      expect.objectContaining({
        id: 'defect-rag/tiny-clip',
        modes: ['IMAGE', 'TEXT', 'FUSED'],
        isDefault: true,
        textQueries: 'text-tower',
      }),
      expect.objectContaining({
        id: IMAGE_ONLY_ID,
        modes: ['IMAGE'],
        isDefault: false,
        randomWeights: true,
        textQueries: 'label-prototypes',
      }),
    ]);
    expect(response.data!.model.id).toBe('defect-rag/tiny-clip');
  });

  it('a query naming the image-only model searches its collection, in IMAGE mode by default', async () => {
    const response = await graphql<SearchData>(api.url, SEARCH, { query: { cropId, model: IMAGE_ONLY_ID, limit: 3 } });
    expect(response.errors).toBeUndefined();
    expect(response.data!.searchSimilar).toHaveLength(3);
    for (const { crop } of response.data!.searchSimilar) expect(crop.modelId).toBe(IMAGE_ONLY_ID);
  });

  it('a text query to the image-only model is answered in IMAGE mode by the prototype of the labels it names', async () => {
    // The sample's shapes are all typed `damage`: the prototype is the mean of its damaged crops.
    const response = await graphql<SearchData>(api.url, SEARCH, {
      query: { text: 'daños', model: IMAGE_ONLY_ID, limit: 3 },
    });
    expect(response.errors).toBeUndefined();
    expect(response.data!.searchSimilar).toHaveLength(3);
    for (const { crop } of response.data!.searchSimilar) expect(crop.modelId).toBe(IMAGE_ONLY_ID);
    const unknown = await graphql(api.url, SEARCH, { query: { text: 'sparkles', model: IMAGE_ONLY_ID } });
    expect(unknown.errors?.[0]).toMatchObject({
      message: expect.stringContaining('the taxonomy does not know "sparkles"'),
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it('TEXT and FUSED modes against the image-only model are BAD_USER_INPUT (MODE_UNSUPPORTED) naming the model', async () => {
    for (const query of [
      { cropId, mode: 'FUSED', model: IMAGE_ONLY_ID },
      { cropId, mode: 'TEXT', model: IMAGE_ONLY_ID },
    ]) {
      const response = await graphql(api.url, SEARCH, { query });
      expect(response.errors?.[0]).toMatchObject({
        message: expect.stringContaining(`model "${IMAGE_ONLY_ID}" has only an image tower`),
        extensions: { code: 'BAD_USER_INPUT', reason: 'MODE_UNSUPPORTED' },
      });
    }
  });

  it('an unknown model is BAD_USER_INPUT listing the served ones', async () => {
    const response = await graphql(api.url, SEARCH, { query: { cropId, model: 'nobody/model' } });
    expect(response.errors?.[0]).toMatchObject({
      message: expect.stringContaining(`"defect-rag/tiny-clip", "${IMAGE_ONLY_ID}"`),
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });
});
