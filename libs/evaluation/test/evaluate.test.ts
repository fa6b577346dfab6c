import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProgressEvent } from '@defect-rag/runtime';
import { sampleDatasetOrSkip } from '@defect-rag/testing';
import {
  evaluateDataset,
  RANDOM_MODEL_WARNING,
  type EvaluationMetrics,
  type EvaluationSummary,
  type MetricSet,
} from '../src';
import { type Backend, type RunRecord } from '@defect-rag/runs';
import { fuse } from '@defect-rag/embedding';
import { loadTaxonomy } from '@defect-rag/taxonomy';
import { queryPrompt } from '../src/queries';
import { loadCrops, memoryRetriever, qdrantRetriever, type EvaluationCrop } from '../src/retrieval';
import { startTestBackend } from '@defect-rag/runs/testing';

const sample = sampleDatasetOrSkip();

const MODEL_LABELS = [
  'image+prompt α=0.25',
  'image+prompt α=0.5',
  'image → fused',
  'image → image',
  'prompt → fused',
  'prompt → text',
];

/** Every metric value of a set (not the query counts), defined or not. */
function metricValues(set: MetricSet): (number | null)[] {
  return [
    ...Object.values(set.criteria).flatMap((criterion) => [
      ...Object.values(criterion.precision),
      ...Object.values(criterion.recall),
      ...Object.values(criterion.map),
      criterion.mrr,
    ]),
    ...Object.values(set.criticalRecall),
    ...Object.values(set.strictCriticalRecall),
    ...Object.values(set.composite),
    set.confusion.accuracy,
  ];
}

describe.skipIf(!sample)('evaluateDataset on the shared sample with the tiny model', () => {
  let backend: Backend;
  let stop: () => Promise<void>;
  let summary: EvaluationSummary;
  const tempDirs: string[] = [];
  const started: RunRecord[] = [];
  const events: ProgressEvent[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'defect-rag-evaluation-'));
    tempDirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    ({ backend, stop } = await startTestBackend(tempDir()));
    // No split given and none stored: the evaluation makes the default one.
    summary = await evaluateDataset(
      backend,
      { datasetDir: sample!, name: 'sample', alphas: [0.25, 0.5], outDir: tempDir() },
      { onRunStarted: (run) => started.push(run), onProgress: (event) => events.push(event) },
    );
  }, 180_000);

  afterAll(async () => {
    await stop?.();
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('records a succeeded EVALUATE run with its metrics and the paths of the report files', async () => {
    const run = await backend.db.runs.get(summary.runId);
    expect(run).toMatchObject({
      kind: 'EVALUATE',
      status: 'SUCCEEDED',
      datasetId: summary.datasetId,
      modelId: 'defect-rag/tiny-clip',
    });
    const metrics = run.metrics as EvaluationMetrics;
    expect(metrics.files).toEqual(summary.files);
    expect(metrics.randomWeights).toBe(true);
    expect(metrics.ranking.map((row) => row.label).sort()).toEqual([...MODEL_LABELS].sort());
    expect(metrics.testCrops).toBeGreaterThan(0);
    expect(run.counts).toMatchObject({ trainCrops: metrics.trainCrops, testCrops: metrics.testCrops });
    // Discovery is asked for by name only (evaluate-discovery.test.ts): none by default.
    expect(summary.report.discovery).toBeNull();
    expect(metrics.discovery).toBeNull();
    expect(events.some((event) => event.stage === 'discovery')).toBe(false);

    expect(started.map((record) => record.id)).toEqual([summary.runId]);
    expect(started[0]!.status).toBe('RUNNING');
    const evaluate = events.filter((event) => event.stage === 'evaluate');
    // Stored vectors are searched twice (HNSW and exact): 6 configurations of the model, 2 baselines
    // and the upper bound, 4 of them (re-fused α = 0.25, both baselines) in memory alone.
    expect(evaluate.at(-1)).toEqual({ stage: 'evaluate', done: evaluate.at(-1)!.total, total: metrics.testCrops * 15 });

    const ingestion = await backend.db.runs.get(summary.report.ingestion.runId);
    expect(ingestion).toMatchObject({ kind: 'INGEST', status: 'SUCCEEDED' });
    // The default split is kept under the data dir and copied next to the report.
    expect(summary.report.split.file).toBe(path.join(backend.config.dataDir, 'splits', 'sample', 'split.json'));
    expect(readFileSync(path.join(summary.outDir, 'split.json'), 'utf8')).toBe(
      readFileSync(summary.report.split.file, 'utf8'),
    );
  });

  it('writes the report: model id, the random-model warning at the top, ranking, per-mode tables and the plot', async () => {
    const markdown = readFileSync(summary.files.markdown, 'utf8');
    const top = markdown.split('\n').slice(0, 4).join('\n');
    expect(top.toLowerCase()).toContain(RANDOM_MODEL_WARNING);
    expect(markdown).toContain('`defect-rag/tiny-clip`');
    expect(markdown).toContain('## Ranking by composite@10');
    for (const label of MODEL_LABELS) {
      expect(markdown).toMatch(
        new RegExp(
          `### ${label.replace('+', '\\+')}\\n\\n[^\\n]+\\n\\n\\| metric \\| exact @1 \\| exact @5 \\| exact @10 `,
        ),
      );
    }
    expect(markdown).toContain('## The model against baselines at k = 1');
    expect(markdown).toContain('## Same-source control');
    expect(markdown).toContain('](precision-at-k.svg)');
    expect(markdown).toContain('### Per zone of the test crop');

    const svg = readFileSync(summary.files.plot, 'utf8');
    // Three panels, one line per configuration in each.
    expect(svg.match(/<polyline /g)).toHaveLength(3 * summary.report.configurations.length);
    const rendered = await sharp(Buffer.from(svg)).png().toBuffer();
    expect((await sharp(rendered).metadata()).width).toBeGreaterThan(600);

    expect(JSON.parse(readFileSync(summary.files.json, 'utf8'))).toEqual(JSON.parse(JSON.stringify(summary.report)));
  });

  it('queries with prompts written from the labels by a template, never with a stored description of a test crop', async () => {
    const test = await loadCrops(backend.vectorStore, summary.report.collection, {
      datasetId: summary.datasetId,
      split: 'test',
    });
    const taxonomy = loadTaxonomy();
    expect(summary.report.prompts).toEqual([...new Set(test.map((crop) => queryPrompt(crop.labels, taxonomy)))].sort());
    const descriptions = new Set(test.map((crop) => crop.payload.text_description));
    for (const prompt of summary.report.prompts) expect(descriptions.has(prompt)).toBe(false);
    expect(summary.report.prompts).toContain('a photo of clean undamaged bodywork on the front of a car');
  });

  it('reports both baselines and the upper bound in every report, ranking only the model', () => {
    const roles = Object.fromEntries(summary.report.configurations.map((c) => [c.label, c.role]));
    expect(roles).toMatchObject({
      'baseline: random vectors': 'baseline',
      'baseline: trivial features': 'baseline',
      'upper bound: stored description → text': 'upper-bound',
    });
    expect(summary.report.ranking.every((row) => roles[row.label] === 'model')).toBe(true);
    // Every shape of the sample is labelled "damage", an unknown type: no critical query, so no composite.
    for (const configuration of summary.report.configurations)
      expect(Object.values(configuration.exact.overall.composite).every((value) => value === null)).toBe(true);
    expect(summary.report.findings.join('\n')).toContain('composite are not available');
    // The control's test-split figure, by which an adapted model is judged, is stated beside the whole one.
    const testModel = summary.report.control.testSplit.retrievers.find((retriever) => retriever.role === 'model')!;
    expect(summary.report.findings.join('\n')).toContain(
      `on the test photos alone (their ${summary.report.control.testSplit.queries} items against every other photo's): ` +
        `damaged vs clean P@1 ${testModel.damage.precision!.toFixed(3)}`,
    );
  });

  it('runs the same-source control: clean windows of the damaged photos, away from every defect, beside their damage crops', async () => {
    const { control } = summary.report;
    expect(control.damagedCrops).toBeGreaterThan(50);
    expect(control.cleanWindows).toBeGreaterThan(20);
    expect(control.retrievers.map((retriever) => retriever.label)).toEqual([
      'defect-rag/tiny-clip image vectors',
      'baseline: random vectors',
      'baseline: trivial features',
    ]);
    const windows = readdirSync(path.join(control.windowsDir, 'crops'));
    expect(windows.length).toBeGreaterThanOrEqual(control.cleanWindows);
    // Unmasked: a window mostly on the vehicle has few black pixels.
    const { data } = await sharp(path.join(control.windowsDir, 'crops', windows[0]!))
      .raw()
      .toBuffer({ resolveWithObject: true });
    let black = 0;
    for (let p = 0; p < data.length; p += 3) if (data[p]! < 8 && data[p + 1]! < 8 && data[p + 2]! < 8) black++;
    expect(black / (data.length / 3)).toBeLessThan(0.3);
    for (const retriever of control.retrievers) {
      expect(retriever.damage.queries).toBe(control.damagedCrops + control.cleanWindows);
      expect(retriever.damage.precision).toBeGreaterThanOrEqual(0);
    }
  });

  it('keeps every metric in [0, 1], and the overall precision defined for every search', () => {
    const sets = summary.report.configurations.flatMap((configuration) =>
      [configuration.exact, configuration.hnsw].flatMap((search) =>
        search ? [search.overall, ...Object.values(search.byZone), ...Object.values(search.byType)] : [],
      ),
    );
    expect(sets.length).toBeGreaterThan(10);
    for (const set of sets) {
      for (const value of metricValues(set)) {
        if (value !== null) expect(value).toBeGreaterThanOrEqual(0);
        if (value !== null) expect(value).toBeLessThanOrEqual(1 + 1e-12);
      }
    }
    for (const configuration of summary.report.configurations) {
      for (const k of summary.report.k) expect(configuration.exact.overall.criteria.damage.precision[k]).not.toBeNull();
      for (const value of Object.values(configuration.annRecall ?? {})) expect(value).toBeGreaterThanOrEqual(0);
    }
    // Re-fused vectors exist in no HNSW index; stored ones are searched both ways.
    expect(summary.report.configurations.find((configuration) => configuration.alpha === 0.25)!.hnsw).toBeNull();
    expect(summary.report.configurations.find((configuration) => configuration.alpha === 0.5)!.hnsw).not.toBeNull();
  });

  describe('the searches the evaluation runs', () => {
    let train: EvaluationCrop[];
    let test: EvaluationCrop[];
    const filter = () => ({ datasetId: summary.datasetId, split: 'train' });

    beforeAll(async () => {
      train = await loadCrops(backend.vectorStore, summary.report.collection, filter());
      test = await loadCrops(backend.vectorStore, summary.report.collection, {
        datasetId: summary.datasetId,
        split: 'test',
      });
      expect(train.length).toBe(summary.report.split.trainCrops);
    });

    it('find a crop of the index at rank 1 in exact mode when it queries with its own vectors', async () => {
      const queries = train.filter((_, i) => i % 25 === 0);
      for (const using of ['image', 'fused', 'text'] as const) {
        // The whole index, so that a group of crops tied for first place is never cut off.
        const search = qdrantRetriever(backend.vectorStore, summary.report.collection, {
          using,
          queryVector: (crop) => crop.vectors[using]!,
          filter: filter(),
          limit: train.length,
          exact: true,
        });
        for (const query of queries) {
          const hits = await search(query);
          expect(hits[0]!.score).toBeCloseTo(1, 4);
          // Identical descriptions give identical text vectors: then the crop is among those tied first.
          const tiedFirst = hits.filter((hit) => hit.score === hits[0]!.score).map((hit) => hit.crop.cropId);
          expect(using === 'text' ? tiedFirst : [hits[0]!.crop.cropId]).toContain(query.labels.cropId);
        }
      }
      const refuse = (crop: EvaluationCrop) =>
        fuse(crop.vectors.image, crop.vectors.text!, { strategy: 'weighted', alpha: 0.25 }, 'shared');
      const refused = memoryRetriever(train, { indexVector: refuse, queryVector: refuse, limit: 5 });
      for (const query of queries) expect((await refused(query))[0]!.crop.cropId).toBe(query.labels.cropId);
    });

    it('the in-memory search of re-fused vectors ranks as Qdrant does on the stored fused vectors', async () => {
      const refuse = (crop: EvaluationCrop) =>
        fuse(
          crop.vectors.image,
          crop.vectors.text!,
          { strategy: 'weighted', alpha: summary.report.indexAlpha },
          'shared',
        );
      const inMemory = memoryRetriever(train, { indexVector: refuse, queryVector: refuse, limit: 10 });
      const qdrant = qdrantRetriever(backend.vectorStore, summary.report.collection, {
        using: 'fused',
        queryVector: (crop) => crop.vectors.fused!,
        filter: filter(),
        limit: 10,
        exact: true,
      });
      for (const query of test.slice(0, 15)) {
        const [mine, theirs] = [await inMemory(query), await qdrant(query)];
        expect(mine.map((hit) => hit.crop.cropId)).toEqual(theirs.map((hit) => hit.crop.cropId));
        mine.forEach((hit, i) => expect(hit.score).toBeCloseTo(theirs[i]!.score, 4));
      }
    });
  });

  it('a second evaluation finds the stored split and embeds nothing again', async () => {
    const again = await evaluateDataset(backend, {
      datasetDir: sample!,
      name: 'sample',
      modes: ['image'],
      k: [3, 1],
      outDir: tempDir(),
    });
    expect(again.report.ingestion.embedded).toBe(0);
    expect(again.report.split.file).toBe(summary.report.split.file);
    expect(again.report.k).toEqual([1, 3]);
    expect(again.report.ranking.map((row) => row.label)).toEqual(['image → image', 'image → fused']);
    expect(again.report.split.testCrops).toBe(summary.report.split.testCrops);
  });

  it('a cancelled evaluation ends CANCELLED and writes no report', async () => {
    const controller = new AbortController();
    controller.abort();
    const outDir = path.join(tempDir(), 'never');
    let run: RunRecord | undefined;
    await expect(
      evaluateDataset(
        backend,
        { datasetDir: sample!, name: 'sample', outDir },
        { signal: controller.signal, onRunStarted: (record) => (run = record) },
      ),
    ).rejects.toMatchObject({ code: 'RUN_CANCELLED' });
    expect((await backend.db.runs.get(run!.id)).status).toBe('CANCELLED');
    expect(existsSync(outDir)).toBe(false);
  });

  it('refuses invalid options before any work', async () => {
    await expect(evaluateDataset(backend, { datasetDir: sample!, k: [0] })).rejects.toMatchObject({
      code: 'BAD_INPUT',
    });
    await expect(evaluateDataset(backend, { datasetDir: sample!, alphas: [1.5] })).rejects.toMatchObject({
      code: 'BAD_INPUT',
    });
    await expect(evaluateDataset(backend, { datasetDir: sample!, modes: [] })).rejects.toMatchObject({
      code: 'BAD_INPUT',
    });
    await expect(evaluateDataset(backend, { datasetDir: sample!, sourcePattern: '([' })).rejects.toMatchObject({
      code: 'BAD_INPUT',
    });
  });
});
