import { describe, expect, it } from 'vitest';
import {
  areaInside,
  clipPolygon,
  partOverlaps,
  pixelBox,
  polygonArea,
  polygonBox,
  pixelRegion,
  regionArea,
  type Polygon,
} from '../src';

const square = (x: number, y: number, side: number): Polygon => [
  [x, y],
  [x + side, y],
  [x + side, y + side],
  [x, y + side],
];

describe('geometry', () => {
  it('measures area and box of a polygon, whatever its winding', () => {
    const triangle: Polygon = [
      [0, 0],
      [10, 0],
      [0, 4],
    ];
    expect(polygonArea(triangle)).toBe(20);
    expect(polygonArea([...triangle].reverse())).toBe(20);
    expect(polygonBox(triangle)).toEqual({ x: 0, y: 0, width: 10, height: 4 });
    expect(pixelBox({ x: 0.5, y: 1.2, width: 2, height: 3 })).toEqual({ x: 0, y: 1, width: 3, height: 4 });
  });

  it('clips a polygon to a box, including a concave one', () => {
    expect(areaInside(square(-5, -5, 10), { x: 0, y: 0, width: 100, height: 100 })).toBe(25);
    expect(clipPolygon(square(200, 200, 10), { x: 0, y: 0, width: 100, height: 100 })).toEqual([]);
    // A U shape: its two arms reach into the box, the base does not.
    const u: Polygon = [
      [0, 0],
      [2, 0],
      [2, 8],
      [4, 8],
      [4, 0],
      [6, 0],
      [6, 10],
      [0, 10],
    ];
    expect(polygonArea(u)).toBe(44);
    expect(areaInside(u, { x: 0, y: 0, width: 6, height: 5 })).toBe(20);
  });

  it('covers pixels by their centres, so an axis-aligned square covers exactly its pixels', () => {
    const window = { x: 10, y: 20, width: 30, height: 30 };
    const region = pixelRegion([square(15, 25, 10)], window);
    expect(regionArea(region)).toBe(100);
    expect(region.rows[5]).toEqual([5, 15]);
    expect(region.rows[4]).toEqual([]);
    expect(region.rows[15]).toEqual([]);
    // Overlapping polygons are a union, not counted twice; touching runs are joined.
    const union = pixelRegion([square(15, 25, 10), square(20, 25, 10), square(30, 25, 2)], window);
    expect(regionArea(union)).toBe(154);
    expect(union.rows[5]).toEqual([5, 22]);
    // Pixels outside the window are left out.
    expect(regionArea(pixelRegion([square(0, 0, 100)], window))).toBe(900);
  });

  it('fills concave polygons by the even-odd rule', () => {
    const u: Polygon = [
      [0, 0],
      [2, 0],
      [2, 8],
      [4, 8],
      [4, 0],
      [6, 0],
      [6, 10],
      [0, 10],
    ];
    const region = pixelRegion([u], { x: 0, y: 0, width: 6, height: 10 });
    expect(region.rows[0]).toEqual([0, 2, 4, 6]);
    expect(region.rows[9]).toEqual([0, 6]);
    expect(regionArea(region)).toBe(44);
  });

  it('counts part overlaps per label within a region, largest first', () => {
    const window = { x: 0, y: 0, width: 20, height: 20 };
    const parts = [
      { label: 'door', polygon: square(0, 0, 10) },
      { label: 'hood', polygon: square(10, 0, 10) },
      { label: 'door', polygon: square(0, 10, 5) },
      { label: 'wheel', polygon: square(100, 100, 10) },
    ];
    expect(partOverlaps(null, window, parts)).toEqual([
      { label: 'door', overlap: 125 },
      { label: 'hood', overlap: 100 },
    ]);
    const region = pixelRegion([square(5, 0, 10)], window);
    expect(partOverlaps(region, window, parts)).toEqual([
      { label: 'door', overlap: 50 },
      { label: 'hood', overlap: 50 },
    ]);
  });
});
