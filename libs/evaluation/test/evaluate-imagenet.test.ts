import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageNetModelOrSkip, sampleDatasetOrSkip } from '@defect-rag/testing';
import { evaluateDataset, type EvaluationSummary } from '../src';
import { type Backend } from '@defect-rag/runs';
import { startTestBackend } from '@defect-rag/runs/testing';

const sample = sampleDatasetOrSkip();
const imageNet = imageNetModelOrSkip();

/**
 * Retrieval quality with a real pretrained image model on the shared sample. Its damaged and clean
 * photos come from different sources, so damaged-vs-clean agreement over the whole sample partly
 * measures the source; these assertions use the controls, where it cannot.
 */
describe.skipIf(!sample || !imageNet)('the evaluation with the real ImageNet image model on the shared sample', () => {
  let backend: Backend;
  let stop: () => Promise<void>;
  let summary: EvaluationSummary;
  const outDir = mkdtempSync(path.join(tmpdir(), 'defect-rag-imagenet-'));

  beforeAll(async () => {
    ({ backend, stop } = await startTestBackend());
    // Photo points in one resized view: tiles cost about 16 model runs per 1024-px photo, and the
    // README's tiles-against-resized figures come from the CLI, not from this test.
    summary = await evaluateDataset(backend, {
      datasetDir: sample!,
      name: 'sample',
      modelDir: imageNet!,
      outDir,
      photoView: 'resized',
    });
  }, 900_000);

  afterAll(async () => {
    await stop?.();
    rmSync(outDir, { recursive: true, force: true });
  });

  it('evaluates an image-only model with image queries, text through label prototypes and both baselines, without a text upper bound', () => {
    const { report } = summary;
    expect(report.model).toEqual({
      id: 'defect-rag/inception-v3-imagenet',
      randomWeights: false,
      towers: ['image'],
      space: 'shared',
      adapter: null,
    });
    expect(report.modes).toEqual(['image', 'text']);
    expect(report.configurations.map((configuration) => configuration.label)).toEqual([
      'image → image',
      'prompt → image (label prototypes)',
      'baseline: random vectors',
      'baseline: trivial features',
    ]);
  });

  it('same-source control: damaged vs clean P@1 beats random vectors by at least 0.1', () => {
    const [model, random] = summary.report.control.retrievers;
    expect(model!.role).toBe('model');
    expect(random!.label).toBe('baseline: random vectors');
    // Balanced, so chance is about one half.
    expect(random!.damage.precision!).toBeGreaterThan(0.35);
    expect(random!.damage.precision!).toBeLessThan(0.65);
    expect(model!.damage.precision! - random!.damage.precision!).toBeGreaterThanOrEqual(0.1);
  });

  it('compares crops and whole photos on the same photos: photo vectors beat random vectors on damaged vs clean', () => {
    const { levels } = summary.report;
    expect(levels.view).toBe('resized');
    expect(levels.testPhotos).toBeGreaterThanOrEqual(15);
    const p1 = (label: string) =>
      levels.configurations.find((configuration) => configuration.label === label)!.metrics.overall.criteria.damage
        .precision[1]!;
    // At least 0.1 in exact terms: with ~20 test photos the difference moves in steps of 0.05, and
    // e.g. 0.6 − 0.5 is 0.0999… in floating point.
    expect(p1('photo → photos') - p1('baseline: random vectors, photo → photos')).toBeGreaterThanOrEqual(0.1 - 1e-9);
    expect(p1('photo crops → photos (best crop)')).toBeGreaterThan(p1('baseline: random vectors, photo → photos'));
  });

  it('zone P@1 within clean crops (other photos only) is at least 0.55', () => {
    const model = summary.report.agreement.find((retriever) => retriever.role === 'model')!;
    expect(model.zone.withinClean.queries).toBeGreaterThan(100);
    expect(model.zone.withinClean.precision!).toBeGreaterThanOrEqual(0.55);
  });
});
