/**
 * Plane geometry in image pixel coordinates: x to the right, y down, pixel (i, j) covering
 * [i, i+1) × [j, j+1). Exact areas come from the shoelace formula; pixel regions and overlaps are counted
 * on pixel centres, which is what "px²" means wherever the project reports an overlap.
 */
export type Point = readonly [x: number, y: number];
export type Polygon = readonly Point[];

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A labelled polygon of a vehicle part (door, bumper…), as `poligonos.json` gives it. */
export interface Part {
  label: string;
  polygon: Polygon;
}

/** How many pixels of a region fall on a part with this label, summed over its polygons. */
export interface PartOverlap {
  label: string;
  overlap: number;
}

/** Absolute area; a self-intersecting polygon gets the signed sum of its lobes, as usual. */
export function polygonArea(polygon: Polygon): number {
  let twice = 0;
  for (let i = 0; i < polygon.length; i++) {
    const [x0, y0] = polygon[i]!;
    const [x1, y1] = polygon[(i + 1) % polygon.length]!;
    twice += x0 * y1 - x1 * y0;
  }
  return Math.abs(twice) / 2;
}

/** Tight bounding box of the points, in fractional pixels. */
export function polygonBox(polygon: Polygon): Box {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const [x, y] of polygon) {
    minX = Math.min(minX, x);
    minY = Math.min(minY, y);
    maxX = Math.max(maxX, x);
    maxY = Math.max(maxY, y);
  }
  return { x: minX, y: minY, width: maxX - minX, height: maxY - minY };
}

/** The smallest box of whole pixels containing `box`. */
export function pixelBox(box: Box): Box {
  const x = Math.floor(box.x);
  const y = Math.floor(box.y);
  return { x, y, width: Math.ceil(box.x + box.width) - x, height: Math.ceil(box.y + box.height) - y };
}

export function unionBox(boxes: readonly Box[]): Box {
  const x = Math.min(...boxes.map((b) => b.x));
  const y = Math.min(...boxes.map((b) => b.y));
  const right = Math.max(...boxes.map((b) => b.x + b.width));
  const bottom = Math.max(...boxes.map((b) => b.y + b.height));
  return { x, y, width: right - x, height: bottom - y };
}

export function boxesIntersect(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/**
 * The part of `polygon` inside `box` (Sutherland–Hodgman against the four edges). Works for any
 * simple polygon because the clip region is convex; an empty array means nothing is inside.
 */
export function clipPolygon(polygon: Polygon, box: Box): Point[] {
  const right = box.x + box.width;
  const bottom = box.y + box.height;
  const edges: Array<{ inside: (p: Point) => boolean; cross: (a: Point, b: Point) => Point }> = [
    { inside: ([x]) => x >= box.x, cross: (a, b) => atX(a, b, box.x) },
    { inside: ([x]) => x <= right, cross: (a, b) => atX(a, b, right) },
    { inside: ([, y]) => y >= box.y, cross: (a, b) => atY(a, b, box.y) },
    { inside: ([, y]) => y <= bottom, cross: (a, b) => atY(a, b, bottom) },
  ];
  let output: Point[] = [...polygon];
  for (const edge of edges) {
    const input = output;
    output = [];
    for (let i = 0; i < input.length; i++) {
      const current = input[i]!;
      const previous = input[(i + input.length - 1) % input.length]!;
      const currentIn = edge.inside(current);
      if (currentIn !== edge.inside(previous)) output.push(edge.cross(previous, current));
      if (currentIn) output.push(current);
    }
    if (output.length === 0) break;
  }
  return output;
}

function atX([ax, ay]: Point, [bx, by]: Point, x: number): Point {
  return [x, ay + ((x - ax) * (by - ay)) / (bx - ax)];
}

function atY([ax, ay]: Point, [bx, by]: Point, y: number): Point {
  return [ax + ((y - ay) * (bx - ax)) / (by - ay), y];
}

/** Area of `polygon` inside `box`. */
export function areaInside(polygon: Polygon, box: Box): number {
  const clipped = clipPolygon(polygon, box);
  return clipped.length < 3 ? 0 : polygonArea(clipped);
}

/**
 * The pixels of a window covered by a region, as runs: `rows[r]` lists the sorted, disjoint runs
 * of row r as flat pairs `from0, to0, from1, to1…` (pixels [from, to) in window coordinates).
 * Counting, intersecting and copying runs costs per run, not per pixel.
 */
export interface PixelRegion {
  window: Box;
  rows: number[][];
}

/** Shared by every empty row; never written to. */
const NO_RUNS: number[] = [];

/**
 * The pixels of `window` covered by the union of the polygons: a pixel is covered when its centre
 * is inside a polygon by the even-odd rule.
 */
export function pixelRegion(polygons: readonly Polygon[], window: Box): PixelRegion {
  const rows: number[][] = Array.from({ length: window.height }, () => NO_RUNS);
  for (const polygon of polygons) {
    forEachSpan(polygon, window, (row, from, to) => {
      if (rows[row] === NO_RUNS) rows[row] = [from, to];
      else rows[row]!.push(from, to);
    });
  }
  if (polygons.length > 1) {
    for (let row = 0; row < rows.length; row++) if (rows[row]!.length > 2) rows[row] = mergeRuns(rows[row]!);
  }
  return { window, rows };
}

/** Number of pixels in the region. */
export function regionArea(region: PixelRegion): number {
  let area = 0;
  for (const runs of region.rows) {
    for (let k = 0; k < runs.length; k += 2) area += runs[k + 1]! - runs[k]!;
  }
  return area;
}

/**
 * For each part label, the number of pixels of `window` that are both in `region` (null for the
 * whole window) and on that part. Sorted by overlap, largest first, then by label; parts that do
 * not overlap are left out.
 */
export function partOverlaps(region: PixelRegion | null, window: Box, parts: readonly Part[]): PartOverlap[] {
  const byLabel = new Map<string, number>();
  for (const part of parts) {
    let overlap = 0;
    forEachSpan(part.polygon, window, (row, from, to) => {
      if (!region) {
        overlap += to - from;
        return;
      }
      const runs = region.rows[row]!;
      for (let k = 0; k < runs.length && runs[k]! < to; k += 2) {
        overlap += Math.max(0, Math.min(to, runs[k + 1]!) - Math.max(from, runs[k]!));
      }
    });
    if (overlap > 0) byLabel.set(part.label, (byLabel.get(part.label) ?? 0) + overlap);
  }
  return [...byLabel]
    .map(([label, overlap]) => ({ label, overlap }))
    .sort((a, b) => b.overlap - a.overlap || a.label.localeCompare(b.label));
}

/** Sorts flat run pairs and joins the ones that overlap or touch. */
function mergeRuns(runs: number[]): number[] {
  const pairs: Array<[number, number]> = [];
  for (let k = 0; k < runs.length; k += 2) pairs.push([runs[k]!, runs[k + 1]!]);
  pairs.sort((a, b) => a[0] - b[0]);
  const merged: number[] = [];
  for (const [from, to] of pairs) {
    const last = merged.length - 1;
    if (last > 0 && from <= merged[last]!) merged[last] = Math.max(merged[last]!, to);
    else merged.push(from, to);
  }
  return merged;
}

/**
 * Scanline fill: calls `span(row, from, to)` for each run of window pixels [from, to) on `row`
 * whose centres lie inside the polygon (even-odd rule), in window coordinates, runs of a row from
 * left to right. Each edge adds its crossings only to the rows it spans, so the cost follows the
 * polygon's outline, not rows × vertices (part polygons can have hundreds of points); crossings
 * live in one flat array, bucketed by row, because this runs for every part of every crop.
 */
function forEachSpan(polygon: Polygon, window: Box, span: (row: number, from: number, to: number) => void): void {
  const bounds = polygonBox(polygon);
  if (!boxesIntersect(bounds, window)) return;
  const rowCount = window.height;
  // The rows whose centre cy has low ≤ cy < high for an edge: a vertex is counted once, on its lower edge.
  const firstRowOf = (low: number) => Math.max(0, Math.ceil(low - window.y - 0.5));
  const lastRowOf = (high: number) => Math.min(rowCount - 1, Math.ceil(high - window.y - 0.5) - 1);
  const starts = new Int32Array(rowCount + 1);
  for (let i = 0; i < polygon.length; i++) {
    const ay = polygon[i]![1];
    const by = polygon[(i + 1) % polygon.length]![1];
    if (ay === by) continue;
    const last = lastRowOf(Math.max(ay, by));
    for (let row = firstRowOf(Math.min(ay, by)); row <= last; row++) starts[row + 1]!++;
  }
  for (let row = 0; row < rowCount; row++) starts[row + 1]! += starts[row]!;
  const crossings = new Float64Array(starts[rowCount]!);
  const filled = starts.slice(0, rowCount);
  for (let i = 0; i < polygon.length; i++) {
    const [ax, ay] = polygon[i]!;
    const [bx, by] = polygon[(i + 1) % polygon.length]!;
    if (ay === by) continue;
    const slope = (bx - ax) / (by - ay);
    const last = lastRowOf(Math.max(ay, by));
    for (let row = firstRowOf(Math.min(ay, by)); row <= last; row++) {
      crossings[filled[row]!++] = ax + (window.y + row + 0.5 - ay) * slope;
    }
  }
  for (let row = 0; row < rowCount; row++) {
    const begin = starts[row]!;
    const end = starts[row + 1]!;
    if (end - begin > 2) crossings.subarray(begin, end).sort();
    else if (end - begin === 2 && crossings[begin]! > crossings[begin + 1]!) {
      const first = crossings[begin]!;
      crossings[begin] = crossings[begin + 1]!;
      crossings[begin + 1] = first;
    }
    for (let k = begin; k + 1 < end; k += 2) {
      const from = Math.max(0, Math.ceil(crossings[k]! - window.x - 0.5));
      const to = Math.min(window.width, Math.ceil(crossings[k + 1]! - window.x - 0.5));
      if (to > from) span(row, from, to);
    }
  }
}
