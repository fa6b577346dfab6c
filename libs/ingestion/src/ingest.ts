import path from 'node:path';
import { cropConfig, planDatasetCrops, type CropConfig, type CropRecord, type PhotoRecord } from '@defect-rag/crops';
import { checkDatasetFolder, mapConcurrent, readSplitFile, type Dataset } from '@defect-rag/dataset';
import type { RunRecord } from '@defect-rag/db';
import { DEFAULT_PHOTO_VIEW, type Embedder, type FusionOptions, type PhotoView } from '@defect-rag/embedding';
import type { Problem, ProgressListener } from '@defect-rag/runtime';
import { datasetTaxonomyFile, loadTaxonomy, TaxonomyNormalizer } from '@defect-rag/taxonomy';
import type { StoredCropRef } from '@defect-rag/vector-store';
import { criticalTypesOf } from './crop-payload';
import { Channel } from './channel';
import { runBatches, type Distribution } from './distributed';
import {
  hashImages,
  hashJson,
  photoWork,
  prepareCrops,
  storeCrops,
  type PhotoWork,
  type PreparedCrop,
} from './photo-work';
import { refreshPrototypesAfterRun } from './label-prototype-cells';
import { whitenAfterRun } from './whitening-stage';
import { readLabelledDataset } from './labelled-dataset';
import { ingestPhotos, type PhotoIngestion, type PhotoIngestionContext } from './photos';
import {
  withRun,
  type ActiveRun,
  type Backend,
  type DatasetRegistration,
  type RunRecorder,
  type RunSpec,
} from '@defect-rag/runs';

export interface IngestOptions {
  datasetDir: string;
  /** Dataset name; the folder's name by default. Part of every crop id. */
  name?: string;
  /** Model folder; the configured one by default. */
  modelDir?: string;
  /** `split.json` from `defect-rag split`: every point gets its image's split. */
  splitFile?: string;
  /** Taxonomy override; else `taxonomy.yaml` in the dataset, else the shipped one. */
  taxonomyFile?: string;
  crop?: Partial<CropConfig>;
  fusion?: FusionOptions;
  /** Crops embedded per batch. */
  batchSize?: number;
  /** Add each damage type's visual description to the texts. */
  enrich?: boolean;
  /** Point an existing dataset name at this folder; DATASET_CONFLICT otherwise. */
  repoint?: boolean;
  /** How photo points' image vectors see the whole photo (`PhotoView`); DEFAULT_PHOTO_VIEW by default. */
  photoView?: PhotoView;
  /**
   * Photos without an annotation file are unlabelled (damage unknown, unmasked windows) instead of
   * clean; annotated photos stay labelled. Left out: as the dataset was registered (false for a
   * new one). Recorded on the dataset.
   */
  unlabelled?: boolean;
  /**
   * Make the model's collection whitened to this many dimensions (an image-only model; see
   * whitening-stage.ts). Only where the collection is made: later ingestions keep its whitening.
   */
  whiten?: number;
}

export interface IngestHooks {
  onProgress?: ProgressListener;
  /** Called once the run record exists, before any work: the API returns it to the caller here. */
  onRunStarted?: (run: RunRecord) => void;
  signal?: AbortSignal;
}

export interface IngestionSummary {
  runId: string;
  datasetId: string;
  datasetName: string;
  collection: string;
  modelId: string;
  randomWeights: boolean;
  /** The fusion of the stored fused vectors. */
  fusion: FusionOptions;
  /** True when this run picked up an interrupted run with the same dataset and options. */
  resumed: boolean;
  images: number;
  crops: { total: number; damage: number; clean: number; unlabelled: number; byStrategy: Record<string, number> };
  /** Crops cut and embedded by this run. */
  embedded: number;
  /** Crops already in the index with the same content, left as they were (their split may have been updated). */
  unchanged: number;
  /** Unchanged crops whose split changed: only their payload's `split` was rewritten. */
  resplit: number;
  /** Points of crops that are no longer in the dataset, deleted. */
  removed: number;
  /** Crop points of the dataset in the index. */
  points: number;
  /** Photo points: one per photo, beside its crops. */
  photos: PhotoIngestion;
  problems: Problem[];
  /** Wall time per stage, milliseconds. */
  timings: Record<string, number>;
  imagesPerSecond: number;
}

const DEFAULT_FUSION: FusionOptions = { strategy: 'average' };
const CROP_CONCURRENCY = 2;

/**
 * One ingestion run: dataset → planned crops → cut crops → descriptions → image, text and fused
 * vectors → Qdrant points, recorded as a `Run` with per-stage progress, counts, timings and
 * problems.
 *
 * Cutting runs ahead of embedding through a bounded channel, so the run is bound by the embedder.
 * Every point carries a content hash of what produced its vectors (image bytes, crop, taxonomy,
 * model, fusion; not its split, which only labels it): a run skips crops already stored with the
 * same hash and only rewrites the split of those whose split changed, which makes a re-run after a
 * crash, SIGKILL or cancel finish the work without redoing it, and a re-run over a changed dataset
 * update only what changed. Points of crops that no longer exist are deleted at the end.
 *
 * With a `distribution`, this process plans the run and queues its photos as batches that worker
 * processes, here or on other machines, do (`runBatches`, `runWorker`); the rest is the same.
 */
export async function ingestDataset(
  backend: Backend,
  options: IngestOptions,
  hooks: IngestHooks = {},
  distribution?: Distribution,
): Promise<IngestionSummary> {
  const started = performance.now();
  const plan = await planIngestion(backend, options);
  return withRun(
    backend,
    plan.registration,
    async () => ingestionRunSpec(plan, await backend.collection(plan.embedder, { whiten: plan.whiten })),
    hooks,
    (run) => ingestInRun(backend, plan, run, started, distribution),
  );
}

/** An ingestion worked out from its options before it touches the database: what `ingestInRun` does. */
export interface IngestionPlan {
  registration: DatasetRegistration;
  root: string;
  name: string;
  config: CropConfig;
  fusion: FusionOptions;
  embedder: Embedder;
  taxonomy: ReturnType<typeof loadTaxonomy>;
  split: { file: string; contents: Awaited<ReturnType<typeof readSplitFile>> } | undefined;
  /** What decides the stored vectors; its hash makes the run resumable. */
  identity: Record<string, unknown>;
  configHash: string;
  enrich: boolean;
  /** Photos without an annotation file are unlabelled (`IngestOptions.unlabelled`, resolved). */
  unlabelled: boolean;
  whiten: number | undefined;
  params: Record<string, unknown>;
}

/** Loads the model, the taxonomy and the split of an ingestion and hashes what decides its vectors. */
export async function planIngestion(backend: Backend, options: IngestOptions): Promise<IngestionPlan> {
  const root = path.resolve(options.datasetDir);
  // Before anything is registered: a mistyped path must not leave a 0-image dataset and a FAILED run.
  await checkDatasetFolder(options.datasetDir);
  const name = options.name ?? path.basename(root);
  const config = cropConfig(options.crop);
  const fusion = options.fusion ?? DEFAULT_FUSION;
  const embedder = await backend.embedder(options.modelDir);
  const taxonomyFile = datasetTaxonomyFile(root, options.taxonomyFile);
  const taxonomy = loadTaxonomy(taxonomyFile);
  const split = options.splitFile
    ? { file: options.splitFile, contents: await readSplitFile(options.splitFile) }
    : undefined;
  const unlabelled = options.unlabelled ?? (await backend.db.datasets.findByName(name))?.config.unlabelled === true;
  const identity = {
    root,
    crop: config,
    taxonomy: hashJson(taxonomy),
    split: split ? hashJson(split.contents) : null,
    model: `${embedder.modelId}@${embedder.contentHash}`,
    fusion,
    enrich: options.enrich ?? false,
    photoView: options.photoView ?? DEFAULT_PHOTO_VIEW,
    // Only when set, so that the runs and points of labelled datasets keep their hashes.
    ...(unlabelled && { unlabelled: true }),
  };
  return {
    registration: {
      name,
      root,
      repoint: options.repoint,
      config: { crop: config, taxonomyFile: taxonomyFile ?? null, splitFile: split?.file ?? null, unlabelled },
    },
    root,
    name,
    config,
    fusion,
    embedder,
    taxonomy,
    split,
    identity,
    configHash: hashJson(identity),
    enrich: options.enrich ?? false,
    unlabelled,
    whiten: options.whiten,
    // The flag as resolved, so that the run's workers read the dataset the same way.
    params: { ...options, datasetDir: root, fusion, photoView: identity.photoView, unlabelled },
  };
}

/** The INGEST run of a plan: resumable by its configuration hash. */
export function ingestionRunSpec(plan: IngestionPlan, collection: string): RunSpec {
  return {
    kind: 'INGEST',
    configHash: plan.configHash,
    modelId: plan.embedder.modelId,
    collection,
    params: plan.params,
  };
}

/**
 * The ingestion's work inside an open INGEST run of the locked dataset: brings the dataset's points
 * up to date and its counts, and returns the summary. The run's end is its caller's to record.
 * With a `distribution`, this process plans the run and workers do its photos (`runBatches`).
 */
export async function ingestInRun(
  backend: Backend,
  plan: IngestionPlan,
  run: ActiveRun,
  started = performance.now(),
  distribution?: Distribution,
): Promise<IngestionSummary> {
  const { embedder, name } = plan;
  const { recorder } = run;
  const datasetId = run.dataset.id;
  const collection = await backend.collection(embedder, { whiten: plan.whiten });
  const summary = await execute(
    {
      backend,
      embedder,
      recorder,
      hooks: { signal: run.signal },
      root: plan.root,
      name,
      config: plan.config,
      fusion: plan.fusion,
      split: plan.split,
      taxonomy: plan.taxonomy,
      collection,
      identity: plan.identity,
      datasetId,
      enrich: plan.enrich,
      unlabelled: plan.unlabelled,
    },
    distribution ? distributedWork(run.id, distribution) : inProcess,
  );
  const refitted = await whitenAfterRun(backend, collection, recorder);
  await refreshPrototypesAfterRun(backend, embedder, collection, datasetId, recorder, { refitted });
  const totalMs = performance.now() - started;
  await recorder.timing('total', totalMs);
  await backend.db.datasets.updateCounts(datasetId, {
    imageCount: summary.images,
    damagedCount: summary.damagedImages,
    cleanCount: summary.images - summary.damagedImages - summary.unlabelledImages,
    defectCount: summary.defects,
    cropCount: summary.crops.total,
  });
  return {
    runId: run.id,
    datasetId,
    datasetName: name,
    collection,
    modelId: embedder.modelId,
    randomWeights: embedder.randomWeights,
    fusion: plan.fusion,
    resumed: run.resumed,
    images: summary.images,
    crops: summary.crops,
    embedded: summary.embedded,
    unchanged: summary.unchanged,
    resplit: summary.resplit,
    removed: summary.removed,
    points: summary.points,
    photos: summary.photos,
    // From the run's record: in a distributed run the workers recorded most of them.
    problems: await backend.db.runs.allProblems(run.id),
    timings: { ...recorder.timings, total: totalMs },
    imagesPerSecond: summary.images / (totalMs / 1000),
  };
}

interface ExecuteContext {
  backend: Backend;
  embedder: Embedder;
  recorder: RunRecorder;
  hooks: IngestHooks;
  root: string;
  name: string;
  config: CropConfig;
  fusion: FusionOptions;
  split: Parameters<typeof planDatasetCrops>[1]['split'];
  taxonomy: ReturnType<typeof loadTaxonomy>;
  collection: string;
  identity: Record<string, unknown>;
  datasetId: string;
  enrich: boolean;
  unlabelled: boolean;
}

/**
 * The planning half of a run, under its dataset lock: the dataset as read, its crops and photos as
 * planned, how they are hashed, which crops the index lacks or holds with other content (`todo`),
 * and the split rewritten for unchanged crops that moved.
 */
interface PointPlan {
  dataset: Dataset;
  crops: CropRecord[];
  photos: PhotoRecord[];
  work: PhotoWork;
  stored: ReadonlyMap<string, StoredCropRef>;
  todo: CropRecord[];
  resplit: number;
}

/** Reads the dataset, plans its crops, hashes its photos and compares them with the index. */
async function planPoints(context: ExecuteContext): Promise<PointPlan> {
  const { backend, recorder, root, config, collection, datasetId } = context;
  const dataset = await recorder.stage('dataset', () =>
    readLabelledDataset(backend, datasetId, root, {
      name: context.name,
      unlabelled: context.unlabelled,
      onProgress: (event) => recorder.progress('dataset', event.done, event.total),
    }),
  );
  await recorder.addProblems(dataset.problems);
  const normalizer = new TaxonomyNormalizer(context.taxonomy);
  const plan = await recorder.stage('plan', async () =>
    planDatasetCrops(dataset, { normalizer, config, split: context.split }),
  );
  await recorder.addProblems(plan.problems);
  const crops = plan.crops;

  const imageHashes = await recorder.stage('hash', () => hashImages(root, dataset.images));
  const work = photoWork({
    backend,
    embedder: context.embedder,
    collection,
    datasetId,
    root,
    config,
    taxonomy: context.taxonomy,
    normalizer,
    enrich: context.enrich,
    fusion: context.fusion,
    criticalTypes: criticalTypesOf(context.taxonomy),
    identity: context.identity,
    imageHashes,
    timed: (stage, work) => recorder.timed(stage, work),
  });
  const stored = new Map(
    (await backend.vectorStore.scrollPayloads(collection, { datasetId })).map((ref) => [ref.cropId, ref]),
  );
  const todo = crops.filter((crop) => stored.get(crop.crop_id)?.contentHash !== work.cropHash(crop));
  const resplit = await resplitUnchanged(
    backend,
    collection,
    crops.map((crop) => ({ key: crop.crop_id, split: crop.split })),
    stored,
    new Set(todo.map((crop) => crop.crop_id)),
  );
  await recorder.counts({ images: dataset.images.length, crops: crops.length, unchanged: crops.length - todo.length });
  return { dataset, crops, photos: plan.photos, work, stored, todo, resplit };
}

/** The photo points of a planned run, as `ingestPhotos` and its parts take them. */
function photoIngestion(context: ExecuteContext, plan: PointPlan): PhotoIngestionContext {
  const { backend, collection } = context;
  return {
    ...plan.work,
    recorder: context.recorder,
    signal: context.hooks.signal,
    photos: plan.photos,
    resplit: (items, storedPhotos, changed) => resplitUnchanged(backend, collection, items, storedPhotos, changed),
  };
}

/** Deletes the points of crops no longer planned and counts the dataset's crop points. */
async function removeObsoleteCrops(context: ExecuteContext, plan: PointPlan) {
  const { backend, collection, datasetId } = context;
  const wanted = new Set(plan.crops.map((crop) => crop.crop_id));
  const obsolete = [...plan.stored.keys()].filter((cropId) => !wanted.has(cropId));
  await backend.vectorStore.deletePoints(collection, { cropIds: obsolete });
  return { removed: obsolete.length, points: await backend.vectorStore.count(collection, { datasetId }) };
}

/**
 * The run's work spread over workers (`runBatches`): this process only plans it, queues its photos
 * as batches and waits for them, then removes what is obsolete and records the figures.
 */
function distributedWork(runId: string, distribution: Distribution): PointWork {
  return async (context, plan) => {
    const { backend, recorder } = context;
    const byImage = groupBy(plan.todo, (crop) => crop.image);
    const { embedded, photos } = await recorder.stage('batches', () =>
      runBatches(
        {
          backend,
          runId,
          model: String(context.identity.model),
          photos: photoIngestion(context, plan),
          images: plan.dataset.images.map((image) => ({
            path: image.path,
            crops: (byImage.get(image.path) ?? []).map((crop) => crop.crop_id),
          })),
          checkCancelled: () => recorder.checkCancelled(context.hooks.signal),
          progress: (done, total) => recorder.progress('batches', done, total),
        },
        distribution,
      ),
    );
    const { removed, points } = await removeObsoleteCrops(context, plan);
    const problems = (await backend.db.runs.allProblems(runId)).length;
    await recorder.counts({ embedded, resplit: plan.resplit, removed, points, photos: photos.points, problems });
    return { embedded, removed, points, photos };
  };
}

/** What a run's summary says about its dataset and points, from its plan and its work's figures. */
function pointFigures(
  plan: PointPlan,
  figures: { embedded: number; removed: number; points: number; photos: PhotoIngestion },
) {
  const { dataset, crops, todo } = plan;
  const byStrategy: Record<string, number> = {};
  for (const crop of crops) byStrategy[crop.strategy] = (byStrategy[crop.strategy] ?? 0) + 1;
  const count = (hasDamage: boolean | null) => crops.filter((crop) => crop.has_damage === hasDamage).length;
  return {
    images: dataset.images.length,
    damagedImages: dataset.images.filter((image) => image.damaged).length,
    unlabelledImages: dataset.images.filter((image) => !image.labelled).length,
    defects: dataset.images.reduce((sum, image) => sum + image.defects.length, 0),
    crops: { total: crops.length, damage: count(true), clean: count(false), unlabelled: count(null), byStrategy },
    unchanged: crops.length - todo.length,
    resplit: plan.resplit,
    ...figures,
  };
}

/** How a run's photos are worked on once planned: in this process, or by the workers of a distributed run. */
type PointWork = (
  context: ExecuteContext,
  plan: PointPlan,
) => Promise<{ embedded: number; removed: number; points: number; photos: PhotoIngestion }>;

async function execute(context: ExecuteContext, work: PointWork = inProcess) {
  const plan = await planPoints(context);
  const figures = await work(context, plan);
  return pointFigures(plan, figures);
}

/**
 * The run's work in this process: cutting runs ahead of embedding through a bounded channel, so
 * the run is bound by the embedder; then the photo points.
 */
const inProcess: PointWork = async (context, plan) => {
  const { embedder, recorder } = context;
  const { work, todo } = plan;
  const byImage = groupBy(todo, (crop) => crop.image);
  const images = plan.dataset.images.filter((image) => byImage.has(image.path));

  const channel = new Channel<PreparedCrop>(embedder.batchSize * 4);
  let cutImages = 0;
  const produce = recorder.stage('crops', async () => {
    try {
      await recorder.progress('crops', 0, images.length);
      await mapConcurrent(images, CROP_CONCURRENCY, async (image) => {
        const { prepared, problems } = await prepareCrops(work, image, byImage.get(image.path)!);
        await recorder.addProblems(problems);
        for (const crop of prepared) await channel.push(crop);
        await recorder.progress('crops', ++cutImages, images.length);
      });
      channel.close();
    } catch (error) {
      channel.fail(error);
      throw error;
    }
  });

  let embedded = 0;
  const consume = recorder.stage('embedding', async () => {
    try {
      await recorder.progress('embedding', 0, todo.length);
      for await (const batch of channel.batches(embedder.batchSize)) {
        await recorder.checkCancelled(context.hooks.signal);
        await storeCrops(work, batch);
        embedded += batch.length;
        await recorder.progress('embedding', embedded, todo.length);
      }
    } catch (error) {
      channel.fail(error);
      throw error;
    }
  });
  await settleBoth(produce, consume);

  const { removed, points } = await removeObsoleteCrops(context, plan);
  await recorder.counts({ embedded, resplit: plan.resplit, removed, points });

  const photos = await recorder.stage('photos', () => ingestPhotos(photoIngestion(context, plan)));
  await recorder.counts({ photos: photos.points, problems: recorder.problems.length });
  return { embedded, removed, points, photos };
};

/**
 * Rewrites the split of stored points (crops or photos, by key) that keep their content but moved
 * to another split; returns how many.
 */
async function resplitUnchanged(
  backend: Backend,
  collection: string,
  items: readonly { key: string; split: CropRecord['split'] }[],
  stored: ReadonlyMap<string, StoredCropRef>,
  changed: ReadonlySet<string>,
): Promise<number> {
  const moved = new Map<CropRecord['split'], string[]>();
  for (const { key, split = null } of items) {
    if (changed.has(key) || stored.get(key)!.split === split) continue;
    const keys = moved.get(split);
    if (keys) keys.push(key);
    else moved.set(split, [key]);
  }
  let count = 0;
  for (const [split, cropIds] of moved) {
    await backend.vectorStore.setSplit(collection, cropIds, split);
    count += cropIds.length;
  }
  return count;
}

/**
 * Waits for both sides. A side that fails hands its error to the other through the channel, so
 * both settle, with the same error.
 */
async function settleBoth(a: Promise<unknown>, b: Promise<unknown>): Promise<void> {
  const failed = (await Promise.allSettled([a, b])).find(
    (result): result is PromiseRejectedResult => result.status === 'rejected',
  );
  if (failed) throw failed.reason;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}
