import path from 'node:path';
import {
  cropConfig,
  cutCrops,
  planImageCrops,
  type CropConfig,
  type CropRecord,
  type PlanContext,
} from '@defect-rag/crops';
import {
  areaInside,
  mapConcurrent,
  readDataset,
  seededShuffle,
  type Box,
  type DatasetImage,
} from '@defect-rag/dataset';
import type { Embedder } from '@defect-rag/embedding';
import { UNKNOWN, type TaxonomyNormalizer } from '@defect-rag/taxonomy';
import type { VectorStore } from '@defect-rag/vector-store';
import { trivialFeatures } from './features';
import { randomVector } from './queries';
import { dot, loadCrops } from './retrieval';
import type { SourceOf } from './sources';

/**
 * The same-source control. In a dataset whose damaged and clean photos come from different
 * sources (close-ups vs dealer photos, masked clean crops), telling damaged from clean crops can
 * measure the source instead of the damage. Here clean windows are cut from the damaged photos
 * themselves (no defect pixel within `marginPx`, mostly on the vehicle, unmasked like the damage
 * crops) and queried together with the damage crops of the same photos, each query against the
 * crops of every other photo: only the damage tells the two apart.
 */
export interface SameSourceControl {
  photos: number;
  damagedCrops: number;
  cleanWindows: number;
  marginPx: number;
  /** Where the clean windows were written, to look at. */
  windowsDir: string;
  retrievers: ControlRetrieverResult[];
  /** The same, each query against the crops of the other photos of its own source only. */
  bySource: ControlSourceResult[];
  /**
   * Only the items of the split's test photos ask (against every other photo's items): the figure
   * an adapted model (trained on the train photos' crops and windows) is judged by.
   */
  testSplit: { photos: number; queries: number; retrievers: ControlRetrieverResult[] };
}

export interface ControlSourceResult {
  source: string;
  photos: number;
  damagedCrops: number;
  cleanWindows: number;
  retrievers: ControlRetrieverResult[];
}

/** Precision at 1 (tied first results share it) over the queries it applies to. */
export interface PrecisionAtOne {
  queries: number;
  precision: number | null;
}

export interface ControlRetrieverResult {
  label: string;
  role: 'model' | 'baseline';
  /** Damaged vs clean agreement of the first result, every crop querying every other photo's crops. */
  damage: PrecisionAtOne;
  zone: { overall: PrecisionAtOne; withinDamaged: PrecisionAtOne; withinClean: PrecisionAtOne };
}

export interface ControlInput {
  root: string;
  datasetName: string;
  datasetId: string;
  crop: Partial<CropConfig> | undefined;
  normalizer: TaxonomyNormalizer;
  embedder: Embedder;
  store: VectorStore;
  collection: string;
  /** Folder of the dataset's indexed crop files. */
  cropsDir: string;
  outDir: string;
  sourceOf: SourceOf;
  /** Image ids of the split's test photos. */
  testPhotos: ReadonlySet<string>;
}

/** No defect pixel within this many pixels of a clean window. */
export const CONTROL_MARGIN_PX = 32;
/** Clean windows per photo at most, the best covered by the vehicle first. */
const WINDOWS_PER_PHOTO = 4;

/** A crop as the agreement measures see it: its photo, its labels and its vector under each retriever. */
export interface AgreementItem {
  photo: string;
  source: string;
  damaged: boolean;
  zone: string;
  vectors: { model: Float32Array; random: Float32Array; trivial: Float32Array };
}

/** Seed of the control's samples (windows, and damage crops to match their number). */
export const CONTROL_SEED = 'same-source-control';

/**
 * The clean windows the control may cut from damaged photos, planned from the polygons alone (no
 * pixel read, so only the windows the sample keeps are cut). Exported for tools/similarity, which
 * embeds the same windows under several image vectors.
 */
export function planControlWindows(
  damagedImages: readonly DatasetImage[],
  context: PlanContext,
): ReturnType<typeof planImageCrops>['crops'] {
  return damagedImages.flatMap((image) =>
    planImageCrops({ ...image, damaged: false, defects: [] }, context)
      .crops.filter((crop) =>
        image.defects.every((defect) => areaInside(defect.polygon, grow(crop.box, CONTROL_MARGIN_PX)) === 0),
      )
      .sort((a, b) => (b.mask_coverage ?? 0) - (a.mask_coverage ?? 0) || a.crop_id.localeCompare(b.crop_id))
      .slice(0, WINDOWS_PER_PHOTO),
  );
}

/** Cuts the chosen windows of each photo into `outDir`, unmasked, with the photo file each comes from. */
export async function cutControlWindows(
  images: readonly DatasetImage[],
  windows: readonly CropRecord[],
  options: { root: string; outDir: string; config: CropConfig },
): Promise<{ crop: CropRecord; sourceFile: string }[]> {
  return (
    await mapConcurrent(images, 2, async (image) => {
      const mine = windows.filter((crop) => crop.image_id === image.id);
      // Unmasked, like the damage crops: the masked background of clean crops is one of the shortcuts.
      const cut = await cutCrops(image, mine, {
        root: options.root,
        outDir: options.outDir,
        config: { ...options.config, maskBackground: false },
      });
      return cut.crops.map((crop) => ({ crop, sourceFile: path.join(options.root, image.path) }));
    })
  ).flat();
}

export async function runSameSourceControl(input: ControlInput): Promise<SameSourceControl> {
  const config = cropConfig(input.crop);
  const dataset = await readDataset(input.root, { name: input.datasetName });
  const context = { datasetName: dataset.name, config, normalizer: input.normalizer };
  const damagedImages = dataset.images.filter((image) => image.damaged);
  const windowsDir = path.join(input.outDir, 'same-source-control');

  const planned = planControlWindows(damagedImages, context);
  const damagedIds = new Set(damagedImages.map((image) => image.id));
  const allDamaged = (
    await loadCrops(input.store, input.collection, { datasetId: input.datasetId, hasDamage: true })
  ).filter((crop) => damagedIds.has(crop.payload.image_id));
  // As many clean windows as damage crops (a seeded sample of the larger side), so that chance
  // agreement on damaged vs clean is one half and the random baseline says so.
  const size = Math.min(planned.length, allDamaged.length);
  const chosen = new Set(seededShuffle(planned, CONTROL_SEED).slice(0, size));
  const windows = await cutControlWindows(
    damagedImages,
    planned.filter((crop) => chosen.has(crop)),
    { root: dataset.root, outDir: windowsDir, config },
  );
  // A window whose photo could not be decoded is missing: keep the two sides equal.
  const damagedCrops = seededShuffle(allDamaged, CONTROL_SEED).slice(0, windows.length);

  const windowVectors = await input.embedder.embedImages(windows.map(({ crop }) => path.join(windowsDir, crop.file)));
  const trivial = await trivialFeatures([
    ...damagedCrops.map((crop) => ({
      cropFile: path.join(input.cropsDir, crop.payload.file),
      sourceFile: path.join(dataset.root, crop.payload.image),
    })),
    ...windows.map(({ crop, sourceFile }) => ({ cropFile: path.join(windowsDir, crop.file), sourceFile })),
  ]);
  const items: AgreementItem[] = [
    ...damagedCrops.map((crop, i) => ({
      photo: crop.payload.image_id,
      source: input.sourceOf(crop.payload.image),
      damaged: true,
      zone: crop.payload.vehicle_zone,
      vectors: { model: crop.vectors.image, random: randomVector(crop.labels.cropId), trivial: trivial[i]! },
    })),
    ...windows.map(({ crop, sourceFile }, i) => ({
      photo: crop.image_id,
      source: input.sourceOf(sourceFile),
      damaged: false,
      zone: crop.vehicle_zone,
      vectors: {
        model: windowVectors[i]!,
        random: randomVector(crop.crop_id),
        trivial: trivial[damagedCrops.length + i]!,
      },
    })),
  ];

  const testItems = items.filter((item) => input.testPhotos.has(item.photo));
  return {
    photos: new Set(items.map((item) => item.photo)).size,
    damagedCrops: damagedCrops.length,
    cleanWindows: windows.length,
    marginPx: CONTROL_MARGIN_PX,
    windowsDir,
    retrievers: agreementAtOne(items, items, input.embedder.modelId),
    testSplit: {
      photos: new Set(testItems.map((item) => item.photo)).size,
      queries: testItems.length,
      retrievers: agreementAtOne(testItems, items, input.embedder.modelId),
    },
    bySource: [...new Set(items.map((item) => item.source))].sort().map((source) => {
      const mine = items.filter((item) => item.source === source);
      return {
        source,
        photos: new Set(mine.map((item) => item.photo)).size,
        damagedCrops: mine.filter((item) => item.damaged).length,
        cleanWindows: mine.filter((item) => !item.damaged).length,
        retrievers: agreementAtOne(mine, mine, input.embedder.modelId),
      };
    }),
  };
}

/**
 * Damaged-vs-clean and zone agreement at 1 of each query with the candidates of other photos,
 * under the model's image vectors and both baselines; zone also within damaged and within clean
 * crops only, where the source of the photos cannot tell zones apart for free.
 */
export function agreementAtOne(
  queries: readonly AgreementItem[],
  candidates: readonly AgreementItem[],
  modelId: string,
): ControlRetrieverResult[] {
  const retrievers = [
    { label: `${modelId} image vectors`, role: 'model' as const, key: 'model' as const },
    { label: 'baseline: random vectors', role: 'baseline' as const, key: 'random' as const },
    { label: 'baseline: trivial features', role: 'baseline' as const, key: 'trivial' as const },
  ];
  const knownZone = (item: AgreementItem) => item.zone !== UNKNOWN;
  const sameZone = (query: AgreementItem, item: AgreementItem) => item.zone === query.zone;
  return retrievers.map(({ label, role, key }) => {
    const p1 = (
      asks: (item: AgreementItem) => boolean,
      admits: (query: AgreementItem, item: AgreementItem) => boolean,
      relevant: (query: AgreementItem, item: AgreementItem) => boolean,
    ) => precisionAtOne(queries.filter(asks), candidates, key, admits, relevant);
    return {
      label,
      role,
      damage: p1(
        () => true,
        () => true,
        (query, item) => item.damaged === query.damaged,
      ),
      zone: {
        overall: p1(knownZone, () => true, sameZone),
        withinDamaged: p1(
          (item) => knownZone(item) && item.damaged,
          (_, item) => item.damaged,
          sameZone,
        ),
        withinClean: p1(
          (item) => knownZone(item) && !item.damaged,
          (_, item) => !item.damaged,
          sameZone,
        ),
      },
    };
  });
}

/**
 * Each query against the candidates of every other photo that `admits` lets in: the share of its
 * first results (all those tied at the best score) that are relevant, averaged over the queries.
 */
function precisionAtOne(
  queries: readonly AgreementItem[],
  candidates: readonly AgreementItem[],
  key: keyof AgreementItem['vectors'],
  admits: (query: AgreementItem, item: AgreementItem) => boolean,
  relevant: (query: AgreementItem, item: AgreementItem) => boolean,
): PrecisionAtOne {
  let sum = 0;
  let count = 0;
  for (const query of queries) {
    let best = -Infinity;
    let tied: AgreementItem[] = [];
    for (const item of candidates) {
      if (item.photo === query.photo || !admits(query, item)) continue;
      const score = dot(query.vectors[key], item.vectors[key]);
      if (score > best) [best, tied] = [score, [item]];
      else if (score === best) tied.push(item);
    }
    if (tied.length === 0) continue;
    sum += tied.filter((item) => relevant(query, item)).length / tied.length;
    count++;
  }
  return { queries: count, precision: count > 0 ? sum / count : null };
}

function grow(box: Box, margin: number): Box {
  return { x: box.x - margin, y: box.y - margin, width: box.width + 2 * margin, height: box.height + 2 * margin };
}
