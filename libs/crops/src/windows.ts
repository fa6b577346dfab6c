import { pixelBox, unionBox, type Box, type Defect } from '@defect-rag/dataset';

/**
 * Start positions of windows of `size` along one axis that together cover [from, to), each kept
 * inside [0, limit]. A span that fits gets one window centred on it; a longer one gets the fewest
 * windows whose overlap is at least `overlap`, spread evenly from one end to the other. When the
 * image is narrower than the window (limit ≤ size) the only window starts at 0. No start repeats.
 */
export function windowStarts(from: number, to: number, size: number, overlap: number, limit: number): number[] {
  if (limit <= size) return [0];
  const clamp = (start: number) => Math.min(Math.max(start, 0), limit - size);
  const length = to - from;
  if (length <= size) return [clamp(from - Math.floor((size - length) / 2))];
  const stride = size * (1 - overlap);
  const count = Math.ceil((length - size) / stride) + 1;
  const starts = Array.from({ length: count }, (_, i) => clamp(from + Math.round((i * (length - size)) / (count - 1))));
  return [...new Set(starts)];
}

/** Whether the whole-pixel box of `box` fits in a size×size window. */
export function fitsWindow(box: Box, size: number): boolean {
  const pixels = pixelBox(box);
  return pixels.width <= size && pixels.height <= size;
}

/**
 * Groups defects that fit one window together: starting from one group per defect, it keeps
 * merging the two groups whose union box is smallest while that union still fits. Each defect is
 * in exactly one group, and every group's union box fits the window.
 */
export function groupDefects(defects: readonly Defect[], size: number): Defect[][] {
  const groups = defects.map((defect) => ({ members: [defect], box: pixelBox(defect.box) }));
  for (;;) {
    let best: { i: number; j: number; box: Box } | null = null;
    for (let i = 0; i < groups.length; i++) {
      for (let j = i + 1; j < groups.length; j++) {
        const box = unionBox([groups[i]!.box, groups[j]!.box]);
        if (box.width > size || box.height > size) continue;
        if (!best || box.width * box.height < best.box.width * best.box.height) best = { i, j, box };
      }
    }
    if (!best) return groups.map((group) => group.members);
    const merged = { members: [...groups[best.i]!.members, ...groups[best.j]!.members], box: best.box };
    groups.splice(best.j, 1);
    groups[best.i] = merged;
  }
}
