import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '@defect-rag/runs';
import { sampleDatasetOrSkip, startTestServers, type TestServers } from '@defect-rag/testing';
import { createApiServer, type ApiServer } from '../src';
import { copyFirstSampleImages, errorCodes, graphql, testBackend } from './helpers';

const sample = sampleDatasetOrSkip();

const RUN_FIELDS = `id datasetId kind status errorCode error startedAt finishedAt
  progress { stage done total } counts { name value } timings { stage ms }
  metrics { modelId randomWeights k rankingK trainCrops testCrops ranking { rank label composite }
    configurations { label role exact { type { precision { k value } } composite { k value } strictCriticalRecall { k value } }
      annRecall { k value } types { type queries precision { k value } firstResult { resultType queries } } }
    findings agreement { label damage { queries precision } } control { photos retrievers { label } bySource { source retrievers { label } } }
    sources { source testCrops configurations { label exact { type { precision { k value } } } } }
    discovery { testPhotos photos windows windowsWithDefect queriesPerType k
      results { retriever onePerPhoto rows { type queries atK { k sameType anyType } } } }
    files { json markdown plot } }
  dataset { name } problems(first: 10) { totalCount edges { node { item stage code message } } }`;

interface RunResult {
  id: string;
  datasetId: string;
  kind: string;
  status: string;
  errorCode: string | null;
  finishedAt: string | null;
  progress: { stage: string; done: number; total: number }[];
  counts: { name: string; value: number }[];
  metrics: {
    k: number[];
    rankingK: number;
    ranking: { rank: number; label: string }[];
    configurations: {
      label: string;
      exact: { type: { precision: { k: number; value: number | null }[] } };
      types: { type: string; queries: number; firstResult: { resultType: string; queries: number }[] }[];
    }[];
    control: { bySource: { source: string; retrievers: { label: string }[] }[] };
    sources: { source: string; testCrops: number; configurations: { label: string }[] }[];
    discovery: {
      photos: number;
      windows: number;
      windowsWithDefect: number;
      k: number[];
      results: {
        retriever: string;
        onePerPhoto: boolean;
        rows: { type: string; queries: number; atK: { k: number; sameType: number; anyType: number }[] }[];
      }[];
    } | null;
    files: { json: string; markdown: string; plot: string };
  } | null;
  dataset: { name: string };
  problems: { totalCount: number; edges: { node: { item: string; code: string } }[] };
}

describe.skipIf(!sample)('datasets and runs through the API', () => {
  let servers: TestServers;
  let backend: Backend;
  let api: ApiServer;

  const register = async (path: string, name: string) => {
    const response = await graphql<{ registerDataset: { id: string; name: string; root: string } }>(
      api.url,
      `
        mutation ($path: String!, $name: String!) {
          registerDataset(path: $path, name: $name) {
            id
            name
            root
          }
        }
      `,
      { path, name },
    );
    expect(response.errors).toBeUndefined();
    return response.data!.registerDataset;
  };
  const startIngestion = (datasetId: string, options: Record<string, unknown> = {}) =>
    graphql<{ startIngestion: RunResult }>(
      api.url,
      `mutation($id: ID!, $options: IngestionOptions) { startIngestion(datasetId: $id, options: $options) { ${RUN_FIELDS} } }`,
      {
        id: datasetId,
        options,
      },
    );
  const run = async (id: string) =>
    (await graphql<{ run: RunResult }>(api.url, `query($id: ID!) { run(id: $id) { ${RUN_FIELDS} } }`, { id })).data!
      .run;
  const finished = async (id: string) => {
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(100)) {
      const current = await run(id);
      if (current.finishedAt) return current;
    }
    throw new Error(`run ${id} did not finish`);
  };
  const cancel = (id: string) =>
    graphql<{ cancelRun: RunResult }>(
      api.url,
      `
        mutation ($id: ID!) {
          cancelRun(id: $id) {
            id
            status
          }
        }
      `,
      { id },
    );

  beforeAll(async () => {
    servers = await startTestServers();
    // The copies of the sample are made in the temporary folder.
    backend = await testBackend(servers, { DEFECT_RAG_DATASET_ROOTS: [tmpdir(), sample!].join(':') });
    api = await createApiServer(backend, { port: 0, host: '127.0.0.1' });
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await backend?.close();
    await servers?.stop();
  });

  it('registerDataset refuses a folder that does not exist (NOT_FOUND) and an empty name (BAD_USER_INPUT)', async () => {
    const missing = await graphql(
      api.url,
      `
        mutation ($path: String!) {
          registerDataset(path: $path, name: "x") {
            id
          }
        }
      `,
      { path: path.join(tmpdir(), 'no-such-folder') },
    );
    expect(missing.errors![0]!.extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'DATASET_NOT_FOUND' });
    const unnamed = await graphql(
      api.url,
      `
        mutation ($path: String!) {
          registerDataset(path: $path, name: "  ") {
            id
          }
        }
      `,
      { path: sample! },
    );
    expect(errorCodes(unnamed)).toEqual(['BAD_USER_INPUT']);
  });

  it('startIngestion returns the run at once, refuses a second one for the dataset (CONFLICT), and the run ends SUCCEEDED with progress, counts and problems', async () => {
    const dataset = await register(copyFirstSampleImages(sample!, 12, { corrupt: true }), 'subset');
    const started = await startIngestion(dataset.id, { batchSize: 2 });
    expect(started.errors).toBeUndefined();
    const first = started.data!.startIngestion;
    expect(first).toMatchObject({
      datasetId: dataset.id,
      kind: 'INGEST',
      status: 'RUNNING',
      finishedAt: null,
      dataset: { name: 'subset' },
    });

    const second = await startIngestion(dataset.id);
    expect(second.errors![0]!.extensions).toMatchObject({ code: 'CONFLICT', reason: 'RUN_CONFLICT' });
    expect(second.errors![0]!.message).toContain(first.id);

    const done = await finished(first.id);
    expect(done.status).toBe('SUCCEEDED');
    const crops = done.counts.find((count) => count.name === 'crops')!.value;
    expect(crops).toBeGreaterThan(0);
    expect(done.progress).toContainEqual({ stage: 'embedding', done: crops, total: crops });
    expect(done.problems.totalCount).toBeGreaterThan(0);
    expect(done.problems.edges.map((edge) => edge.node.item)).toContain('images/corrupt.jpg');

    const again = await cancel(first.id);
    expect(again.errors![0]!.extensions).toMatchObject({ code: 'CONFLICT', reason: 'RUN_CONFLICT' });

    // Ingested with its options: the search filter sees the new dataset's crops.
    const search = await graphql<{ searchSimilar: { crop: { datasetId: string } }[] }>(
      api.url,
      `
        query ($id: ID!) {
          searchSimilar(query: { text: "dent", filter: { datasetId: $id }, limit: 100 }) {
            crop {
              datasetId
            }
          }
        }
      `,
      { id: dataset.id },
    );
    expect(search.data!.searchSimilar).toHaveLength(crops);
  });

  it('cancelRun stops a running ingestion: CANCELLED at once, and the run records its end', async () => {
    const dataset = await register(copyFirstSampleImages(sample!, 30), 'to-cancel');
    const { startIngestion: started } = (
      await startIngestion(dataset.id, { batchSize: 1, fusion: 'WEIGHTED', alpha: 0.7 })
    ).data!;
    const cancelled = await cancel(started.id);
    expect(cancelled.data!.cancelRun).toEqual({ id: started.id, status: 'CANCELLED' });
    const done = await finished(started.id);
    expect(done.status).toBe('CANCELLED');
    expect(api.runs.activeRunIds()).not.toContain(started.id);
  });

  it('startIngestion checks its options', async () => {
    const dataset = await register(sample!, 'options');
    const alphaWithoutWeighted = await startIngestion(dataset.id, { alpha: 0.5 });
    expect(errorCodes(alphaWithoutWeighted)).toEqual(['BAD_USER_INPUT']);
    const unknown = await startIngestion('00000000-0000-4000-8000-000000000000');
    expect(unknown.errors![0]!.extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'DATASET_NOT_FOUND' });
  });

  it('startEvaluation runs the evaluation in the background and stores its metrics on the EVALUATE run', async () => {
    const dataset = await register(copyFirstSampleImages(sample!, 24), 'evaluated');
    const response = await graphql<{ startEvaluation: RunResult }>(
      api.url,
      `mutation($id: ID!) { startEvaluation(datasetId: $id, options: { k: [1, 5], alphas: [0.5], modes: [FUSED, TEXT], discovery: true }) { ${RUN_FIELDS} } }`,
      { id: dataset.id },
    );
    expect(response.errors).toBeUndefined();
    expect(response.data!.startEvaluation).toMatchObject({ kind: 'EVALUATE', status: 'RUNNING' });
    const done = await finished(response.data!.startEvaluation.id);
    expect(done.status, done.errorCode ?? '').toBe('SUCCEEDED');
    const metrics = done.metrics!;
    expect(metrics.k).toEqual([1, 5]);
    expect(metrics.rankingK).toBe(5);
    expect(metrics.ranking.length).toBeGreaterThan(0);
    for (const configuration of metrics.configurations) {
      expect(configuration.exact.type.precision.map(({ k }) => k)).toEqual([1, 5]);
      // Every damaged query with a known type has one first result, shared among its types.
      for (const row of configuration.types) {
        const firstResults = row.firstResult.reduce((sum, cell) => sum + cell.queries, 0);
        expect(firstResults).toBeCloseTo(row.queries, 9);
      }
    }
    expect(metrics.configurations[0]!.types.map((row) => row.type)).toEqual(['damage']);
    // The first 24 photos of the sample all come from one source (stem `cdd_…`).
    expect(metrics.sources.map((source) => source.source)).toEqual(['cdd']);
    expect(metrics.sources[0]!.configurations.map((configuration) => configuration.label)).toEqual(
      metrics.configurations.map((configuration) => configuration.label),
    );
    expect(metrics.control.bySource.map((source) => source.source)).toEqual(['cdd']);
    // Asked for: discovery precision@k of the damaged test photos' windows, with the run's cut-offs.
    const discovery = metrics.discovery!;
    expect(discovery.windows).toBeGreaterThan(discovery.photos);
    expect(discovery.k).toEqual([1, 5]);
    expect(discovery.results.map((result) => `${result.retriever}/${result.onePerPhoto}`)).toEqual([
      'model/false',
      'trivial/false',
      'model/true',
      'trivial/true',
      'random/false',
    ]);
    for (const { rows } of discovery.results) {
      expect(rows.at(-1)!.type).toBe('all');
      for (const at of rows.flatMap((row) => row.atK)) {
        expect(at.sameType).toBeGreaterThanOrEqual(0);
        expect(at.anyType).toBeLessThanOrEqual(1);
      }
    }
    const random = discovery.results.at(-1)!.rows.at(-1)!.atK[0]!;
    expect(random.anyType).toBeCloseTo(discovery.windowsWithDefect / discovery.windows, 10);
    // The report's files by URL, never as server paths.
    expect(metrics.files).toEqual({
      json: `/runs/${done.id}/report/evaluation.json`,
      markdown: `/runs/${done.id}/report/evaluation.md`,
      plot: `/runs/${done.id}/report/precision-at-k.svg`,
    });
    const json = await fetch(`${api.url}${metrics.files.json}`);
    expect(json.status).toBe(200);
    expect(((await json.json()) as { runId: string }).runId).toBe(done.id);
    const markdown = await fetch(`${api.url}${metrics.files.markdown}`);
    expect(markdown.status).toBe(200);
    expect(await markdown.text()).toContain('#');
    const plot = await fetch(`${api.url}${metrics.files.plot}`);
    expect(plot.status).toBe(200);
    expect(plot.headers.get('content-type')).toContain('svg');
    // Only those files of that run: other names, traversal, unknown or malformed runs are refused.
    for (const refused of [
      `/runs/${done.id}/report/split.json`,
      `/runs/${done.id}/report/..%2F..%2Fevaluation.json`,
      `/runs/${done.id}/report/%2Fetc%2Fpasswd`,
    ]) {
      const response = await fetch(`${api.url}${refused}`);
      expect(response.status, refused).toBe(404);
      expect(
        ((await response.json()) as { errors: { extensions: { reason: string } }[] }).errors[0]!.extensions.reason,
      ).toBe('REPORT_NOT_FOUND');
    }
    for (const refused of [
      '/runs/00000000-0000-4000-8000-000000000000/report/evaluation.json',
      '/runs/nope/report/evaluation.json',
    ]) {
      const response = await fetch(`${api.url}${refused}`);
      expect(response.status, refused).toBe(404);
      expect(
        ((await response.json()) as { errors: { extensions: { reason: string } }[] }).errors[0]!.extensions.reason,
      ).toBe('RUN_NOT_FOUND');
    }
  });

  it('runs(first, after) walks every run exactly once, newest first, and filters', async () => {
    const dataset = await register(sample!, 'paged');
    for (let i = 0; i < 7; i++)
      await backend.db.runs.create({ datasetId: dataset.id, kind: i % 2 ? 'EVALUATE' : 'INGEST' });
    const all = (await backend.db.runs.list({}, { first: 100 })).items;
    expect(all.length).toBeGreaterThan(9);

    type Page = {
      runs: {
        totalCount: number;
        pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
        edges: { cursor: string; node: { id: string } }[];
      };
    };
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const page: Page = (
        await graphql<Page>(
          api.url,
          `
            query ($after: String) {
              runs(first: 3, after: $after) {
                totalCount
                pageInfo {
                  hasNextPage
                  hasPreviousPage
                  endCursor
                }
                edges {
                  cursor
                  node {
                    id
                  }
                }
              }
            }
          `,
          { after },
        )
      ).data!;
      pages++;
      expect(page.runs.totalCount).toBe(all.length);
      expect(page.runs.pageInfo.hasPreviousPage).toBe(after !== null);
      expect(page.runs.edges.length).toBeLessThanOrEqual(3);
      seen.push(...page.runs.edges.map((edge) => edge.node.id));
      if (!page.runs.pageInfo.hasNextPage) break;
      after = page.runs.pageInfo.endCursor;
      expect(after).toBe(page.runs.edges.at(-1)!.cursor);
    }
    expect(pages).toBe(Math.ceil(all.length / 3));
    expect(seen).toEqual(all.map((record) => record.id));

    const filtered = await graphql<Page>(
      api.url,
      `
        query ($id: ID!) {
          runs(filter: { datasetId: $id, kind: EVALUATE }, first: 100) {
            totalCount
            pageInfo {
              hasNextPage
              hasPreviousPage
              endCursor
            }
            edges {
              cursor
              node {
                id
              }
            }
          }
        }
      `,
      { id: dataset.id },
    );
    expect(filtered.data!.runs.totalCount).toBe(3);

    const badCursor = await graphql(
      api.url,
      `
        {
          runs(after: "not-a-cursor") {
            totalCount
          }
        }
      `,
    );
    expect(errorCodes(badCursor)).toEqual(['BAD_USER_INPUT']);
  });

  it('close() waits for a running job, which ends CANCELLED instead of being left RUNNING', async () => {
    const dataset = await register(copyFirstSampleImages(sample!, 30), 'shutdown');
    const second = await createApiServer(backend, { port: 0, host: '127.0.0.1' });
    const started = await graphql<{ startIngestion: { id: string } }>(
      second.url,
      `
        mutation ($id: ID!) {
          startIngestion(datasetId: $id, options: { batchSize: 1 }) {
            id
          }
        }
      `,
      { id: dataset.id },
    );
    const runId = started.data!.startIngestion.id;
    expect(second.runs.activeRunIds()).toEqual([runId]);
    await second.close();
    expect(second.runs.activeRunIds()).toEqual([]);
    expect(await backend.db.runs.get(runId)).toMatchObject({ status: 'CANCELLED', errorCode: 'RUN_CANCELLED' });
  });
});
