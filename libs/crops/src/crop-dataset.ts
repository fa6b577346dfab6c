import { mkdir, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { mapConcurrent, type Dataset, type SplitFile } from '@defect-rag/dataset';
import { noProgress, type Problem, type ProgressListener } from '@defect-rag/runtime';
import { UNKNOWN, type TaxonomyNormalizer } from '@defect-rag/taxonomy';
import { balanceCrops } from './balance';
import { cropConfig, type CropConfig } from './config';
import { cutCrops } from './cut';
import { configForMetadata, type CropRecord, type Phase1Metadata } from './metadata';
import { planPhoto, type PhotoRecord } from './photo';
import { planImageCrops } from './plan';

export interface CropDatasetOptions {
  outDir: string;
  normalizer: TaxonomyNormalizer;
  config?: Partial<CropConfig>;
  /** A split (`split.json`): every crop gets its image's split, and balancing is per split. */
  split?: { file: string; contents: SplitFile };
  /** Images decoded at once; each holds its decoded pixels until its crops are written. */
  concurrency?: number;
  onProgress?: ProgressListener;
}

export interface DatasetCropPlan {
  /** Every crop to cut, after balancing, each with its image's split. */
  crops: CropRecord[];
  /** Crops planned before balancing; the difference is the clean crops balancing dropped. */
  planned: number;
  gridBelowCoverage: number;
  /** One point per usable photo, listing its crops in `crops`. */
  photos: PhotoRecord[];
  /** Unknown labels and split mismatches (the dataset's own problems are not repeated). */
  problems: Problem[];
}

/**
 * Decides every crop of a dataset from its polygons alone (no pixel is read), assigns splits and
 * balances clean against damage crops. `cropDataset` and the ingestion pipeline both start here.
 */
export function planDatasetCrops(
  dataset: Dataset,
  options: { normalizer: TaxonomyNormalizer; config: CropConfig; split?: { file: string; contents: SplitFile } },
): DatasetCropPlan {
  const { config, normalizer } = options;
  const context = { datasetName: dataset.name, config, normalizer };
  const problems = unknownLabels(dataset, normalizer);
  const splitOf = options.split ? splitLookup(dataset, options.split, problems) : () => null;
  let gridBelowCoverage = 0;
  const planned: CropRecord[] = [];
  for (const image of dataset.images) {
    const plan = planImageCrops(image, context);
    gridBelowCoverage += plan.gridBelowCoverage;
    const split = splitOf(image.path);
    planned.push(...plan.crops.map((crop) => ({ ...crop, split })));
  }
  const crops = config.balance ? balanceCrops(planned, config.seed) : planned;
  const cropsByImage = new Map<string, CropRecord[]>();
  for (const crop of crops) cropsByImage.set(crop.image, [...(cropsByImage.get(crop.image) ?? []), crop]);
  const photos = dataset.images.map((image) =>
    planPhoto(image, cropsByImage.get(image.path) ?? [], normalizer, splitOf(image.path)),
  );
  return { crops, planned: planned.length, gridBelowCoverage, photos, problems };
}

/**
 * Phase 1 over a whole dataset: plans every image's crops (`planDatasetCrops`), then decodes the
 * images that still have crops, `concurrency` at a time, and writes their crops under
 * `outDir/crops/`. Crop files there that are not in this run's metadata are removed, so the folder
 * always matches the metadata. Returns the metadata (see `writePhase1Metadata`); its problems
 * include the dataset's.
 */
export async function cropDataset(dataset: Dataset, options: CropDatasetOptions): Promise<Phase1Metadata> {
  const config = cropConfig(options.config);
  const onProgress = options.onProgress ?? noProgress;
  const plan = planDatasetCrops(dataset, { normalizer: options.normalizer, config, split: options.split });

  const byImage = new Map<string, CropRecord[]>();
  for (const crop of plan.crops) {
    const ofImage = byImage.get(crop.image);
    if (ofImage) ofImage.push(crop);
    else byImage.set(crop.image, [crop]);
  }
  await mkdir(path.join(options.outDir, 'crops'), { recursive: true });
  let done = 0;
  const results = await mapConcurrent(
    dataset.images,
    options.concurrency ?? os.availableParallelism(),
    async (image) => {
      const result = await cutCrops(image, byImage.get(image.path) ?? [], {
        root: dataset.root,
        outDir: options.outDir,
        config,
      });
      onProgress({ stage: 'crops', done: ++done, total: dataset.images.length, item: image.path });
      return result;
    },
  );
  const crops = results.flatMap((result) => result.crops);
  await removeStaleCrops(options.outDir, crops);

  const count = (predicate: (crop: CropRecord) => boolean) => crops.filter(predicate).length;
  return {
    dataset: { name: dataset.name, root: dataset.root },
    config: configForMetadata(config, options.split?.file ?? null),
    summary: {
      images: dataset.images.length,
      images_with_crops: new Set(crops.map((crop) => crop.image)).size,
      crops: crops.length,
      damage_crops: count((crop) => crop.has_damage === true),
      clean_crops: count((crop) => crop.has_damage === false),
      unlabelled_crops: count((crop) => crop.has_damage === null),
      by_strategy: {
        cluster: count((crop) => crop.strategy === 'cluster'),
        tile: count((crop) => crop.strategy === 'tile'),
        grid: count((crop) => crop.strategy === 'grid'),
      },
      grid_below_coverage: plan.gridBelowCoverage,
      clean_dropped_by_balance: plan.planned - plan.crops.length,
    },
    crops,
    problems: [...dataset.problems, ...plan.problems, ...results.flatMap((result) => result.problems)],
  };
}

function splitLookup(
  dataset: Dataset,
  split: { file: string; contents: SplitFile },
  problems: Problem[],
): (image: string) => CropRecord['split'] {
  const byImage = new Map(split.contents.images.map((entry) => [entry.image, entry.split]));
  if (split.contents.dataset !== dataset.name) {
    problems.push({
      item: split.file,
      stage: 'crops',
      code: 'SPLIT_INVALID',
      message: `made for dataset '${split.contents.dataset}', not '${dataset.name}'; images are matched by path`,
    });
  }
  for (const image of dataset.images) {
    if (!byImage.has(image.path)) {
      problems.push({
        item: image.path,
        stage: 'crops',
        code: 'SPLIT_INVALID',
        message: `not in ${split.file}; its crops have no split`,
      });
    }
  }
  return (image) => byImage.get(image) ?? null;
}

/** One problem per damage or part label the taxonomy does not know, with how often it occurs. */
function unknownLabels(dataset: Dataset, normalizer: TaxonomyNormalizer): Problem[] {
  const damage = new Map<string, { item: string; count: number }>();
  const parts = new Map<string, { item: string; count: number }>();
  for (const image of dataset.images) {
    for (const defect of image.defects) {
      const seen = damage.get(defect.label) ?? { item: image.annotation ?? image.path, count: 0 };
      seen.count++;
      damage.set(defect.label, seen);
    }
    for (const part of image.parts) {
      const seen = parts.get(part.label) ?? { item: image.path, count: 0 };
      seen.count++;
      parts.set(part.label, seen);
    }
  }
  const problems: Problem[] = [];
  for (const [label, { item, count }] of damage) {
    const types = normalizer.damageTypes(label);
    if (types[0] === UNKNOWN) {
      problems.push({
        item,
        stage: 'crops',
        code: 'LABEL_UNKNOWN',
        message: `damage label '${label}' is not in the taxonomy (${count} defects); its crops list it as type '${UNKNOWN}'`,
      });
    } else if (normalizer.unknownLabels().some((entry) => entry.kind === 'damage' && entry.label === label)) {
      problems.push({
        item,
        stage: 'crops',
        code: 'LABEL_UNKNOWN',
        message: `part of the combined damage label '${label}' is not in the taxonomy (${count} defects); its crops list the types it names that are: ${types.join(', ')}`,
      });
    }
  }
  for (const [label, { item, count }] of parts) {
    if (normalizer.part(label) !== null) continue;
    problems.push({
      item,
      stage: 'crops',
      code: 'LABEL_UNKNOWN',
      message: `part label '${label}' is not in the taxonomy (${count} polygons); it gives no zone`,
    });
  }
  return problems;
}

async function removeStaleCrops(outDir: string, crops: readonly CropRecord[]): Promise<void> {
  const current = new Set(crops.map((crop) => path.posix.basename(crop.file)));
  const dir = path.join(outDir, 'crops');
  for (const name of await readdir(dir)) {
    if (/\.(jpg|png)$/.test(name) && !current.has(name)) await rm(path.join(dir, name));
  }
}
