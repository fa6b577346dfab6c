import { existsSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { CropConfig } from '@defect-rag/crops';
import { readDataset, readSplitFile, safeName, splitDataset, splitHash, SPLIT_FILE } from '@defect-rag/dataset';
import type { RunRecord } from '@defect-rag/db';
import {
  fusionImageWeight,
  PHOTO_VIEWS,
  type Embedder,
  type FusionOptions,
  type PhotoView,
} from '@defect-rag/embedding';
import {
  DefectRagError,
  isDefectRagError,
  noProgress,
  VECTOR_KINDS,
  type ProgressListener,
  type VectorKind,
} from '@defect-rag/runtime';
import { datasetTaxonomyFile, loadTaxonomy, TaxonomyNormalizer } from '@defect-rag/taxonomy';
import {
  ingestInRun,
  ingestionRunSpec,
  planIngestion,
  taxonomyClassifier,
  type IngestOptions,
} from '@defect-rag/ingestion';
import { openRun, withDatasetLock, type ActiveRun, type Backend } from '@defect-rag/runs';
import { labelPrototype, MAX_SEARCH_LIMIT } from '@defect-rag/search';
import { precisionPlotSvg } from './plot';
import { agreementAtOne, runSameSourceControl, type AgreementItem } from './control';
import { trivialFeatures } from './features';
import { runProtocol } from './protocol';
import { labelPrompt, queryPrompt, randomVector, searchSpecs, unit } from './queries';
import {
  formatReportMarkdown,
  rankConfigurations,
  toRunMetrics,
  type EvaluationFiles,
  type EvaluationReport,
} from './report';
import { measureDiscovery } from './discovery';
import { findings } from './findings';
import { compareLevels } from './levels';
import { CRITERIA } from './relevance';
import { loadCrops, type EvaluationCrop } from './retrieval';
import { DEFAULT_SOURCE_PATTERN, sourceNamer, withinSources } from './sources';

export interface EvaluateOptions {
  datasetDir: string;
  /** Dataset name; the folder's name by default. */
  name?: string;
  /**
   * `split.json` from `defect-rag split`. By default the split of the dataset's last ingestion,
   * else a new seeded split written to `<dataDir>/splits/<name>/split.json`.
   */
  splitFile?: string;
  /** Cut-offs; default 1, 5, 10. */
  k?: number[];
  /** Image weights of the fused mode; default 0, 0.25, 0.5, 0.75, 1. */
  alphas?: number[];
  /** Default all three. */
  modes?: VectorKind[];
  /** Default `<dataDir>/evaluations/<runId>`. */
  outDir?: string;
  /** Model folder; the configured one by default. */
  modelDir?: string;
  /** How photo points see the photos; that of the last ingestion by default (see IngestOptions). */
  photoView?: PhotoView;
  /**
   * Names a photo's source from its file stem (a regular expression: its first group, else its
   * match); the stem up to the first `_` by default.
   */
  sourcePattern?: string;
  /**
   * Also measures discovery precision@k (`discovery.ts`): the test split's damaged photos as
   * unlabelled windows, found by train damage crops. Off by default: it cuts and embeds every
   * window of those photos (minutes with a real model).
   */
  discovery?: boolean;
}

export interface EvaluateHooks {
  onProgress?: ProgressListener;
  /**
   * Called once the EVALUATE run exists: right after the ingestion that brings the index up to
   * date has started, before its work.
   */
  onRunStarted?: (run: RunRecord) => void;
  signal?: AbortSignal;
}

export interface EvaluationSummary {
  runId: string;
  datasetId: string;
  modelId: string;
  randomWeights: boolean;
  outDir: string;
  files: EvaluationFiles;
  report: EvaluationReport;
}

const settingsSchema = z.object({
  k: z.array(z.number().int().min(1).max(MAX_SEARCH_LIMIT)).min(1).default([1, 5, 10]),
  alphas: z.array(z.number().min(0).max(1)).min(1).default([0, 0.25, 0.5, 0.75, 1]),
  modes: z
    .array(z.enum(VECTOR_KINDS))
    .min(1)
    .default([...VECTOR_KINDS]),
});

const fusionSchema = z.object({ strategy: z.enum(['average', 'weighted']), alpha: z.number().optional() });

/**
 * The settings of an ingestion that decide the stored vectors (its content hash): an evaluation
 * ingests with the same ones, so an indexed dataset is not embedded again.
 */
const ingestionSettingsSchema = z.object({
  splitFile: z.string().nullish(),
  taxonomyFile: z.string().nullish(),
  crop: z.record(z.string(), z.unknown()).nullish(),
  fusion: fusionSchema.nullish(),
  enrich: z.boolean().nullish(),
  photoView: z.enum(PHOTO_VIEWS).nullish(),
});

/**
 * Retrieval evaluation as in the original `05_evaluate_rag_hybrid`, recorded as an EVALUATE run:
 *
 * 1. ingests the dataset with the split (and the settings of its last ingestion), which only embeds
 *    what is not indexed yet;
 * 2. queries the train crops with every test crop, for each query mode and fusion weight, through
 *    HNSW and exactly (see `protocol.ts`, metrics in `metrics.ts`);
 * 3. writes `evaluation.json`, `evaluation.md`, `precision-at-k.svg` and a copy of the split into
 *    the output folder, and stores the headline metrics on the run.
 */
export async function evaluateDataset(
  backend: Backend,
  options: EvaluateOptions,
  hooks: EvaluateHooks = {},
): Promise<EvaluationSummary> {
  const parsed = settingsSchema.safeParse(options);
  if (!parsed.success)
    throw new DefectRagError('BAD_INPUT', `invalid evaluation options: ${z.prettifyError(parsed.error)}`);
  const ks = [...new Set(parsed.data.k)].sort((a, b) => a - b);
  const alphas = [...new Set(parsed.data.alphas)].sort((a, b) => a - b);
  const onProgress = hooks.onProgress ?? noProgress;
  const root = path.resolve(options.datasetDir);
  const name = options.name ?? path.basename(root);
  const sourcePattern = options.sourcePattern ?? DEFAULT_SOURCE_PATTERN;
  const sourceOf = sourceNamer(sourcePattern);

  const previous = await lastIngestionSettings(backend, name);
  const taxonomyFile = datasetTaxonomyFile(root, previous.taxonomyFile);
  const splitFile = path.resolve(
    options.splitFile ?? previous.splitFile ?? (await writeDefaultSplit(backend, root, name, taxonomyFile)),
  );

  const started = performance.now();
  const plan = await planIngestion(backend, {
    datasetDir: root,
    name,
    modelDir: options.modelDir,
    splitFile,
    taxonomyFile: previous.taxonomyFile,
    crop: previous.crop,
    fusion: previous.fusion,
    enrich: previous.enrich,
    photoView: options.photoView ?? previous.photoView,
  });
  const params = {
    datasetDir: root,
    name,
    splitFile,
    k: ks,
    alphas,
    modes: parsed.data.modes,
    outDir: options.outDir ?? null,
    modelDir: options.modelDir ?? null,
    sourcePattern,
    discovery: options.discovery ?? false,
  };

  // One lock for both: the index is brought up to date (an INGEST run of its own) and evaluated
  // before another run may change it.
  return withDatasetLock(backend, plan.registration, async (dataset) => {
    const collection = await backend.collection(plan.embedder);
    const ingestRun = await openRun(backend, dataset, ingestionRunSpec(plan, collection), {
      onProgress,
      signal: hooks.signal,
    });
    let run: ActiveRun;
    try {
      run = await openRun(
        backend,
        dataset,
        {
          kind: 'EVALUATE',
          modelId: plan.embedder.modelId,
          collection,
          params: { ...params, ingestRunId: ingestRun.id },
        },
        { onProgress, signal: hooks.signal },
      );
    } catch (error) {
      throw await ingestRun.fail(error);
    }
    hooks.onRunStarted?.(run.record);
    return run.complete(async () => {
      const ingestion = await ingestRun.complete(() => ingestInRun(backend, plan, ingestRun, started));
      const evaluationDir = path.resolve(options.outDir ?? path.join(backend.config.dataDir, 'evaluations', run.id));
      const taxonomy = loadTaxonomy(taxonomyFile);
      const { embedder } = plan;
      const split = await readSplitFile(splitFile);
      const modes = availableModes(embedder, parsed.data.modes, options.modes !== undefined);
      const indexAlpha = fusionImageWeight(ingestion.fusion);
      const result = await run.recorder.stage('evaluate', async () => {
        // Only what is labelled can be scored: the windows of unlabelled photos stay out.
        const datasetFilter = { datasetId: ingestion.datasetId, labelled: true };
        const [train, test, trainPhotos, testPhotos] = await Promise.all([
          loadCrops(backend.vectorStore, ingestion.collection, { ...datasetFilter, split: 'train' }),
          loadCrops(backend.vectorStore, ingestion.collection, { ...datasetFilter, split: 'test' }),
          loadCrops(backend.vectorStore, ingestion.collection, { ...datasetFilter, split: 'train', level: 'photo' }),
          loadCrops(backend.vectorStore, ingestion.collection, { ...datasetFilter, split: 'test', level: 'photo' }),
        ]);
        if (train.length === 0 || test.length === 0) {
          throw new DefectRagError(
            'SPLIT_INVALID',
            `the index holds ${train.length} train and ${test.length} test crops of this dataset; the evaluation needs both`,
            datasetFilter,
          );
        }
        const critical = new Set(taxonomy.damageTypes.filter((type) => type.critical).map((type) => type.id));
        const prompt = embedder.hasTextTower ? queryPrompt : labelPrompt;
        const prompts = new Map(test.map((crop) => [crop.labels.cropId, prompt(crop.labels, taxonomy)]));
        const distinctPrompts = [...new Set(prompts.values())].sort();
        const prototypes =
          modes.includes('text') && !embedder.hasTextTower
            ? await trainPrototypes(backend, ingestion, taxonomy, distinctPrompts, train)
            : { vectors: new Map<string, Float32Array>(), fallbacks: 0 };
        const promptVectors = embedder.hasTextTower
          ? new Map(
              (await embedder.embedTexts(distinctPrompts)).map((vector, i) => [distinctPrompts[i]!, vector] as const),
            )
          : prototypes.vectors;
        const cropsDir = backend.cropsDir(ingestion.datasetId);
        const all = [...train, ...test];
        const trivial = await trivialFeatures(
          all.map((crop) => ({
            cropFile: path.join(cropsDir, crop.payload.file),
            sourceFile: path.join(root, crop.payload.image),
          })),
        );
        const trivialByCrop = new Map(all.map((crop, i) => [crop.labels.cropId, trivial[i]!]));
        // Without a clean crop, every result is "damaged like the query": has_damage is not judged,
        // and damaged vs clean is measured by the same-source control alone.
        const cleanCrops = all.filter((crop) => !crop.labels.hasDamage).length;
        const judged = cleanCrops > 0 ? CRITERIA : CRITERIA.filter((criterion) => criterion !== 'damage');
        const searches = searchSpecs({
          modes,
          alphas,
          indexAlpha,
          hasTextTower: embedder.hasTextTower,
          space: embedder.space,
          prompt: (crop) => promptVectors.get(prompts.get(crop.labels.cropId)!)!,
          prototypeFallbacks: prototypes.fallbacks,
          trivial: (crop) => trivialByCrop.get(crop.labels.cropId)!,
        });
        const configurations = await runProtocol({
          store: backend.vectorStore,
          collection: ingestion.collection,
          datasetId: ingestion.datasetId,
          train,
          test,
          ks,
          critical,
          judged,
          searches,
          onProgress: (done, total) => run.recorder.progress('evaluate', done, total),
          checkCancelled: () => run.checkCancelled(),
        });
        await run.checkCancelled();
        const sources = await withinSources({ train, test, searches, ks, critical, judged, sourceOf });
        const asAgreementItem = (crop: EvaluationCrop): AgreementItem => ({
          photo: crop.payload.image_id,
          source: sourceOf(crop.payload.image),
          damaged: crop.labels.hasDamage,
          zone: crop.labels.zone,
          vectors: {
            model: crop.vectors.image,
            random: randomVector(crop.labels.cropId),
            trivial: trivialByCrop.get(crop.labels.cropId)!,
          },
        });
        // Every crop against the crops of every other photo (leave one photo out): all the dataset's
        // crops ask, not only the test split's, which steadies these small per-group figures.
        const everyCrop = all.map(asAgreementItem);
        const agreement = agreementAtOne(everyCrop, everyCrop, embedder.modelId).map((retriever) =>
          cleanCrops > 0 ? retriever : { ...retriever, damage: { queries: 0, precision: null } },
        );
        await run.checkCancelled();
        const control = await runSameSourceControl({
          testPhotos: new Set(split.images.filter((entry) => entry.split === 'test').map((entry) => entry.image_id)),
          root,
          datasetName: name,
          datasetId: ingestion.datasetId,
          crop: previous.crop,
          normalizer: new TaxonomyNormalizer(taxonomy),
          embedder,
          store: backend.vectorStore,
          collection: ingestion.collection,
          cropsDir,
          outDir: evaluationDir,
          sourceOf,
        });
        await run.checkCancelled();
        const photos = [...trainPhotos, ...testPhotos];
        const photoFeatures = await trivialFeatures(
          photos.map((photo) => {
            const file = path.join(root, photo.payload.image);
            return { cropFile: file, sourceFile: file };
          }),
        );
        const photoTrivial = new Map(photos.map((photo, i) => [photo.labels.cropId, photoFeatures[i]!]));
        const levels = await compareLevels({
          trainCrops: train,
          testCrops: test,
          trainPhotos,
          testPhotos,
          view: ingestion.photos.view,
          ks,
          critical,
          judged,
          trivial: (photo) => photoTrivial.get(photo.labels.cropId)!,
        });
        return {
          trainCrops: train.length,
          testCrops: test.length,
          cleanCrops,
          configurations,
          sources,
          prompts: distinctPrompts,
          agreement,
          control,
          levels,
        };
      });
      await run.checkCancelled();
      const discovery = options.discovery
        ? await run.recorder.stage('discovery', async () =>
            measureDiscovery({
              datasetDir: root,
              embedder,
              cacheDir: path.join(evaluationDir, 'discovery'),
              ks,
              split: await readSplitFile(splitFile),
              taxonomyFile,
              crop: previous.crop,
              onProgress: ({ done, total }) => void run.recorder.progress('discovery', done, total),
            }),
          )
        : null;
      const rankingK = ks.at(-1)!;
      const report: EvaluationReport = {
        runId: run.id,
        createdAt: new Date().toISOString(),
        dataset: { id: ingestion.datasetId, name, root },
        model: {
          id: ingestion.modelId,
          randomWeights: ingestion.randomWeights,
          towers: [...embedder.towers],
          space: embedder.space,
          adapter: embedder.adapter && {
            baseModel: embedder.adapter.baseModel.id,
            dataset: embedder.adapter.training.dataset,
            seed: embedder.adapter.training.seed,
            splitSha256: embedder.adapter.training.split_sha256,
            // Trained on this dataset's train split of this very split: no test photo was seen.
            sameSplit:
              embedder.adapter.training.dataset === name && embedder.adapter.training.split_sha256 === splitHash(split),
          },
        },
        collection: ingestion.collection,
        split: {
          file: splitFile,
          trainCrops: result.trainCrops,
          testCrops: result.testCrops,
          cleanCrops: result.cleanCrops,
        },
        ingestion: {
          runId: ingestion.runId,
          embedded: ingestion.embedded,
          unchanged: ingestion.unchanged,
          problems: ingestion.problems.length,
        },
        indexAlpha,
        k: ks,
        rankingK,
        modes,
        alphas,
        prompts: result.prompts,
        ranking: rankConfigurations(result.configurations, rankingK),
        configurations: result.configurations,
        agreement: result.agreement,
        control: result.control,
        sourcePattern,
        sources: result.sources,
        levels: result.levels,
        discovery,
        findings: findings(result.configurations, result.agreement, result.control, result.sources, result.cleanCrops),
      };
      const files = await writeReport(evaluationDir, report, splitFile);
      await run.recorder.counts({
        trainCrops: result.trainCrops,
        testCrops: result.testCrops,
        configurations: result.configurations.length,
        controlWindows: result.control.cleanWindows,
      });
      run.setMetrics(toRunMetrics(report, evaluationDir, files));
      return {
        runId: run.id,
        datasetId: ingestion.datasetId,
        modelId: ingestion.modelId,
        randomWeights: ingestion.randomWeights,
        outDir: evaluationDir,
        files,
        report,
      };
    });
  });
}

/**
 * The asked modes the model can answer: an image-only model answers `image`, and `text` through
 * label prototypes. Asking it for fused queries by name is MODE_UNSUPPORTED; by default they are
 * left out.
 */
function availableModes(embedder: Embedder, asked: readonly VectorKind[], explicit: boolean): VectorKind[] {
  const modes = VECTOR_KINDS.filter((mode) => asked.includes(mode));
  if (embedder.hasTextTower) return modes;
  if (explicit && modes.includes('fused')) {
    throw new DefectRagError(
      'MODE_UNSUPPORTED',
      `model "${embedder.modelId}" has only an image tower: it cannot evaluate fused queries ` +
        '(its text queries are answered by label prototypes)',
      { modelId: embedder.modelId },
    );
  }
  return modes.filter((mode) => mode !== 'fused');
}

/**
 * Each prompt's label prototype, as a search answers it, from the indexed TRAIN crops alone (the
 * test crops' labels must not shape their own queries). A prompt that names no label a train crop
 * carries gets the mean of every train crop: a query that knows nothing.
 */
async function trainPrototypes(
  backend: Backend,
  ingestion: { collection: string; datasetId: string },
  taxonomy: ReturnType<typeof loadTaxonomy>,
  prompts: readonly string[],
  train: readonly EvaluationCrop[],
): Promise<{ vectors: Map<string, Float32Array>; fallbacks: number }> {
  const dimension = train[0]!.vectors.image.length;
  const mean = unit(
    Float32Array.from({ length: dimension }, (_, d) => train.reduce((sum, crop) => sum + crop.vectors.image[d]!, 0)),
  );
  const vectors = new Map<string, Float32Array>();
  let fallbacks = 0;
  for (const prompt of prompts) {
    try {
      const scope = { datasetId: ingestion.datasetId, split: 'train' };
      vectors.set(prompt, (await labelPrototype(backend, ingestion.collection, taxonomy, prompt, scope)).vector);
    } catch (error) {
      if (!isDefectRagError(error, 'BAD_INPUT')) throw error;
      vectors.set(prompt, mean);
      fallbacks++;
    }
  }
  return { vectors, fallbacks };
}

/** The vector-deciding settings of the dataset's last successful ingestion; none for a new dataset. */
async function lastIngestionSettings(
  backend: Backend,
  name: string,
): Promise<Pick<IngestOptions, 'splitFile' | 'taxonomyFile' | 'crop' | 'fusion' | 'enrich' | 'photoView'>> {
  const dataset = await backend.db.datasets.findByName(name);
  if (!dataset) return {};
  const [run] = (
    await backend.db.runs.list({ datasetId: dataset.id, kind: 'INGEST', status: 'SUCCEEDED' }, { first: 1 })
  ).items;
  // Written by another version of the pipeline: start from the defaults rather than fail.
  const parsed = ingestionSettingsSchema.safeParse(run?.params ?? {});
  if (!parsed.success) return {};
  const { splitFile, taxonomyFile, crop, fusion, enrich, photoView } = parsed.data;
  return {
    splitFile: splitFile && existsSync(path.resolve(splitFile)) ? splitFile : undefined,
    taxonomyFile: taxonomyFile ?? undefined,
    crop: (crop ?? undefined) as Partial<CropConfig> | undefined,
    fusion: (fusion ?? undefined) as FusionOptions | undefined,
    enrich: enrich ?? undefined,
    photoView: photoView ?? undefined,
  };
}

/** The default seeded split, kept under the data dir so that later evaluations find it again. */
async function writeDefaultSplit(
  backend: Backend,
  root: string,
  name: string,
  taxonomyFile: string | undefined,
): Promise<string> {
  const dataset = await readDataset(root, { name });
  if (dataset.images.length === 0)
    throw new DefectRagError('DATASET_INVALID', `no usable image in ${root} (${dataset.problems.length} problems)`);
  const split = splitDataset(dataset, {
    classifier: taxonomyClassifier(new TaxonomyNormalizer(loadTaxonomy(taxonomyFile))),
  });
  const dir = path.join(backend.config.dataDir, 'splits', safeName(name));
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, SPLIT_FILE);
  await writeFile(file, `${JSON.stringify(split, null, 2)}\n`);
  return file;
}

async function writeReport(outDir: string, report: EvaluationReport, splitFile: string): Promise<EvaluationFiles> {
  await mkdir(outDir, { recursive: true });
  const files = {
    json: path.join(outDir, 'evaluation.json'),
    markdown: path.join(outDir, 'evaluation.md'),
    plot: path.join(outDir, 'precision-at-k.svg'),
  };
  await writeFile(files.json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(files.plot, precisionPlotSvg(report.configurations, report.k));
  await writeFile(files.markdown, formatReportMarkdown(report, path.basename(files.plot)));
  // The folder says on its own which split the numbers belong to.
  const splitCopy = path.join(outDir, SPLIT_FILE);
  if (splitCopy !== splitFile) await copyFile(splitFile, splitCopy);
  return files;
}
