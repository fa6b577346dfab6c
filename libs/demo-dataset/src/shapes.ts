import { seededRandom, type Point } from '@defect-rag/dataset';

/** The seeded draws a scene is made of; one per image, so an image does not depend on the others. */
export class Dice {
  private readonly next: () => number;

  constructor(seed: string) {
    this.next = seededRandom(seed);
  }

  /** A float in [min, max). */
  between(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return Math.floor(this.between(min, max + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
}

/** Points of a circle arc from angle `from` to `to` (radians, y down: positive angles turn clockwise). */
export function arc(center: Point, radius: number, from: number, to: number, steps: number): Point[] {
  return Array.from({ length: steps + 1 }, (_, i) => {
    const angle = from + ((to - from) * i) / steps;
    return [center[0] + radius * Math.cos(angle), center[1] + radius * Math.sin(angle)] as const;
  });
}

/** An ellipse as a polygon, rotated by `rotation` radians about its centre. */
export function ellipse(center: Point, rx: number, ry: number, rotation: number, steps = 20): Point[] {
  const cos = Math.cos(rotation);
  const sin = Math.sin(rotation);
  return Array.from({ length: steps }, (_, i) => {
    const t = (2 * Math.PI * i) / steps;
    const x = rx * Math.cos(t);
    const y = ry * Math.sin(t);
    return [center[0] + x * cos - y * sin, center[1] + x * sin + y * cos] as const;
  });
}

/** Convex hull (Andrew's monotone chain), counter-clockwise, without repeated points. */
export function convexHull(points: readonly Point[]): Point[] {
  const sorted = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const cross = (o: Point, a: Point, b: Point) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const half = (input: readonly Point[]) => {
    const chain: Point[] = [];
    for (const point of input) {
      while (chain.length >= 2 && cross(chain.at(-2)!, chain.at(-1)!, point) <= 0) chain.pop();
      chain.push(point);
    }
    chain.pop();
    return chain;
  };
  return [...half(sorted), ...half([...sorted].reverse())];
}

/**
 * The outline an annotator would draw around a mark: the convex hull of its points grown by
 * `margin` pixels (each point contributes an octagon around it).
 */
export function outline(points: readonly Point[], margin: number): Point[] {
  const grown = points.flatMap(([x, y]) =>
    Array.from(
      { length: 8 },
      (_, i) => [x + margin * Math.cos((i * Math.PI) / 4), y + margin * Math.sin((i * Math.PI) / 4)] as const,
    ),
  );
  return convexHull(grown);
}

/** Even–odd ray casting. */
export function isInside([x, y]: Point, polygon: readonly Point[]): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i]!;
    const [xj, yj] = polygon[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export function bounds(points: readonly Point[]): { minX: number; minY: number; maxX: number; maxY: number } {
  const xs = points.map(([x]) => x);
  const ys = points.map(([, y]) => y);
  return { minX: Math.min(...xs), minY: Math.min(...ys), maxX: Math.max(...xs), maxY: Math.max(...ys) };
}

/**
 * Coordinates as written to the JSON files: 0.1 px, kept inside [0, width-1] × [0, height-1] like
 * the shared sample. Rounding here also keeps the files identical if the last bit of a Math.sin
 * result ever differed.
 */
export function toFileCoordinates(points: readonly Point[], width: number, height: number): Array<[number, number]> {
  const round = (value: number, max: number) => Math.round(Math.min(Math.max(value, 0), max) * 10) / 10;
  return points.map(([x, y]) => [round(x, width - 1), round(y, height - 1)]);
}
