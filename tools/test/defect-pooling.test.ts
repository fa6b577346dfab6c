import { describe, expect, it } from 'vitest';
import {
  averageCells,
  blend,
  defectCells,
  defectHeads,
  rmacCells,
  type FeatureMap,
} from '../similarity/defect-pooling';

/** Cell k of a 17-cell axis covers [k, k + 1) · 299/17 px of the 299 px input, i.e. · 336/17 px of a 336 px crop. */
const CELL = 336 / 17;
const CROP = { width: 336, height: 336 };
const GRID = { height: 17, width: 17 };

function square(x0: number, y0: number, x1: number, y1: number): [number, number][] {
  return [
    [x0, y0],
    [x1, y0],
    [x1, y1],
    [x0, y1],
  ];
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) expect(actual[i]).toBeCloseTo(expected[i]!, 6);
}

function marked(cells: Uint8Array): string[] {
  return [...cells.entries()].filter(([, on]) => on).map(([p]) => `${Math.floor(p / 17)},${p % 17}`);
}

describe('defectCells', () => {
  it('marks the cells a polygon overlaps, in the preprocessed frame, then dilates by the margin', () => {
    // Inside cell (row 8, col 5) of a 336 px crop.
    const polygon = square(5 * CELL + 2, 8 * CELL + 2, 6 * CELL - 2, 9 * CELL - 2);
    expect(marked(defectCells([polygon], CROP, GRID, 0))).toEqual(['8,5']);
    const dilated = marked(defectCells([polygon], CROP, GRID, 1));
    expect(dilated).toEqual(['7,4', '7,5', '7,6', '8,4', '8,5', '8,6', '9,4', '9,5', '9,6']);
    // Across a cell border: both cells; at the map's corner the margin stops at the edge.
    expect(
      marked(defectCells([square(6 * CELL - 3, 8 * CELL + 2, 6 * CELL + 3, 9 * CELL - 2)], CROP, GRID, 0)),
    ).toEqual(['8,5', '8,6']);
    expect(marked(defectCells([square(0, 0, 5, 5)], CROP, GRID, 1))).toEqual(['0,0', '0,1', '1,0', '1,1']);
  });

  it('pools every cell without polygons (clean crops, control windows) or with polygons of no area', () => {
    expect(marked(defectCells([], CROP, GRID, 1))).toHaveLength(289);
    expect(
      marked(
        defectCells(
          [
            [
              [10, 10],
              [50, 50],
            ],
          ],
          CROP,
          GRID,
          0,
        ),
      ),
    ).toHaveLength(289);
  });
});

describe('pooling chosen cells', () => {
  // A 3 × 3 map of two channels, channels first: cell p holds [p, 10 − p], and a large value at
  // cell 8 that the chosen cells must not see.
  const data = new Float32Array(18);
  for (let p = 0; p < 9; p++) {
    data[p] = p;
    data[9 + p] = 10 - p;
  }
  data[8] = 1000;
  data[17] = 1000;
  const map: FeatureMap = { data, channels: 2, height: 3, width: 3 };
  const chosen = Uint8Array.from([1, 1, 0, 1, 1, 0, 0, 0, 0]); // cells 0, 1, 3, 4

  it('averages the chosen cells only', () => {
    const mean = [(0 + 1 + 3 + 4) / 4, (10 + 9 + 7 + 6) / 4];
    const norm = Math.hypot(mean[0]!, mean[1]!);
    expectClose(
      averageCells(map, chosen),
      mean.map((v) => v / norm),
    );
  });

  it("takes R-MAC's regional maxima over the chosen cells' bounding box, ignoring the others", () => {
    const vector = rmacCells(map, chosen);
    // The 2 × 2 box of cells 0, 1, 3, 4: at scales 1 and 2 one region, the box ([4, 10]; scale
    // 2's two windows coincide, counted once); at scale 3 single cells (rmacGrid(2, 3) has kernel 1).
    const unitOf = (v: number[]) => v.map((x) => x / Math.hypot(...v));
    const cells = [0, 1, 3, 4].map((p) => unitOf([p, 10 - p]));
    const sum = unitOf([4, 10]).map((x, c) => 2 * x + cells.reduce((s, cell) => s + cell[c]!, 0));
    expectClose(vector, unitOf(sum));
    expect(vector[0]! / vector[1]!).toBeLessThan(1); // the 1000s of cell 8 would make it ≈ 1
  });

  it('blends unit vectors and falls back to the whole-crop heads without polygons', () => {
    const a = Float32Array.of(1, 0);
    const b = Float32Array.of(0, 1);
    expectClose(blend(a, b, 0.5), [Math.SQRT1_2, Math.SQRT1_2]);
    const whole = { avg: Float32Array.of(0.6, 0.8), rmac: Float32Array.of(0.8, 0.6) };
    for (const [name, vector] of defectHeads(map, whole, [], { width: 3, height: 3 })) {
      expect([...vector], name).toEqual([...(name.includes('_avg_') ? whole.avg : whole.rmac)]);
    }
  });
});
