import { createHash } from 'node:crypto';
import path from 'node:path';
import {
  areaInside,
  clipPolygon,
  partOverlaps,
  pixelBox,
  polygonArea,
  polygonBox,
  pixelRegion,
  regionArea,
  safeName,
  unionBox,
  type Box,
  type DatasetImage,
  type PartOverlap,
  type Polygon,
} from '@defect-rag/dataset';
import { labelCrop, type TaxonomyNormalizer } from '@defect-rag/taxonomy';
import { FILL_COLOR, type CropConfig } from './config';
import type { CropDefect, CropRecord, CropStrategy } from './metadata';
import { fitsWindow, groupDefects, windowStarts } from './windows';

export interface PlanContext {
  datasetName: string;
  config: CropConfig;
  normalizer: TaxonomyNormalizer;
}

export interface ImagePlan {
  /** The image's crops, clusters then tiles (damaged) or grid rows (clean), each by position. */
  crops: CropRecord[];
  /** Grid windows left out because the vehicle covered less than `minVehicleCoverage` of them. */
  gridBelowCoverage: number;
}

/**
 * Decides the crops of one image and everything the metadata says about them, from the dataset's
 * polygons alone: no pixel is read here, so a whole dataset can be planned (and balanced) before
 * any image is decoded. `cutCrops` then writes what was planned.
 */
export function planImageCrops(image: DatasetImage, context: PlanContext): ImagePlan {
  return image.damaged ? { crops: planDamaged(image, context), gridBelowCoverage: 0 } : planGrid(image, context);
}

function planDamaged(image: DatasetImage, context: PlanContext): CropRecord[] {
  const { size, tileOverlap } = context.config;
  const windows: Array<{ strategy: CropStrategy; x: number; y: number }> = [];
  const fitting = image.defects.filter((defect) => fitsWindow(defect.box, size));
  const clusters = groupDefects(fitting, size).map((group) => {
    const box = pixelBox(unionBox(group.map((defect) => defect.box)));
    return {
      strategy: 'cluster' as const,
      x: windowStarts(box.x, box.x + box.width, size, 0, image.width)[0]!,
      y: windowStarts(box.y, box.y + box.height, size, 0, image.height)[0]!,
    };
  });
  windows.push(...clusters.sort((a, b) => a.y - b.y || a.x - b.x));
  for (const defect of image.defects.filter((d) => !fitsWindow(d.box, size))) {
    for (const { x, y } of regionWindows(defect.polygon, image, { size, tileOverlap }))
      windows.push({ strategy: 'tile', x, y });
  }
  const seen = new Set<string>();
  return windows
    .filter(({ x, y }) => {
      const key = `${x},${y}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .map(({ strategy, x, y }) => damageCrop(image, context, strategy, sourceBox(image, size, x, y)));
}

/** A defect as the plan sees it in a window, before the taxonomy names its types. */
type UnlabelledDefect = Omit<CropDefect, 'type' | 'types'>;

/**
 * The windows that cover a region of a photo (a defect's polygon, or a query region): one window
 * centred on a region that fits, shifted to stay inside the photo so the margin is real context;
 * overlapping tiles (`tileOverlap`) over a larger one, keeping only tiles that show part of the
 * polygon, as a long diagonal defect leaves empty corners. Boxes in photo pixels; a photo smaller
 * than the window gives its whole side.
 */
export function regionWindows(
  polygon: Polygon,
  photo: { width: number; height: number },
  { size, tileOverlap }: Pick<CropConfig, 'size' | 'tileOverlap'>,
): Box[] {
  const box = pixelBox(polygonBox(polygon));
  const windows: Box[] = [];
  for (const y of windowStarts(box.y, box.y + box.height, size, tileOverlap, photo.height)) {
    for (const x of windowStarts(box.x, box.x + box.width, size, tileOverlap, photo.width)) {
      const window = sourceBox(photo, size, x, y);
      if (areaInside(polygon, window) >= MIN_VISIBLE_AREA) windows.push(window);
    }
  }
  return windows;
}

/**
 * A defect shows in a crop when at least this much of its polygon (px²) lies inside: a polygon
 * that only grazes the window's edge would otherwise be listed as a defect nobody can see.
 */
const MIN_VISIBLE_AREA = 1;

function damageCrop(image: DatasetImage, context: PlanContext, strategy: CropStrategy, box: Box): CropRecord {
  const fill = fillOf(image, context.config.size);
  const shown: Array<{ polygon: Polygon; defect: UnlabelledDefect }> = [];
  for (const defect of image.defects) {
    const clipped = clipPolygon(defect.polygon, box);
    const visible = clipped.length < 3 ? 0 : polygonArea(clipped);
    if (visible < MIN_VISIBLE_AREA) continue;
    const visibleBox = pixelBox(polygonBox(clipped));
    shown.push({
      polygon: clipped,
      defect: {
        label: defect.label,
        box: {
          x: visibleBox.x - box.x + (fill?.left ?? 0),
          y: visibleBox.y - box.y + (fill?.top ?? 0),
          width: visibleBox.width,
          height: visibleBox.height,
        },
        polygon: clipped.map(([x, y]) => [
          round(x - box.x + (fill?.left ?? 0), 2),
          round(y - box.y + (fill?.top ?? 0), 2),
        ]),
        // Never 0 for a defect that is shown, however thin the sliver.
        visible_fraction: Math.max(0.0001, round(Math.min(1, visible / defect.area), 4)),
      },
    });
  }
  const overlaps = partOverlaps(
    pixelRegion(
      shown.map((s) => s.polygon),
      box,
    ),
    box,
    image.parts,
  );
  return record(image, context, {
    strategy,
    box,
    fill,
    hasDamage: true,
    defects: shown.map((s) => s.defect),
    gridPos: null,
    coverage: null,
    overlaps,
  });
}

/**
 * The grid of a photo without defects: over a clean photo, windows masked outside the silhouette
 * (`maskBackground`); over an unlabelled one, the same windows unmasked, since what lies outside
 * the silhouette may be where the damage is, with `has_damage` unknown (null).
 */
function planGrid(image: DatasetImage, context: PlanContext): ImagePlan {
  const { size, gridOverlap, minVehicleCoverage } = context.config;
  const { vehicle } = image;
  // Without a silhouette the whole frame counts as vehicle: nothing to mask, nothing to measure.
  const region =
    vehicle.length > 0
      ? pixelBox(unionBox(vehicle.map(polygonBox)))
      : { x: 0, y: 0, width: image.width, height: image.height };
  const rows = windowStarts(region.y, region.y + region.height, size, gridOverlap, image.height);
  const cols = windowStarts(region.x, region.x + region.width, size, gridOverlap, image.width);
  const crops: CropRecord[] = [];
  let gridBelowCoverage = 0;
  rows.forEach((y, row) => {
    cols.forEach((x, col) => {
      const box = sourceBox(image, size, x, y);
      const vehiclePixels = vehicle.length > 0 ? regionArea(pixelRegion(vehicle, box)) : box.width * box.height;
      const coverage = round(vehiclePixels / (size * size), 4);
      if (coverage < minVehicleCoverage) {
        gridBelowCoverage++;
        return;
      }
      crops.push(
        record(image, context, {
          strategy: 'grid',
          box,
          fill: fillOf(image, size),
          hasDamage: image.labelled ? false : null,
          defects: [],
          gridPos: [row, col],
          coverage,
          overlaps: partOverlaps(null, box, image.parts),
        }),
      );
    });
  });
  return { crops, gridBelowCoverage };
}

function record(
  image: DatasetImage,
  context: PlanContext,
  crop: {
    strategy: CropStrategy;
    box: Box;
    fill: CropRecord['fill'];
    hasDamage: boolean | null;
    defects: UnlabelledDefect[];
    gridPos: [number, number] | null;
    coverage: number | null;
    overlaps: PartOverlap[];
  },
): CropRecord {
  const { config } = context;
  const cropId = cropIdOf(context.datasetName, image.path, crop.strategy, crop.box, {
    size: config.size,
    masked: config.maskBackground && image.labelled,
  });
  const labels = labelCrop(crop.defects, crop.overlaps, context.normalizer);
  return {
    crop_id: cropId,
    image_id: image.id,
    image: image.path,
    file: `crops/${cropId}.${config.format === 'png' ? 'png' : 'jpg'}`,
    has_damage: crop.hasDamage,
    // Only written when false, so a labelled crop hashes as it did before the field existed.
    ...(!image.labelled && { labelled: false }),
    strategy: crop.strategy,
    box: crop.box,
    width: config.size,
    height: config.size,
    fill: crop.fill,
    defects: labels.defects,
    damage_types: labels.damage_types,
    grid_pos: crop.gridPos,
    mask_coverage: crop.coverage,
    vehicle_zone: labels.vehicle_zone,
    area: labels.area,
    part_overlaps: crop.overlaps,
    split: null,
  };
}

/**
 * `<stem>_<strategy>_<hash>`, the hash over (dataset, image path, window, and the settings that
 * change the crop's pixels: size, and masking for grid crops, which an unlabelled photo's windows
 * never have). Settings that only choose which
 * crops exist (overlaps, coverage threshold, balance) or how they are encoded leave ids alone, so
 * the same window keeps its id when they change.
 */
function cropIdOf(
  datasetName: string,
  imagePath: string,
  strategy: CropStrategy,
  box: Box,
  config: { size: number; masked: boolean },
): string {
  const pixels = strategy === 'grid' ? { size: config.size, mask: config.masked } : { size: config.size };
  const key = JSON.stringify([datasetName, imagePath, box.x, box.y, box.width, box.height, pixels]);
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 10);
  return `${safeName(path.posix.basename(imagePath, path.posix.extname(imagePath)))}_${strategy}_${hash}`;
}

/** The source pixels of the window at (x, y): the full window, or the whole side of a smaller image. */
function sourceBox(image: { width: number; height: number }, size: number, x: number, y: number): Box {
  return { x, y, width: Math.min(size, image.width), height: Math.min(size, image.height) };
}

/** Images smaller than the window are centred in it, with black bands. */
function fillOf(image: DatasetImage, size: number): CropRecord['fill'] {
  if (image.width >= size && image.height >= size) return null;
  const padX = Math.max(0, size - image.width);
  const padY = Math.max(0, size - image.height);
  const left = Math.floor(padX / 2);
  const top = Math.floor(padY / 2);
  return { color: [...FILL_COLOR], left, top, right: padX - left, bottom: padY - top };
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
