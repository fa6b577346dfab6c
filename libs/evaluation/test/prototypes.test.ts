import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copySampleSubset, imageOnlyTestModel, sampleDatasetOrSkip } from '@defect-rag/testing';
import { labelPrototype } from '@defect-rag/search';
import { loadTaxonomy, zonesWithin } from '@defect-rag/taxonomy';
import { type Backend } from '@defect-rag/runs';
import { startTestBackend } from '@defect-rag/runs/testing';
import { evaluateDataset, type EvaluationSummary } from '../src';
import { labelPrompt } from '../src/queries';
import { loadCrops } from '../src/retrieval';

const sample = sampleDatasetOrSkip();
const STEMS = [
  'cdd_1',
  'cdd_10',
  'cdd_13',
  'cdd_14',
  'cdd_15',
  'cdd_16',
  'cdd_17',
  'cps_car10',
  'cps_car32',
  'cps_car4',
  'cps_te10',
];
const LABEL = 'prompt → image (label prototypes)';

describe.skipIf(!sample)('an image-only model evaluates text queries through label prototypes (random weights)', () => {
  let backend: Backend;
  let stop: () => Promise<void>;
  let summary: EvaluationSummary;
  const modelDir = imageOnlyTestModel();
  const outDir = mkdtempSync(path.join(tmpdir(), 'defect-rag-prototypes-'));

  beforeAll(async () => {
    ({ backend, stop } = await startTestBackend(undefined, modelDir));
    summary = await evaluateDataset(backend, {
      datasetDir: copySampleSubset(sample!, STEMS),
      name: 'prototypes',
      modelDir,
      outDir,
      photoView: 'resized',
    });
  }, 300_000);

  afterAll(async () => {
    await stop?.();
    rmSync(outDir, { recursive: true, force: true });
  });

  it('runs TEXT mode as a model configuration over every test crop, named as prototype-based in the report', () => {
    const { report } = summary;
    expect(report.modes).toEqual(['image', 'text']);
    const text = report.configurations.find((configuration) => configuration.label === LABEL)!;
    expect(text).toMatchObject({ role: 'model', mode: 'text' });
    const image = report.configurations.find((configuration) => configuration.label === 'image → image')!;
    expect(text.exact.overall.queries).toBe(image.exact.overall.queries);
    expect(readFileSync(path.join(outDir, 'evaluation.md'), 'utf8')).toContain(
      'answered by label prototypes: the mean image vector of the train crops with those labels',
    );
  });

  it('builds the prototypes from the train crops alone', async () => {
    const { datasetId } = summary;
    const collection = await backend.collection(await backend.embedder(modelDir));
    const taxonomy = loadTaxonomy();
    const [train = [], test = []] = await Promise.all(
      (['train', 'test'] as const).map((split) => loadCrops(backend.vectorStore, collection, { datasetId, split })),
    );
    const damaged = test.find((crop) => crop.labels.hasDamage && labelPrompt(crop.labels, taxonomy) !== '')!;
    const prompt = labelPrompt(damaged.labels, taxonomy);
    const prototype = await labelPrototype(backend, collection, taxonomy, prompt, { datasetId, split: 'train' });
    const { damageTypes } = prototype.labels;
    const zones = zonesWithin(taxonomy, prototype.labels.zones);
    const matching = train.filter(
      (crop) =>
        crop.payload.damage_types.some((type) => damageTypes.includes(type)) &&
        (prototype.labels.zones.length === 0 || zones.includes(crop.payload.vehicle_zone)),
    );
    expect(prototype.crops).toBe(matching.length);
    const sum = damaged.vectors.image.map((_, d) =>
      matching.reduce((total, crop) => total + crop.vectors.image[d]!, 0),
    );
    const norm = Math.hypot(...sum);
    expect(Array.from(prototype.vector)).toEqual(Array.from(sum, (value) => expect.closeTo(value / norm, 5)));
  });

  it('refuses fused queries by name', async () => {
    await expect(
      evaluateDataset(backend, {
        datasetDir: copySampleSubset(sample!, STEMS),
        name: 'fused',
        modelDir,
        modes: ['fused'],
      }),
    ).rejects.toMatchObject({ code: 'MODE_UNSUPPORTED' });
  });
});
