import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cropConfig, cropDataset } from '@defect-rag/crops';
import {
  readDataset,
  readSplitFile,
  seededShuffle,
  splitDataset,
  splitHash,
  type SplitFile,
} from '@defect-rag/dataset';
import {
  loadModel,
  trainProjection,
  writeAdaptedModel,
  type AdapterTrainingOptions,
  type TrainedProjection,
} from '@defect-rag/embedding';
import { taxonomyClassifier } from '@defect-rag/ingestion';
import { DefectRagError, noProgress, type ProgressListener } from '@defect-rag/runtime';
import { loadDatasetTaxonomy, TaxonomyNormalizer, UNKNOWN } from '@defect-rag/taxonomy';
import { CONTROL_SEED, cutControlWindows, planControlWindows } from './control';

export interface AdaptOptions {
  datasetDir: string;
  /** The dataset's name, as `evaluate --name` takes it (default: the folder name); crop ids, hence the seeded choices, depend on it. */
  name?: string;
  /** The base model folder (image-only). */
  modelDir: string;
  /** The adapted model folder to write. */
  outDir: string;
  /** A `split.json`; by default the seeded split `evaluate` makes by default (seed 42, 20 % test). */
  splitFile?: string;
  taxonomyFile?: string;
  /** Seeds the projection's start (default 42). */
  seed?: number;
  /** onnxruntime's intra-op threads for the base vectors. */
  intraOpThreads?: number;
  /** The projection's size and schedule (defaults: `trainProjection`'s, the measured choice). */
  training?: Omit<AdapterTrainingOptions, 'seed'>;
  onProgress?: ProgressListener;
}

export interface AdaptResult {
  outDir: string;
  modelId: string;
  splitSha256: string;
  trainPhotos: number;
  crops: number;
  cleanWindows: number;
  figures: TrainedProjection['figures'];
  files: string[];
}

/**
 * `defect-rag adapt`: learns a projection of the base model's image vectors from the dataset's own
 * labels, on the **train split only**. Only the train photos are read (their crops, cut as ingestion
 * cuts them, and the same-source control's clean windows of those photos); a test photo's pixels
 * and labels never reach the training, so `evaluate` on the same split scores the adapter on photos
 * it never saw. Labels: each damage crop's damage types; each clean crop or window "clean", or
 * "clean/<zone>" where its zone is known (one "clean" label made clean crops lose their zone).
 */
export async function adaptModel(options: AdaptOptions): Promise<AdaptResult> {
  const onProgress = options.onProgress ?? noProgress;
  const root = path.resolve(options.datasetDir);
  const name = options.name ?? path.basename(root);
  const seed = options.seed ?? 42;
  const normalizer = new TaxonomyNormalizer(loadDatasetTaxonomy(root, options.taxonomyFile));
  const dataset = await readDataset(root, { name });
  const split: SplitFile = options.splitFile
    ? await readSplitFile(options.splitFile)
    : splitDataset(dataset, { classifier: taxonomyClassifier(normalizer) });
  const trainPaths = new Set(split.images.filter((entry) => entry.split === 'train').map((entry) => entry.image));
  const train = dataset.images.filter((image) => trainPaths.has(image.path));
  if (train.length === 0)
    throw new DefectRagError('SPLIT_INVALID', `the split has no train photo of ${root}`, { datasetDir: root });

  const work = await mkdtemp(path.join(os.tmpdir(), 'defect-rag-adapt-'));
  const embedder = await loadModel(options.modelDir, { intraOpThreads: options.intraOpThreads });
  try {
    const config = cropConfig(undefined);
    const trainSplit = { file: options.splitFile ?? 'default split', contents: split };
    const phase1 = await cropDataset(
      { ...dataset, images: train },
      {
        outDir: work,
        normalizer,
        split: trainSplit,
        concurrency: 2,
        onProgress,
      },
    );
    // The control's rule on the train photos alone: as many windows as damage crops, seeded.
    const damaged = train.filter((image) => image.damaged);
    const planned = planControlWindows(damaged, { datasetName: dataset.name, config, normalizer });
    const damageCrops = phase1.crops.filter((crop) => crop.has_damage).length;
    const chosen = new Set(seededShuffle(planned, CONTROL_SEED).slice(0, damageCrops));
    const windowsDir = path.join(work, 'windows');
    const windows = await cutControlWindows(
      damaged,
      planned.filter((crop) => chosen.has(crop)),
      { root: dataset.root, outDir: windowsDir, config },
    );
    const items = [
      ...phase1.crops.map((crop) => ({
        file: path.join(work, crop.file),
        labels: adapterLabels({ damaged: crop.has_damage === true, types: crop.damage_types, zone: crop.vehicle_zone }),
      })),
      ...windows.map(({ crop }) => ({
        file: path.join(windowsDir, crop.file),
        labels: adapterLabels({ damaged: false, types: [], zone: crop.vehicle_zone }),
      })),
    ];
    onProgress({ stage: 'embed', done: 0, total: items.length });
    const vectors = await embedder.embedImages(items.map((item) => item.file));
    onProgress({ stage: 'embed', done: items.length, total: items.length });
    onProgress({ stage: 'train', done: 0, total: 1 });
    const projection = await trainProjection(
      items.map((item, i) => ({ vector: vectors[i]!, labels: item.labels })),
      { ...options.training, seed },
    );
    onProgress({ stage: 'train', done: 1, total: 1 });
    const splitSha256 = splitHash(split);
    const outDir = path.resolve(options.outDir);
    const files = await writeAdaptedModel(options.modelDir, outDir, projection, {
      baseModel: { id: embedder.modelId, sha256: embedder.contentHash },
      training: {
        dataset: name,
        split_sha256: splitSha256,
        seed,
        train_photos: train.length,
        crops: phase1.crops.length,
        clean_windows: windows.length,
        ...projection.figures,
      },
    });
    return {
      outDir,
      modelId: `${embedder.modelId}+adapter-${name}`,
      splitSha256,
      trainPhotos: train.length,
      crops: phase1.crops.length,
      cleanWindows: windows.length,
      figures: projection.figures,
      files,
    };
  } finally {
    await embedder.close();
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * The classes an adapter learns from a training item: a damage crop's damage types (`damage` when
 * it has none); a clean crop or window `clean/<zone>`, or `clean` where its zone is unknown (one
 * `clean` label made clean crops lose their zone: docs/similarity.md).
 */
export function adapterLabels(item: { damaged: boolean; types: readonly string[]; zone: string }): string[] {
  if (item.damaged) return item.types.length > 0 ? [...item.types] : ['damage'];
  return [item.zone === UNKNOWN ? 'clean' : `clean/${item.zone}`];
}
