import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPathOrSkip } from '@defect-rag/testing';
import { type Backend } from '@defect-rag/runs';
import { startTestBackend } from '@defect-rag/runs/testing';
import { evaluateDataset, type EvaluationMetrics, type EvaluationSummary } from '../src';
import { typedSubset } from './typed-subset';

const typed = sharedPathOrSkip('datasets/vehicle-damage-typed');

/** A seeded subset of the typed set (every photo damaged, five types): a few test photos, tens of windows. */
const PHOTOS_PER_SOURCE = { lns: 14, ilj: 10 } as const;

describe.skipIf(!typed)('evaluate --discovery on a typed subset (the random-weight test model)', () => {
  let backend: Backend;
  let stop: () => Promise<void>;
  let summary: EvaluationSummary;
  let datasetDir: string;
  const outDir = mkdtempSync(path.join(tmpdir(), 'defect-rag-evaluate-discovery-'));

  beforeAll(async () => {
    datasetDir = typedSubset(typed!, PHOTOS_PER_SOURCE, 'discovery-subset');
    ({ backend, stop } = await startTestBackend());
    summary = await evaluateDataset(backend, {
      datasetDir,
      name: 'typed-discovery',
      k: [1, 5],
      alphas: [0.5],
      modes: ['image'],
      outDir,
      discovery: true,
    });
  }, 300_000);

  afterAll(async () => {
    await stop?.();
    rmSync(outDir, { recursive: true, force: true });
    if (datasetDir) rmSync(datasetDir, { recursive: true, force: true });
  });

  it('reports discovery precision@k of the test split’s damaged photos, against trivial features and random windows', async () => {
    const discovery = summary.report.discovery!;
    expect(discovery).not.toBeNull();
    expect(discovery.randomWeights).toBe(true);
    expect(discovery.ks).toEqual([1, 5]);
    // The evaluation's own split: every damaged test photo of it, and no more.
    const split = JSON.parse(readFileSync(path.join(outDir, 'split.json'), 'utf8')) as {
      images: { split: string }[];
    };
    expect(discovery.testPhotos).toBe(split.images.filter((image) => image.split === 'test').length);
    expect(discovery.photos).toBe(discovery.testPhotos);
    expect(discovery.windows).toBeGreaterThan(discovery.photos);
    expect(discovery.windowsWithDefect).toBeGreaterThan(0);
    expect(discovery.results.map((result) => `${result.retriever}/${result.onePerPhoto}`)).toEqual([
      'model/false',
      'trivial/false',
      'model/true',
      'trivial/true',
      'random/false',
    ]);
    for (const { rows } of discovery.results) {
      expect(rows.at(-1)!.type).toBe('all');
      for (const row of rows) {
        expect(row.atK.map((at) => at.k)).toEqual([1, 5]);
        for (const at of row.atK) {
          expect(at.sameType).toBeGreaterThanOrEqual(0);
          expect(at.sameType).toBeLessThanOrEqual(at.anyType);
          expect(at.anyType).toBeLessThanOrEqual(1);
        }
      }
    }
    // Random windows: the share of windows that show a hidden defect, at every k.
    const random = discovery.results.at(-1)!.rows.at(-1)!;
    for (const at of random.atK) expect(at.anyType).toBeCloseTo(discovery.windowsWithDefect / discovery.windows, 10);
    expect(existsSync(path.join(outDir, 'discovery', 'windows'))).toBe(true);
  });

  it('writes it into evaluation.json, evaluation.md and the run’s metrics', async () => {
    const json = JSON.parse(readFileSync(summary.files.json, 'utf8')) as EvaluationSummary['report'];
    expect(json.discovery).toEqual(summary.report.discovery);
    const markdown = readFileSync(summary.files.markdown, 'utf8');
    expect(markdown).toContain('## Discovery in unlabelled photos');
    expect(markdown).toContain(`${summary.report.discovery!.windows} unmasked windows`);
    const run = await backend.db.runs.get(summary.runId);
    expect((run!.metrics as EvaluationMetrics).discovery).toEqual(summary.report.discovery);
    expect(run!.params).toMatchObject({ discovery: true });
  });
});
