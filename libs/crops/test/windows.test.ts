import { describe, expect, it } from 'vitest';
import type { Defect } from '@defect-rag/dataset';
import { groupDefects, windowStarts } from '../src/windows';

function defect(index: number, x: number, y: number, width: number, height: number): Defect {
  return {
    index,
    label: 'dent',
    polygon: [
      [x, y],
      [x + width, y],
      [x + width, y + height],
      [x, y + height],
    ],
    box: { x, y, width, height },
    area: width * height,
  };
}

describe('windowStarts', () => {
  it('centres one window on a span that fits, shifted inside the image', () => {
    expect(windowStarts(400, 500, 336, 0.3, 1024)).toEqual([282]);
    expect(windowStarts(10, 60, 336, 0.3, 1024)).toEqual([0]);
    expect(windowStarts(1000, 1020, 336, 0.3, 1024)).toEqual([688]);
  });

  it('covers a long span with evenly spread windows overlapping at least as asked', () => {
    for (const [from, to, overlap] of [
      [100, 952, 0.3],
      [0, 1024, 0.3],
      [37, 500, 0.5],
      [0, 337, 0],
    ] as const) {
      const starts = windowStarts(from, to, 336, overlap, 1024);
      expect(starts[0]).toBe(from);
      expect(starts.at(-1)! + 336).toBe(to);
      for (let i = 1; i < starts.length; i++) {
        expect(starts[i - 1]! + 336 - starts[i]!).toBeGreaterThanOrEqual(Math.floor(336 * overlap));
      }
    }
    expect(windowStarts(100, 952, 336, 0.3, 1024)).toHaveLength(4);
  });

  it('starts at 0 when the image is narrower than the window', () => {
    expect(windowStarts(10, 200, 336, 0.3, 300)).toEqual([0]);
  });
});

describe('groupDefects', () => {
  it('groups defects whose union fits one window and keeps far ones apart', () => {
    const defects = [
      defect(0, 0, 0, 50, 50),
      defect(1, 100, 100, 50, 50),
      defect(2, 600, 600, 50, 50),
      defect(3, 250, 250, 80, 80),
    ];
    const groups = groupDefects(defects, 336).map((group) => group.map((d) => d.index).sort());
    expect(groups.sort()).toEqual([[0, 1, 3], [2]]);
  });

  it('never builds a group wider than the window', () => {
    const defects = Array.from({ length: 12 }, (_, i) => defect(i, i * 60, (i * 37) % 200, 40, 40));
    for (const group of groupDefects(defects, 336)) {
      const left = Math.min(...group.map((d) => d.box.x));
      const right = Math.max(...group.map((d) => d.box.x + d.box.width));
      expect(right - left).toBeLessThanOrEqual(336);
    }
    expect(groupDefects(defects, 336).flat()).toHaveLength(12);
  });
});
