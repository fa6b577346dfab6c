import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describeCrops, type Phase2Crop } from '@defect-rag/contexts';
import {
  cropConfig,
  cutCrops,
  planDatasetCrops,
  type CropConfig,
  type CropRecord,
  type PhotoRecord,
} from '@defect-rag/crops';
import { mapConcurrent, readDataset, readSplitFile, type DatasetImage } from '@defect-rag/dataset';
import type { RunRecord } from '@defect-rag/db';
import { embedCrops, MAX_PHOTO_TILES, type Embedder, type FusionOptions, type PhotoView } from '@defect-rag/embedding';
import type { Problem, ProgressListener } from '@defect-rag/runtime';
import { datasetTaxonomyFile, loadTaxonomy, TaxonomyNormalizer } from '@defect-rag/taxonomy';
import type { CropPoint, StoredCropRef } from '@defect-rag/vector-store';
import type { Backend } from '../backend';
import { cropPayload, criticalTypesOf } from '../crop-payload';
import { Channel } from './channel';
import { DEFAULT_PHOTO_VIEW, ingestPhotos, type PhotoIngestion } from './photos';
import type { RunRecorder } from '../runs/recorder';
import { withRun, type ActiveRun, type DatasetRegistration, type RunSpec } from '../runs/run';

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
  crops: { total: number; damage: number; clean: number; byStrategy: Record<string, number> };
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

/** A crop cut and described, waiting for its embedding. */
interface PreparedCrop {
  record: Phase2Crop;
  file: string;
  text: string;
  contentHash: string;
}

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
 */
export async function ingestDataset(
  backend: Backend,
  options: IngestOptions,
  hooks: IngestHooks = {},
): Promise<IngestionSummary> {
  const started = performance.now();
  const plan = await planIngestion(backend, options);
  return withRun(
    backend,
    plan.registration,
    async () => ingestionRunSpec(plan, await backend.collection(plan.embedder)),
    hooks,
    (run) => ingestInRun(backend, plan, run, started),
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
  params: Record<string, unknown>;
}

/** Loads the model, the taxonomy and the split of an ingestion and hashes what decides its vectors. */
export async function planIngestion(backend: Backend, options: IngestOptions): Promise<IngestionPlan> {
  const root = path.resolve(options.datasetDir);
  const name = options.name ?? path.basename(root);
  const config = cropConfig(options.crop);
  const fusion = options.fusion ?? DEFAULT_FUSION;
  const embedder = await backend.embedder(options.modelDir);
  const taxonomyFile = datasetTaxonomyFile(root, options.taxonomyFile);
  const taxonomy = loadTaxonomy(taxonomyFile);
  const split = options.splitFile
    ? { file: options.splitFile, contents: await readSplitFile(options.splitFile) }
    : undefined;
  const identity = {
    root,
    crop: config,
    taxonomy: hashJson(taxonomy),
    split: split ? hashJson(split.contents) : null,
    model: `${embedder.modelId}@${embedder.contentHash}`,
    fusion,
    enrich: options.enrich ?? false,
    photoView: options.photoView ?? DEFAULT_PHOTO_VIEW,
  };
  return {
    registration: {
      name,
      root,
      repoint: options.repoint,
      config: { crop: config, taxonomyFile: taxonomyFile ?? null, splitFile: split?.file ?? null },
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
    params: { ...options, datasetDir: root, fusion, photoView: identity.photoView },
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
 */
export async function ingestInRun(
  backend: Backend,
  plan: IngestionPlan,
  run: ActiveRun,
  started = performance.now(),
): Promise<IngestionSummary> {
  const { embedder, name } = plan;
  const { recorder } = run;
  const datasetId = run.dataset.id;
  const collection = await backend.collection(embedder);
  const summary = await execute({
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
  });
  const totalMs = performance.now() - started;
  await recorder.timing('total', totalMs);
  await backend.db.datasets.updateCounts(datasetId, {
    imageCount: summary.images,
    damagedCount: summary.damagedImages,
    cleanCount: summary.images - summary.damagedImages,
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
    problems: recorder.problems,
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
}

async function execute(context: ExecuteContext) {
  const { backend, embedder, recorder, root, config, collection, datasetId } = context;

  const dataset = await recorder.stage('dataset', () =>
    readDataset(root, {
      name: context.name,
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
  // Hashed as planned: cutting and describing add fields that are themselves functions of these.
  // The split is left out: it labels a crop without changing its pixels, text or vectors; so is
  // the photo view, which only photo points depend on.
  const { split: _split, photoView, ...vectorIdentity } = context.identity;
  const contentHashes = new Map(
    crops.map(({ split: _cropSplit, ...crop }) => [
      crop.crop_id,
      hashJson({ identity: vectorIdentity, image: imageHashes.get(crop.image), crop }),
    ]),
  );
  const stored = new Map(
    (await backend.vectorStore.scrollPayloads(collection, { datasetId })).map((ref) => [ref.cropId, ref]),
  );
  const todo = crops.filter((crop) => stored.get(crop.crop_id)?.contentHash !== contentHashes.get(crop.crop_id));
  const resplit = await resplitUnchanged(
    backend,
    collection,
    crops.map((crop) => ({ key: crop.crop_id, split: crop.split })),
    stored,
    new Set(todo.map((crop) => crop.crop_id)),
  );
  const byImage = groupBy(todo, (crop) => crop.image);
  const images = dataset.images.filter((image) => byImage.has(image.path));
  await recorder.counts({ images: dataset.images.length, crops: crops.length, unchanged: crops.length - todo.length });

  const cropsDir = backend.cropsDir(datasetId);
  const criticalTypes = criticalTypesOf(context.taxonomy);
  const channel = new Channel<PreparedCrop>(embedder.batchSize * 4);
  let cutImages = 0;
  const produce = recorder.stage('crops', async () => {
    try {
      await recorder.progress('crops', 0, images.length);
      await mapConcurrent(images, CROP_CONCURRENCY, async (image) => {
        const cut = await cutCrops(image, byImage.get(image.path)!, { root, outDir: cropsDir, config });
        const described = describeCrops(cut.crops, context.taxonomy, {
          enrich: context.enrich,
          // Without a text tower descriptions are stored but never embedded, so nothing is cut.
          ...(embedder.hasTextTower
            ? { countTokens: (text: string) => embedder.countTokens(text), maxTokens: embedder.maxTextLength }
            : { maxTokens: Infinity }),
        });
        await recorder.addProblems([...cut.problems, ...described.problems]);
        for (const crop of described.crops) {
          await channel.push({
            record: crop,
            file: path.join(cropsDir, crop.file),
            text: crop.text_description,
            contentHash: contentHashes.get(crop.crop_id)!,
          });
        }
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
        // An image-only model has no text or fused vectors: its collection holds `image` alone.
        const vectors = await embedCrops(
          embedder,
          batch.map((item) => ({ image: item.file, text: item.text })),
          context.fusion,
        );
        const points = batch.map((item, i): CropPoint => ({
          cropId: item.record.crop_id,
          vectors: vectors[i]!,
          payload: cropPayload(item.record, {
            datasetId,
            modelId: embedder.modelId,
            contentHash: item.contentHash,
            criticalTypes,
          }),
        }));
        await recorder.timed('index', () => backend.vectorStore.upsert(collection, points));
        embedded += batch.length;
        await recorder.progress('embedding', embedded, todo.length);
      }
    } catch (error) {
      channel.fail(error);
      throw error;
    }
  });
  await settleBoth(produce, consume);

  const wanted = new Set(crops.map((crop) => crop.crop_id));
  const obsolete = [...stored.keys()].filter((cropId) => !wanted.has(cropId));
  await backend.vectorStore.deletePoints(collection, { cropIds: obsolete });
  const points = await backend.vectorStore.count(collection, { datasetId });
  await recorder.counts({ embedded, resplit, removed: obsolete.length, points });

  const photos = await recorder.stage('photos', () =>
    ingestPhotos({
      backend,
      embedder,
      recorder,
      signal: context.hooks.signal,
      root,
      collection,
      datasetId,
      photos: plan.photos,
      fusion: context.fusion,
      normalizer,
      criticalTypes,
      view: photoView as PhotoView,
      contentHash: (photo) =>
        hashJson({
          identity: vectorIdentity,
          photoView,
          // How many tiles the view may take: photos embedded under another cap are embedded again.
          maxTiles: MAX_PHOTO_TILES,
          image: imageHashes.get(photo.image),
          photo: withoutSplit(photo),
        }),
      resplit: (items, storedPhotos, changed) => resplitUnchanged(backend, collection, items, storedPhotos, changed),
    }),
  );
  await recorder.counts({ photos: photos.points, problems: recorder.problems.length });

  const byStrategy: Record<string, number> = {};
  for (const crop of crops) byStrategy[crop.strategy] = (byStrategy[crop.strategy] ?? 0) + 1;
  const damage = crops.filter((crop) => crop.has_damage).length;
  return {
    images: dataset.images.length,
    damagedImages: dataset.images.filter((image) => image.damaged).length,
    defects: dataset.images.reduce((sum, image) => sum + image.defects.length, 0),
    crops: { total: crops.length, damage, clean: crops.length - damage, byStrategy },
    embedded,
    unchanged: crops.length - todo.length,
    resplit,
    removed: obsolete.length,
    points,
    photos,
  };
}

function withoutSplit({ split: _split, ...photo }: PhotoRecord): Omit<PhotoRecord, 'split'> {
  return photo;
}

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

/** Every photo's bytes: its crops and its photo point are made from them. */
async function hashImages(root: string, images: readonly DatasetImage[]): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  await mapConcurrent(images, 4, async (image) => {
    hashes.set(
      image.path,
      createHash('sha256')
        .update(await readFile(path.join(root, image.path)))
        .digest('hex'),
    );
  });
  return hashes;
}

function hashJson(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
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
