import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  contextsStage,
  cropsStage,
  embedStage,
  indexEmbeddings,
  ingestDataset,
  readEmbeddings,
  type IndexEmbeddingsSummary,
  type IngestionSummary,
} from '@defect-rag/ingestion';
import { type Backend } from '@defect-rag/runs';
import { isDefectRagError } from '@defect-rag/runtime';
import {
  copySampleSubset,
  imageOnlyTestModel,
  sampleDatasetOrSkip,
  startTestServers,
  type TestServers,
} from '@defect-rag/testing';
import { createApiServer, type ApiServer } from '../src';
import { errorCodes, graphql, testBackend, tinyModelDir } from './helpers';

const sample = sampleDatasetOrSkip();

const DELETE = `
  mutation ($id: ID!) {
    deleteDataset(id: $id) {
      dataset { id name root }
      points { collection count }
      runs
      cropFiles
    }
  }
`;

interface Deleted {
  deleteDataset: {
    dataset: { id: string; name: string; root: string };
    points: { collection: string; count: number }[];
    runs: number;
    cropFiles: number;
  };
}

function sampleStems(from: number, to: number): string[] {
  const polygons = JSON.parse(readFileSync(path.join(sample!, 'poligonos.json'), 'utf8')) as Record<string, unknown>;
  return Object.keys(polygons)
    .map((file) => file.replace(/\.jpg$/, ''))
    .sort()
    .slice(from, to);
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (isDefectRagError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a DefectRagError');
}

describe.skipIf(!sample)('datasets end to end: index a phase-3 folder, delete a dataset (real servers)', () => {
  let servers: TestServers;
  let backend: Backend;
  let api: ApiServer;
  /** Ingested with the tiny model and with an image-only model: points in two collections. */
  let ingested: IngestionSummary;
  let imageOnly: IngestionSummary;
  let ingestedDir: string;
  /** crops → contexts → embed → index. */
  let cropsDir: string;
  let indexed: IndexEmbeddingsSummary;
  /** Phase 1 names a dataset after its folder; `index` registers it under that name. */
  let indexedName: string;
  let indexedDir: string;

  beforeAll(async () => {
    servers = await startTestServers();
    backend = await testBackend(servers);
    api = await createApiServer(backend, { port: 0, host: '127.0.0.1', production: false });
    ingestedDir = copySampleSubset(sample!, sampleStems(0, 3));
    ingested = await ingestDataset(backend, { datasetDir: ingestedDir, name: 'ingested' });
    imageOnly = await ingestDataset(backend, {
      datasetDir: ingestedDir,
      name: 'ingested',
      modelDir: imageOnlyTestModel(),
    });

    indexedDir = copySampleSubset(sample!, sampleStems(3, 6));
    cropsDir = mkdtempSync(path.join(tmpdir(), 'defect-rag-phases-'));
    await cropsStage({ datasetDir: indexedDir, outDir: cropsDir });
    await contextsStage({ cropsDir });
    await embedStage({ cropsDir, modelDir: tinyModelDir });
    indexed = await indexEmbeddings(backend, { cropsDir });
    indexedName = path.basename(indexedDir);
  }, 400_000);

  afterAll(async () => {
    await api?.close();
    await backend?.close();
    await servers?.stop();
    if (cropsDir) rmSync(cropsDir, { recursive: true, force: true });
  });

  describe('index', () => {
    it('stores the vectors embed wrote, without running the model, as an INDEX run', async () => {
      const written = await readEmbeddings(cropsDir);
      const { dimension } = written.index.model;
      expect(indexed.collection).toBe(ingested.collection);
      expect(indexed.indexed).toBe(written.index.count);
      expect(indexed.points).toBe(written.index.count);
      const stored = await backend.vectorStore.getPoints(
        indexed.collection,
        written.index.crops.map((crop) => crop.crop_id),
        { withVectors: true },
      );
      expect(stored).toHaveLength(written.index.count);
      for (const [i, point] of stored.entries()) {
        const { row } = written.index.crops[i]!;
        expect(point.payload.dataset_id).toBe(indexed.datasetId);
        for (const kind of ['image', 'text', 'fused'] as const) {
          const expected = Array.from(written[kind]!.subarray(row * dimension, (row + 1) * dimension));
          const actual = point.vectors![kind]!;
          expect(actual).toHaveLength(dimension);
          // Qdrant keeps float32; cosine collections store unit vectors, which these already are.
          actual.forEach((value, d) => expect(value).toBeCloseTo(expected[d]!, 5));
        }
      }

      const runs = await graphql<{
        runs: { edges: { node: { id: string; status: string; counts: { name: string; value: number }[] } }[] };
      }>(
        api.url,
        `
          query ($datasetId: ID) {
            runs(filter: { kind: INDEX, datasetId: $datasetId }) {
              edges {
                node {
                  id
                  status
                  counts {
                    name
                    value
                  }
                }
              }
            }
          }
        `,
        { datasetId: indexed.datasetId },
      );
      expect(runs.errors).toBeUndefined();
      const [run] = runs.data!.runs.edges.map((edge) => edge.node);
      expect(run).toMatchObject({ id: indexed.runId, status: 'SUCCEEDED' });
      expect(run!.counts).toContainEqual({ name: 'indexed', value: written.index.count });
    });

    it('makes the points searchable through the API, with their phase-2 descriptions and crop images', async () => {
      const phase2 = JSON.parse(readFileSync(path.join(cropsDir, 'metadata_crops_phase2.json'), 'utf8')) as {
        crops: { crop_id: string; text_description: string; vehicle_zone: string }[];
      };
      const byId = new Map(phase2.crops.map((crop) => [crop.crop_id, crop]));
      const response = await graphql<{
        searchSimilar: {
          score: number;
          crop: { id: string; textDescription: string; vehicleZone: string; imageUrl: string };
        }[];
      }>(
        api.url,
        `
          query ($q: SimilarityQuery!) {
            searchSimilar(query: $q) {
              score
              crop {
                id
                textDescription
                vehicleZone
                imageUrl
              }
            }
          }
        `,
        { q: { text: 'scratch on a door', filter: { datasetId: indexed.datasetId }, limit: 100 } },
      );
      expect(response.errors).toBeUndefined();
      const items = response.data!.searchSimilar;
      expect(items).toHaveLength(indexed.points);
      for (const { crop } of items) {
        expect(crop.textDescription).toBe(byId.get(crop.id)!.text_description);
        expect(crop.vehicleZone).toBe(byId.get(crop.id)!.vehicle_zone);
      }
      const first = items[0]!.crop;
      const image = await fetch(new URL(first.imageUrl, api.url));
      expect(image.status).toBe(200);
      const { index } = await readEmbeddings(cropsDir);
      const file = index.crops.find((crop) => crop.crop_id === first.id)!.file;
      expect(Buffer.from(await image.arrayBuffer())).toEqual(readFileSync(path.join(cropsDir, file)));
    });

    it('is idempotent: indexing the folder again writes the same points', async () => {
      const before = await backend.vectorStore.getPoints(
        indexed.collection,
        [(await readEmbeddings(cropsDir)).index.crops[0]!.crop_id],
        { withVectors: true },
      );
      const again = await indexEmbeddings(backend, { cropsDir });
      expect(again.runId).not.toBe(indexed.runId);
      expect(again.points).toBe(indexed.points);
      expect(await backend.vectorStore.count(indexed.collection, { datasetId: indexed.datasetId })).toBe(
        indexed.points,
      );
      const after = await backend.vectorStore.getPoints(indexed.collection, [before[0]!.cropId], { withVectors: true });
      expect(after).toEqual(before);
    });

    it('refuses a folder without embeddings, or whose files disagree, naming the file, and writes nothing', async () => {
      const runsBefore = (await backend.db.runs.list({ kind: 'INDEX' }, { first: 100 })).totalCount;
      const copy = (name: string) => {
        const dir = path.join(mkdtempSync(path.join(tmpdir(), 'defect-rag-bad-')), name);
        cpSync(cropsDir, dir, { recursive: true });
        return dir;
      };

      const noEmbeddings = copy('no-embeddings');
      rmSync(path.join(noEmbeddings, 'embeddings'), { recursive: true });
      const missing = await failure(indexEmbeddings(backend, { cropsDir: noEmbeddings }));
      expect(missing.code).toBe('METADATA_INVALID');
      expect(missing.message).toContain(path.join(noEmbeddings, 'embeddings', 'index.json'));
      expect(missing.message).toContain('run `defect-rag embed` on this folder first');

      const foreign = copy('foreign-crop');
      const indexFile = path.join(foreign, 'embeddings', 'index.json');
      const index = JSON.parse(readFileSync(indexFile, 'utf8')) as { crops: { crop_id: string }[] };
      index.crops[0]!.crop_id = 'not_a_phase2_crop';
      writeFileSync(indexFile, JSON.stringify(index));
      const inconsistent = await failure(indexEmbeddings(backend, { cropsDir: foreign }));
      expect(inconsistent.code).toBe('METADATA_INVALID');
      expect(inconsistent.message).toContain(indexFile);
      expect(inconsistent.message).toContain('crop "not_a_phase2_crop" is not in the phase-2 file');

      const short = copy('short-vectors');
      truncateSync(path.join(short, 'embeddings', 'fused.f32'), 100);
      const truncated = await failure(indexEmbeddings(backend, { cropsDir: short }));
      expect(truncated.code).toBe('METADATA_INVALID');
      expect(truncated.message).toContain(path.join(short, 'embeddings', 'fused.f32'));

      expect((await backend.db.runs.list({ kind: 'INDEX' }, { first: 100 })).totalCount).toBe(runsBefore);
    });
  });

  it('index: a missing crop image is a problem of the run, and the other points are written', async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'defect-rag-partial-')), 'partial');
    cpSync(cropsDir, dir, { recursive: true });
    const { index } = await readEmbeddings(dir);
    const gone = index.crops[0]!;
    rmSync(path.join(dir, gone.file));
    const partial = await indexEmbeddings(backend, { cropsDir: dir });
    // The same dataset (phase 1 recorded its name and folder), so the same points.
    expect(partial.datasetId).toBe(indexed.datasetId);
    expect(partial.indexed).toBe(index.count - 1);
    expect(partial.problems).toEqual([
      expect.objectContaining({ item: gone.crop_id, stage: 'index', code: 'IMAGE_NOT_FOUND' }),
    ]);
    expect(partial.problems[0]!.message).toContain(path.join(dir, gone.file));
    const problems = await backend.db.runs.listProblems(partial.runId, { first: 10 });
    expect(problems.items.map((problem) => problem.item)).toEqual([gone.crop_id]);
  });

  it("taxonomy(datasetId) follows edits of the dataset's taxonomy.yaml", async () => {
    const file = path.join(indexedDir, 'taxonomy.yaml');
    const zones = async () => {
      const response = await graphql<{ taxonomy: { zones: { id: string; parent: string | null }[] } }>(
        api.url,
        'query ($id: ID) { taxonomy(datasetId: $id) { zones { id parent } } }',
        { id: indexed.datasetId },
      );
      expect(response.errors).toBeUndefined();
      return response.data!.taxonomy.zones;
    };
    writeFileSync(file, 'zones:\n  underbody: underbody\n');
    expect(await zones()).toContainEqual({ id: 'underbody', parent: null });
    writeFileSync(file, 'zones:\n  underbody: underbody\n  sill: { name: sill, parent: underbody }\n');
    utimesSync(file, new Date(), new Date(Date.now() + 5_000));
    expect(await zones()).toContainEqual({ id: 'sill', parent: 'underbody' });
    rmSync(file);
  });

  describe('deleteDataset', () => {
    it('is CONFLICT while a run holds the dataset, NOT_FOUND for an unknown id, and then deletes nothing', async () => {
      const lock = await backend.db.tryLockDataset(indexed.datasetId);
      try {
        const busy = await graphql(api.url, DELETE, { id: indexed.datasetId });
        expect(errorCodes(busy)).toEqual(['CONFLICT']);
        expect(busy.errors![0]!.message).toContain(`another run is in progress for dataset "${indexedName}"`);
      } finally {
        await lock!.release();
      }
      const unknown = await graphql(api.url, DELETE, { id: '00000000-0000-4000-8000-000000000000' });
      expect(errorCodes(unknown)).toEqual(['NOT_FOUND']);
      expect(await backend.vectorStore.count(indexed.collection, { datasetId: indexed.datasetId })).toBe(
        indexed.points,
      );
    });

    it("removes the dataset's points in every collection, its files, runs and record, and nothing of another dataset", async () => {
      const datasetId = ingested.datasetId;
      const cropsOf = (id: string) => backend.cropsDir(id);
      const cropFiles = readdirSync(cropsOf(datasetId), { recursive: true, withFileTypes: true }).filter((entry) =>
        entry.isFile(),
      ).length;
      const indexedFiles = readdirSync(cropsOf(indexed.datasetId), { recursive: true });
      const photos = readdirSync(path.join(ingestedDir, 'images'));
      const otherRuns = (await backend.db.runs.list({ datasetId: indexed.datasetId }, { first: 100 })).totalCount;
      expect(imageOnly.collection).not.toBe(ingested.collection);

      const response = await graphql<Deleted>(api.url, DELETE, { id: datasetId });
      expect(response.errors).toBeUndefined();
      const deleted = response.data!.deleteDataset;
      expect(deleted.dataset).toEqual({ id: datasetId, name: 'ingested', root: ingestedDir });
      expect(deleted.points).toEqual(
        expect.arrayContaining([
          // Its crop points and its photo points.
          { collection: ingested.collection, count: ingested.points + ingested.photos.points },
          { collection: imageOnly.collection, count: imageOnly.points + imageOnly.photos.points },
        ]),
      );
      expect(deleted.points).toHaveLength(2);
      expect(deleted.runs).toBe(2);
      expect(deleted.cropFiles).toBe(cropFiles);

      // Gone: points in both collections, crop files, runs, the record.
      expect(await backend.vectorStore.count(ingested.collection, { datasetId })).toBe(0);
      expect(await backend.vectorStore.count(imageOnly.collection, { datasetId })).toBe(0);
      expect(existsSync(cropsOf(datasetId))).toBe(false);
      expect(
        errorCodes(
          await graphql(
            api.url,
            `
              query ($id: ID!) {
                run(id: $id) {
                  id
                }
              }
            `,
            { id: ingested.runId },
          ),
        ),
      ).toEqual(['NOT_FOUND']);
      expect(
        errorCodes(
          await graphql(
            api.url,
            `
              query ($id: ID!) {
                dataset(id: $id) {
                  id
                }
              }
            `,
            { id: datasetId },
          ),
        ),
      ).toEqual(['NOT_FOUND']);

      // Kept: the photos, and everything of the other dataset.
      expect(readdirSync(path.join(ingestedDir, 'images'))).toEqual(photos);
      expect(await backend.vectorStore.count(indexed.collection, { datasetId: indexed.datasetId })).toBe(
        indexed.points,
      );
      expect(readdirSync(cropsOf(indexed.datasetId), { recursive: true })).toEqual(indexedFiles);
      expect((await backend.db.runs.list({ datasetId: indexed.datasetId }, { first: 100 })).totalCount).toBe(otherRuns);
      const datasets = await graphql<{ datasets: { edges: { node: { name: string } }[] } }>(
        api.url,
        '{ datasets { edges { node { name } } } }',
      );
      expect(datasets.data!.datasets.edges.map((edge) => edge.node.name)).toEqual([indexedName]);
    });
  });
});
