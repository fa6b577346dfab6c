import { cpSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoDatasetStage, exportLabels, ingestDataset } from '@defect-rag/ingestion';
import type { Backend } from '@defect-rag/runs';
import { startTestServers, type TestServers } from '@defect-rag/testing';
import { createApiServer, type ApiServer } from '../src';
import { keyName } from '../src/auth';
import { errorCodes, graphql, testBackend, type GraphQLResponse } from './helpers';

const KEYS = { one: 'label-key-one', two: 'label-key-two' };
const as = (key: string) => ({ 'x-api-key': key });

const LABEL_FIELDS = 'id photoId kind damageType polygon cropId box { x y width height } author createdAt';
const ADD = `mutation($input: DefectLabelInput!) { addDefectLabel(input: $input) { runId label { ${LABEL_FIELDS} } } }`;
const NO_DAMAGE = `mutation($input: NoDamageInput!) { markNoDamage(input: $input) { runId label { ${LABEL_FIELDS} } } }`;
const REMOVE = `mutation($id: ID!) { removeLabel(id: $id) { runId label { id } } }`;
const PHOTO = `query($id: ID!) { photo(id: $id) { id imageId width height hasDamage damageTypes defects { label type polygon }
  cropIds labels { ${LABEL_FIELDS} } } }`;

interface Label {
  id: string;
  photoId: string;
  kind: string;
  damageType: string | null;
  polygon: number[][] | null;
  cropId: string | null;
  author: string;
}
interface LabelChange {
  runId: string | null;
  label: Label;
}
interface PhotoResult {
  id: string;
  imageId: string;
  width: number;
  height: number;
  hasDamage: boolean;
  damageTypes: string[];
  defects: { label: string; type: string }[];
  cropIds: string[];
  labels: Label[];
}

describe("analysts' labels through the GraphQL API (demo dataset, tiny-clip: random weights)", () => {
  let servers: TestServers;
  let backend: Backend;
  let api: ApiServer;
  let datasetId: string;
  let clean: PhotoResult[];

  const photo = async (id: string) => {
    const { data, errors } = await graphql<{ photo: PhotoResult }>(api.url, PHOTO, { id }, as(KEYS.one));
    expect(errors).toBeUndefined();
    return data!.photo;
  };
  const storedLabels = async () => backend.db.labels.list(datasetId);

  /** Polls the RELABEL run until it ends and returns its status. */
  async function finished(runId: string): Promise<string> {
    for (;;) {
      const { data } = await graphql<{ run: { status: string; kind: string; error: string | null } }>(
        api.url,
        'query($id: ID!) { run(id: $id) { status kind error } }',
        { id: runId },
        as(KEYS.one),
      );
      expect(data!.run.kind).toBe('RELABEL');
      if (!['QUEUED', 'RUNNING'].includes(data!.run.status)) {
        expect(data!.run.error).toBeNull();
        return data!.run.status;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  beforeAll(async () => {
    servers = await startTestServers();
    backend = await testBackend(servers, { DEFECT_RAG_API_KEYS: `alice:${KEYS.one},${KEYS.two}` });
    // Under the data folder's datasets/: the API's runs only work on datasets there.
    const demo = await demoDatasetStage({
      outDir: path.join(backend.config.dataDir, 'datasets', 'labels-demo'),
      images: 6,
    });
    const ingestion = await ingestDataset(backend, { datasetDir: demo.root, name: 'labels-demo' });
    datasetId = ingestion.datasetId;
    api = await createApiServer(backend, { port: 0, host: '127.0.0.1', production: false });
    const { data, errors } = await graphql<{ searchSimilar: { crop: { imageId: string } }[] }>(
      api.url,
      `
        query ($d: ID!) {
          searchSimilar(query: { text: "car", level: PHOTO, limit: 20, filter: { datasetId: $d, hasDamage: false } }) {
            crop {
              imageId
            }
          }
        }
      `,
      { d: datasetId },
      as(KEYS.one),
    );
    expect(errors).toBeUndefined();
    const imageIds = data!.searchSimilar.map((hit) => hit.crop.imageId);
    clean = (await Promise.all(imageIds.map((id) => photo(`photo:${id}`)))).filter((each) => !each.hasDamage);
    expect(clean.length, JSON.stringify(imageIds)).toBeGreaterThanOrEqual(2);
  }, 300_000);

  afterAll(async () => {
    await api?.close();
    await backend?.close();
    await servers?.stop();
  });

  it('refuses bad labels with BAD_USER_INPUT naming the field, and stores nothing', async () => {
    const target = clean[0]!;
    const square = [
      { x: 10, y: 10 },
      { x: 60, y: 10 },
      { x: 60, y: 60 },
    ];
    const cases: { input: Record<string, unknown>; field: string }[] = [
      { input: { photoId: target.id, damageType: 'scratch', polygon: square.slice(0, 2) }, field: 'polygon' },
      {
        input: { photoId: target.id, damageType: 'scratch', polygon: [...square, { x: target.width + 1, y: 5 }] },
        field: 'polygon',
      },
      { input: { photoId: target.id, damageType: 'scratch', polygon: [{ x: -1, y: 5 }, ...square] }, field: 'polygon' },
      {
        input: {
          photoId: target.id,
          damageType: 'scratch',
          polygon: Array.from({ length: 1001 }, (_, i) => ({ x: i % 50, y: (i * 7) % 50 })),
        },
        field: 'polygon',
      },
      { input: { photoId: target.id, damageType: 'not-a-type', polygon: square }, field: 'damageType' },
      { input: { photoId: 'photo:no-such-photo', damageType: 'scratch', polygon: square }, field: 'photoId' },
      {
        input: {
          photoId: target.id,
          damageType: 'scratch',
          polygon: [
            { x: 1, y: 1 },
            { x: 1, y: 1 },
            { x: 1, y: 1 },
          ],
        },
        field: 'polygon',
      },
    ];
    for (const { input, field } of cases) {
      const response = await graphql(api.url, ADD, { input }, as(KEYS.one));
      expect(errorCodes(response), JSON.stringify(input).slice(0, 200)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors![0]!.message).toContain(field);
    }
    // 1e400 in JSON is Infinity: not a finite coordinate.
    const infinite = await fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...as(KEYS.one) },
      body: `{"query":${JSON.stringify(ADD)},"variables":{"input":{"photoId":"${target.id}","damageType":"scratch","polygon":[{"x":1e400,"y":1},{"x":2,"y":2},{"x":3,"y":1}]}}}`,
    });
    expect(errorCodes((await infinite.json()) as GraphQLResponse)).toEqual(['BAD_USER_INPUT']);
    // A named key (`alice:<key>`) is the key after the name: the name, or the whole entry, is no key.
    const polygon = [
      { x: 1, y: 1 },
      { x: 9, y: 1 },
      { x: 5, y: 9 },
    ];
    for (const notAKey of ['alice', `alice:${KEYS.one}`]) {
      const refused = await graphql(
        api.url,
        ADD,
        { input: { photoId: target.id, damageType: 'dent', polygon } },
        as(notAKey),
      );
      expect(errorCodes(refused), notAKey).toEqual(['UNAUTHENTICATED']);
    }
    expect(await storedLabels()).toEqual([]);
  });

  it("takes a label back when its RELABEL run cannot start: a dataset outside the API's folders", async () => {
    const outside = await demoDatasetStage({ outDir: mkdtempSync(path.join(tmpdir(), 'labels-outside-')), images: 2 });
    const ingested = await ingestDataset(backend, { datasetDir: outside.root, name: 'labels-outside' });
    const { data } = await graphql<{ searchSimilar: { crop: { id: string } }[] }>(
      api.url,
      `
        query ($d: ID!) {
          searchSimilar(query: { text: "car", level: PHOTO, limit: 1, filter: { datasetId: $d } }) {
            crop {
              id
            }
          }
        }
      `,
      { d: ingested.datasetId },
      as(KEYS.one),
    );
    const polygon = [
      { x: 10, y: 10 },
      { x: 60, y: 10 },
      { x: 60, y: 60 },
    ];
    const response = await graphql(
      api.url,
      ADD,
      { input: { photoId: data!.searchSimilar[0]!.crop.id, damageType: 'dent', polygon } },
      as(KEYS.one),
    );
    expect(errorCodes(response)).toEqual(['FORBIDDEN']);
    expect(await backend.db.labels.list(ingested.datasetId)).toEqual([]);
  }, 60_000);

  it('labels a defect on a clean photo: its RELABEL run recuts it as damaged, labels on Photo and Crop', async () => {
    const target = clean[0]!;
    const polygon = [
      { x: 40, y: 40 },
      { x: 140, y: 50 },
      { x: 120, y: 130 },
      { x: 50, y: 110 },
    ];
    const response = await graphql<{ addDefectLabel: LabelChange }>(
      api.url,
      ADD,
      { input: { photoId: target.id, damageType: 'dent', polygon } },
      as(KEYS.one),
    );
    expect(response.errors).toBeUndefined();
    const { runId, label } = response.data!.addDefectLabel;
    expect(label).toMatchObject({ photoId: target.id, kind: 'DEFECT', damageType: 'dent', author: 'alice' });
    expect(label.polygon).toEqual(polygon.map(({ x, y }) => [x, y]));
    expect(await finished(runId!)).toBe('SUCCEEDED');

    const after = await photo(target.id);
    expect(after.hasDamage).toBe(true);
    expect(after.damageTypes).toEqual(['dent']);
    expect(after.labels.map((each) => each.id)).toEqual([label.id]);
    // Its crops were cut again: a damage crop of the labelled dent, found by a damaged-only search.
    const { data } = await graphql<{
      crops: { edges: { node: { id: string; imageId: string; damageTypes: string[]; labels: Label[] } }[] };
    }>(
      api.url,
      `
        query ($d: ID!) {
          crops(filter: { datasetId: $d, hasDamage: true, damageTypes: ["dent"] }, first: 100) {
            edges {
              node {
                id
                imageId
                damageTypes
                labels {
                  id
                  author
                }
              }
            }
          }
        }
      `,
      { d: datasetId },
      as(KEYS.one),
    );
    const own = data!.crops.edges.map((edge) => edge.node).filter((node) => node.imageId === target.imageId);
    expect(own.length).toBeGreaterThan(0);
    expect(own[0]!.labels).toEqual([{ id: label.id, author: 'alice' }]);
    // The photo's old (clean) crops are gone from the index.
    const gone = target.cropIds.filter((id) => !after.cropIds.includes(id));
    expect(gone.length).toBeGreaterThan(0);
    const { data: old } = await graphql<{ crop: unknown }>(
      api.url,
      'query($id: ID!) { crop(id: $id) { id } }',
      { id: gone[0] },
      as(KEYS.one),
    );
    expect(old?.crop ?? null).toBeNull();
  }, 120_000);

  it('marks "no damage" on a crop or a window in one call; only its author may remove a label', async () => {
    const target = clean[1]!;
    const box = { x: 10, y: 20, width: 100, height: 80 };
    const onPhoto = await graphql<{ markNoDamage: LabelChange }>(
      api.url,
      NO_DAMAGE,
      { input: { photoId: target.id, box } },
      as(KEYS.two),
    );
    expect(onPhoto.errors).toBeUndefined();
    const { label, runId } = onPhoto.data!.markNoDamage;
    expect(label).toMatchObject({ kind: 'NO_DAMAGE', box, cropId: null, author: keyName(KEYS.two) });
    expect(await finished(runId!)).toBe('SUCCEEDED');
    const after = await photo(target.id);
    expect(after.hasDamage).toBe(false);
    expect(after.labels.map((each) => each.kind)).toEqual(['NO_DAMAGE']);

    // A search result judged in one click: its crop's window is the mark.
    const { data } = await graphql<{ crops: { edges: { node: { id: string; imageId: string } }[] } }>(
      api.url,
      'query($d: ID!) { crops(filter: { datasetId: $d }, first: 1) { edges { node { id imageId } } } }',
      { d: datasetId },
      as(KEYS.one),
    );
    const crop = data!.crops.edges[0]!.node;
    const onCrop = await graphql<{ markNoDamage: LabelChange }>(
      api.url,
      NO_DAMAGE,
      { input: { photoId: `photo:${crop.imageId}`, cropId: crop.id } },
      as(KEYS.two),
    );
    expect(onCrop.errors).toBeUndefined();
    expect(onCrop.data!.markNoDamage.label).toMatchObject({ kind: 'NO_DAMAGE', cropId: crop.id });
    const both = await graphql(
      api.url,
      NO_DAMAGE,
      { input: { photoId: `photo:${crop.imageId}`, cropId: crop.id, box } },
      as(KEYS.two),
    );
    expect(errorCodes(both)).toEqual(['BAD_USER_INPUT']);
    const elsewhere = await graphql(
      api.url,
      NO_DAMAGE,
      { input: { photoId: target.id, cropId: crop.id } },
      as(KEYS.two),
    );
    expect(errorCodes(elsewhere)).toEqual(['BAD_USER_INPUT']);

    const other = await graphql(api.url, REMOVE, { id: label.id }, as(KEYS.one));
    expect(errorCodes(other)).toEqual(['FORBIDDEN']);
    expect((await storedLabels()).map((each) => each.id)).toContain(label.id);
    expect(
      errorCodes(await graphql(api.url, REMOVE, { id: '00000000-0000-4000-8000-000000000000' }, as(KEYS.two))),
    ).toEqual(['NOT_FOUND']);
    for (const id of [label.id, onCrop.data!.markNoDamage.label.id]) {
      const removed = await graphql<{ removeLabel: LabelChange }>(api.url, REMOVE, { id }, as(KEYS.two));
      expect(removed.errors).toBeUndefined();
      // The second removal may come while the first one's run works: its run follows that one.
      if (removed.data!.removeLabel.runId) expect(await finished(removed.data!.removeLabel.runId)).toBe('SUCCEEDED');
    }
    expect((await photo(target.id)).labels).toEqual([]);
    expect((await storedLabels()).map((each) => each.kind)).toEqual(['DEFECT']);
  }, 120_000);

  it('exports labelled photos as LabelMe files that the next ingestion reads', async () => {
    const dataset = await backend.db.datasets.findById(datasetId);
    await expect(exportLabels(backend, datasetId, path.join(dataset!.root, 'annotations'))).rejects.toMatchObject({
      code: 'BAD_INPUT',
    });
    const copy = mkdtempSync(path.join(tmpdir(), 'labels-export-'));
    cpSync(dataset!.root, copy, { recursive: true });
    const written = await exportLabels(backend, datasetId, copy);
    expect(written.photos).toBe(1);
    expect(written.files).toHaveLength(1);
    const file = JSON.parse(readFileSync(written.files[0]!, 'utf8')) as { shapes: { label: string }[] };
    expect(file.shapes.map((shape) => shape.label)).toEqual(['dent']);
    // The original dataset has no such file: nothing was written there.
    expect(existsSync(path.join(dataset!.root, path.relative(copy, written.files[0]!)))).toBe(false);

    const reingested = await ingestDataset(backend, { datasetDir: copy, name: 'labels-demo-exported' });
    expect(reingested.problems.filter((problem) => problem.item.includes('labelDANO'))).toEqual([]);
    const { data } = await graphql<{ crops: { edges: { node: { sourceImage: string; damageTypes: string[] } }[] } }>(
      api.url,
      `
        query ($d: ID!) {
          crops(filter: { datasetId: $d, hasDamage: true, damageTypes: ["dent"] }, first: 100) {
            edges {
              node {
                sourceImage
                damageTypes
              }
            }
          }
        }
      `,
      { d: reingested.datasetId },
      as(KEYS.one),
    );
    const labelledImage = (await backend.db.labels.list(datasetId))[0]!.sourceImage;
    expect(data!.crops.edges.map((edge) => edge.node.sourceImage)).toContain(labelledImage);
  }, 120_000);
});
