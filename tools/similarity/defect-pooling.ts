/**
 * Pooling weighted to the defect (issue 29): a damage crop keeps 336 px of context while the
 * typical defect is ~31 px long, so the whole-crop vector mostly describes paint and panel. Here
 * the mixed5 feature map (17×17×768) is pooled over the cells under the crop's defect polygons,
 * dilated by a margin of cells, alone or blended with the whole-crop vector. A crop without
 * polygons (clean crops, the control's windows) pools every cell: its vector is the whole one.
 */
import { areaInside, polygonBox, type Polygon } from '@defect-rag/dataset';
import { IMAGE_SIZE, RMAC_SCALES, rmacGrid } from '../inception-v3/converter';
import type { Variant } from './variants';

/** One item's feature map as the graph outputs it, channels first: channel c of cell p is `data[c · height · width + p]`. */
export interface FeatureMap {
  data: Float32Array;
  channels: number;
  height: number;
  width: number;
}

/** The map of image `n` of the graph's [batch, c, h, w] output: a view, nothing is copied. */
export function mapOf(output: Float32Array, n: number, channels: number, height: number, width: number): FeatureMap {
  const size = channels * height * width;
  return { data: output.subarray(n * size, (n + 1) * size), channels, height, width };
}

/** A cell is under a polygon when at least this much of it (px² of the crop) is: as phase 1 counts a defect shown in a crop. */
const MIN_OVERLAP = 1;

/**
 * The cells of a `grid` map under the polygons (at least MIN_OVERLAP), dilated by `margin` cells in every
 * direction; polygons are in the pixels of a `crop`-sized image, mapped to the map as the
 * preprocessing does (shortest edge resized to 299, centre crop). No polygon: every cell.
 */
export function defectCells(
  polygons: readonly Polygon[],
  crop: { width: number; height: number },
  grid: { height: number; width: number },
  margin: number,
): Uint8Array {
  return dilate(cellsUnder(polygons, crop, grid), grid, margin);
}

/** The cells under the polygons (at least MIN_OVERLAP); every cell when there is none. */
function cellsUnder(
  polygons: readonly Polygon[],
  crop: { width: number; height: number },
  grid: { height: number; width: number },
): Uint8Array {
  const under = new Uint8Array(grid.height * grid.width);
  if (polygons.length === 0) return under.fill(1);
  // As tools/inception-v3/preprocess.ts: resize so the shortest edge is 299, then centre crop.
  const portrait = crop.width <= crop.height;
  const resizedWidth = portrait ? IMAGE_SIZE : Math.floor((IMAGE_SIZE * crop.width) / crop.height);
  const resizedHeight = portrait ? Math.floor((IMAGE_SIZE * crop.height) / crop.width) : IMAGE_SIZE;
  const left = Math.floor((resizedWidth - IMAGE_SIZE) / 2);
  const top = Math.floor((resizedHeight - IMAGE_SIZE) / 2);
  const toCropX = (input: number) => ((input + left) * crop.width) / resizedWidth;
  const toCropY = (input: number) => ((input + top) * crop.height) / resizedHeight;
  const toCellCol = (x: number) => Math.floor((((x * resizedWidth) / crop.width - left) * grid.width) / IMAGE_SIZE);
  const toCellRow = (y: number) => Math.floor((((y * resizedHeight) / crop.height - top) * grid.height) / IMAGE_SIZE);
  for (const polygon of polygons) {
    // Only the cells of the polygon's bounding box can overlap it.
    const bounds = polygonBox(polygon);
    const rows = [toCellRow(bounds.y), toCellRow(bounds.y + bounds.height)];
    const cols = [toCellCol(bounds.x), toCellCol(bounds.x + bounds.width)];
    for (let row = Math.max(0, rows[0]!); row <= Math.min(grid.height - 1, rows[1]!); row++) {
      const y0 = toCropY((row * IMAGE_SIZE) / grid.height);
      const y1 = toCropY(((row + 1) * IMAGE_SIZE) / grid.height);
      for (let col = Math.max(0, cols[0]!); col <= Math.min(grid.width - 1, cols[1]!); col++) {
        const x0 = toCropX((col * IMAGE_SIZE) / grid.width);
        const x1 = toCropX(((col + 1) * IMAGE_SIZE) / grid.width);
        if (areaInside(polygon, { x: x0, y: y0, width: x1 - x0, height: y1 - y0 }) >= MIN_OVERLAP)
          under[row * grid.width + col] = 1;
      }
    }
  }
  // Only polygons without area mark no cell: such a crop pools every cell, as a clean one.
  return under.some((cell) => cell === 1) ? under : under.fill(1);
}

function dilate(under: Uint8Array, grid: { height: number; width: number }, margin: number): Uint8Array {
  const cells = new Uint8Array(under.length);
  for (let row = 0; row < grid.height; row++) {
    for (let col = 0; col < grid.width; col++) {
      if (!under[row * grid.width + col]) continue;
      for (let r = Math.max(0, row - margin); r <= Math.min(grid.height - 1, row + margin); r++) {
        for (let c = Math.max(0, col - margin); c <= Math.min(grid.width - 1, col + margin); c++) {
          cells[r * grid.width + c] = 1;
        }
      }
    }
  }
  return cells;
}

export function unit(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const value of vector) norm += value * value;
  const scale = 1 / Math.max(Math.sqrt(norm), 1e-12);
  return vector.map((value) => value * scale);
}

/** Mean of each channel over the chosen cells, L2-normalised (over every cell: the graph's `avg` head). */
export function averageCells(map: FeatureMap, cells: Uint8Array): Float32Array {
  const { data, channels } = map;
  const plane = map.height * map.width;
  const chosen = chosenCells(cells);
  const out = new Float32Array(channels);
  // Only the chosen cells are read, channel by channel (each channel's cells are contiguous).
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (const p of chosen) sum += data[c * plane + p]!;
    out[c] = sum;
  }
  return unit(out);
}

function chosenCells(cells: Uint8Array): number[] {
  const chosen: number[] = [];
  for (let p = 0; p < cells.length; p++) if (cells[p]) chosen.push(p);
  return chosen;
}

/** The windows [from, to) of one R-MAC scale along an axis, as the graph's MaxPool places them. */
function windows(size: number, scale: number): [number, number][] {
  const { kernel, stride } = rmacGrid(size, scale);
  const out: [number, number][] = [];
  for (let i = 0; i < scale; i++) {
    const from = i * stride;
    const to = Math.min(from + kernel, size);
    // A span too short for `scale` windows repeats one (stride 0): count each region once.
    if (from < size && !out.some(([a, b]) => a === from && b === to)) out.push([from, to]);
  }
  return out;
}

/**
 * R-MAC (the graph's `rmac` head) over the bounding box of the chosen cells: at scales 1…3 the
 * regions of that box, each region's channel maxima over its chosen cells L2-normalised, summed,
 * then L2-normalised. Over every cell it is the graph's mixed5 R-MAC.
 */
export function rmacCells(map: FeatureMap, cells: Uint8Array): Float32Array {
  let top = map.height;
  let bottom = -1;
  let left = map.width;
  let right = -1;
  for (let row = 0; row < map.height; row++) {
    for (let col = 0; col < map.width; col++) {
      if (!cells[row * map.width + col]) continue;
      top = Math.min(top, row);
      bottom = Math.max(bottom, row);
      left = Math.min(left, col);
      right = Math.max(right, col);
    }
  }
  const { data, channels } = map;
  const plane = map.height * map.width;
  const sum = new Float32Array(channels);
  const region = new Float32Array(channels);
  for (let scale = 1; scale <= RMAC_SCALES; scale++) {
    for (const [r0, r1] of windows(bottom - top + 1, scale)) {
      for (const [c0, c1] of windows(right - left + 1, scale)) {
        const inside: number[] = [];
        for (let row = top + r0; row < top + r1; row++) {
          for (let col = left + c0; col < left + c1; col++)
            if (cells[row * map.width + col]) inside.push(row * map.width + col);
        }
        if (inside.length === 0) continue;
        for (let c = 0; c < channels; c++) {
          let max = -Infinity;
          for (const p of inside) max = Math.max(max, data[c * plane + p]!);
          region[c] = max;
        }
        const normalised = unit(region);
        for (let c = 0; c < channels; c++) sum[c]! += normalised[c]!;
      }
    }
  }
  return unit(sum);
}

/** unit(α·whole + (1 − α)·defect), both unit vectors. */
export function blend(whole: Float32Array, defect: Float32Array, alpha: number): Float32Array {
  return unit(whole.map((value, i) => alpha * value + (1 - alpha) * defect[i]!));
}

export const DEFECT_MARGINS = [0, 1, 2] as const;
export const BLEND_ALPHAS = [0.25, 0.5, 0.75] as const;

/**
 * The defect-weighted heads of one item (names of tools/similarity's caches). `whole` holds the
 * graph's whole-crop heads: without polygons every defect head is one of them.
 */
export function defectHeads(
  map: FeatureMap,
  whole: { avg: Float32Array; rmac: Float32Array },
  polygons: readonly Polygon[],
  crop: { width: number; height: number },
): Map<string, Float32Array> {
  const heads = new Map<string, Float32Array>();
  const under = polygons.length > 0 ? cellsUnder(polygons, crop, map) : null;
  for (const margin of DEFECT_MARGINS) {
    const cells = under && dilate(under, map, margin);
    const rmac = cells ? rmacCells(map, cells) : whole.rmac;
    heads.set(`mixed5_defect_avg_m${margin}`, cells ? averageCells(map, cells) : whole.avg);
    heads.set(`mixed5_defect_rmac_m${margin}`, rmac);
    for (const alpha of BLEND_ALPHAS) heads.set(blendName(alpha, margin), blend(whole.rmac, rmac, alpha));
  }
  return heads;
}

function blendName(alpha: number, margin: number): string {
  return `mixed5_blend${Math.round(alpha * 100)}_rmac_m${margin}`;
}

/**
 * The measured variants: each defect-weighted vector indexed, with two kinds of query — the same
 * pooling (a user who drew the region, or a stored crop), or the whole image (an upload without a
 * region), which is the whole-crop head the variant falls back to.
 */
export const DEFECT_VARIANTS: Variant[] = DEFECT_MARGINS.flatMap((margin) => {
  const variants: { name: string; heads: string[]; whole: string[] }[] = [
    { name: `mixed5_defect_avg_m${margin}`, heads: [`mixed5_defect_avg_m${margin}`], whole: ['mixed5_avg'] },
    { name: `mixed5_defect_rmac_m${margin}`, heads: [`mixed5_defect_rmac_m${margin}`], whole: ['mixed5_rmac'] },
    ...BLEND_ALPHAS.map((alpha) => ({
      name: blendName(alpha, margin),
      heads: [blendName(alpha, margin)],
      whole: ['mixed5_rmac'],
    })),
    {
      name: `mixed5_rmac+mixed5_defect_rmac_m${margin}`,
      heads: ['mixed5_rmac', `mixed5_defect_rmac_m${margin}`],
      whole: ['mixed5_rmac', 'mixed5_rmac'],
    },
  ];
  return variants.flatMap(({ name, heads, whole }) => [
    { name: `${name} q=defect`, heads },
    { name: `${name} q=whole`, heads, queryHeads: whole },
  ]);
});
