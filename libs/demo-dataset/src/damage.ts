import type { Point } from '@defect-rag/dataset';
import type { Car, CarPart, Material } from './car';
import { bounds, ellipse, isInside, outline, type Dice } from './shapes';

export type DamageKind = 'scratch' | 'dent' | 'crack' | 'chip';

/** What is drawn for one defect; coordinates in image pixels. */
export type Mark =
  | { kind: 'scratch'; lines: Point[][]; width: number }
  | { kind: 'dent'; center: Point; rx: number; ry: number; rotation: number }
  | { kind: 'crack'; branches: Point[][]; width: number }
  | { kind: 'chip'; outline: Point[]; color: string };

/** The LabelMe shape an annotator would draw around a mark. */
export interface DamageShape {
  label: string;
  shapeType: 'polygon' | 'rectangle';
  /** A polygon, or the two opposite corners of a rectangle. */
  points: Point[];
}

export interface Damage {
  mark: Mark;
  shape: DamageShape;
}

/** Labels as annotators write them: Spanish and English, capitalised or not, combined, plural. */
const LABELS: Record<DamageKind, readonly string[]> = {
  scratch: ['rayón', 'Rayón', 'rayones', 'arañazo', 'scratch', 'Scratch'],
  dent: ['Abolladura', 'abolladura', 'bollo', 'dent'],
  crack: ['rotura/fractura', 'Rotura/Fractura', 'grieta', 'crack'],
  chip: ['pintura', 'desconchón', 'daño de pintura', 'paint chip'],
};
/** Some annotators only say that something is damaged. */
const GENERIC_LABELS = ['daño', 'Daño'];

const KINDS: readonly DamageKind[] = [
  'scratch',
  'scratch',
  'scratch',
  'dent',
  'dent',
  'chip',
  'chip',
  'crack',
  'crack',
];
const HOSTS: Record<DamageKind, readonly Material[]> = {
  scratch: ['paint', 'bumper'],
  dent: ['paint'],
  crack: ['bumper', 'glass', 'headlamp', 'taillight'],
  chip: ['paint', 'bumper'],
};
const PRIMER_COLORS = ['#c9c4b8', '#9a9ea3', '#e4e1d8', '#6d6f72'];
/** Parts too thin in a side view to carry more than a chip. */
const THIN_PARTS = new Set(['hood', 'roof', 'trunk', 'tailgate', 'front_glass', 'back_glass']);
/** Tries per defect before giving up on it; a free car has room for several of each kind. */
const ATTEMPTS = 40;

/**
 * Places `count` defects on the car's panels, each fully on its part and not touching the others,
 * plus a key scratch along the doors first when `keyScratch` is set. Fewer come back only when
 * the car gets crowded, and never none.
 */
export function placeDamage(dice: Dice, car: Car, count: number, keyScratch: boolean): Damage[] {
  const placed: Damage[] = [];
  const taken: Array<ReturnType<typeof bounds>> = [];
  /** On its part, and its outline clear of the other outlines, as separate marks are annotated. */
  const fits = (damage: Damage, onHost: (point: Point) => boolean) => {
    if (!markPoints(damage.mark).every(onHost)) return false;
    const box = bounds(damage.shape.points);
    const gap = 4;
    return taken.every(
      (other) =>
        box.maxX + gap < other.minX ||
        other.maxX + gap < box.minX ||
        box.maxY + gap < other.minY ||
        other.maxY + gap < box.minY,
    );
  };
  const add = (damage: Damage) => {
    placed.push(damage);
    taken.push(bounds(damage.shape.points));
  };

  if (keyScratch) {
    const onBody = (point: Point) =>
      car.parts.some(
        (part) => (part.material === 'paint' || part.material === 'bumper') && isInside(point, part.polygon),
      );
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const { top, bottom, from, to } = car.doorBand;
      const start: Point = [dice.between(from, from + (to - from) * 0.1), dice.between(top, bottom)];
      const damage = scratch(dice, start, car.length * dice.between(0.42, 0.48), dice.between(-0.08, 0.08), car.length);
      if (fits(damage, onBody)) {
        add(damage);
        break;
      }
    }
  }

  for (let n = 0; n < count; n++) {
    // Keep the drawn kind for most attempts, so kinds that need more room (dents, cracks on small
    // lamps) are not crowded out by the easy ones.
    const wanted = dice.pick(KINDS);
    // A damaged image must get at least one shape: the first one tries much longer.
    const attempts = placed.length === 0 ? ATTEMPTS * 10 : ATTEMPTS;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const kind = attempt < ATTEMPTS / 2 ? wanted : dice.pick(KINDS);
      const hosts = car.parts.filter(
        (part) => HOSTS[kind].includes(part.material) && (kind === 'chip' || !THIN_PARTS.has(part.label)),
      );
      const host = dice.pick(hosts);
      const anchor = pointIn(dice, host);
      if (!anchor) continue;
      const damage = markAt(dice, kind, anchor, car.length);
      if (fits(damage, (point) => isInside(point, host.polygon))) {
        add(damage);
        break;
      }
    }
  }
  return placed;
}

function markAt(dice: Dice, kind: DamageKind, anchor: Point, length: number): Damage {
  switch (kind) {
    case 'scratch':
      return scratch(dice, anchor, length * dice.between(0.04, 0.15), dice.between(-0.4, 0.4), length);
    case 'dent':
      return dent(dice, anchor, length);
    case 'crack':
      return crack(dice, anchor, length);
    case 'chip':
      return chip(dice, anchor, length);
  }
}

/** One to three thin jagged parallel lines, as keys and branches leave them. */
function scratch(dice: Dice, start: Point, reach: number, angle: number, carLength: number): Damage {
  const width = dice.between(1, 2.2) * Math.max(1, carLength / 700);
  const along: Point = [Math.cos(angle), Math.sin(angle)];
  const across: Point = [-along[1], along[0]];
  const lines: Point[][] = [];
  const count = dice.int(1, 3);
  for (let line = 0; line < count; line++) {
    const offset = line * dice.between(2.5, 5) * Math.max(1, carLength / 700);
    // The first line runs the whole reach, so the scratch is as long as asked; the others fall short.
    const from = line === 0 ? 0 : dice.between(0, 0.12) * reach;
    const to = line === 0 ? reach : reach * dice.between(0.85, 1);
    const segments = Math.max(3, Math.round((to - from) / 14));
    lines.push(
      Array.from({ length: segments + 1 }, (_, i) => {
        const t = from + ((to - from) * i) / segments;
        const jitter = offset + dice.between(-1.6, 1.6);
        return [start[0] + along[0] * t + across[0] * jitter, start[1] + along[1] * t + across[1] * jitter] as const;
      }),
    );
  }
  const mark: Mark = { kind: 'scratch', lines, width };
  return {
    mark,
    shape: { label: labelFor(dice, 'scratch'), shapeType: 'polygon', points: outline(lines.flat(), width / 2 + 3) },
  };
}

/** A shaded hollow: dark towards the centre, a soft highlight on the upper rim. */
function dent(dice: Dice, center: Point, carLength: number): Damage {
  const rx = carLength * dice.between(0.025, 0.06);
  const ry = rx * dice.between(0.55, 0.85);
  const rotation = dice.between(-0.5, 0.5);
  const mark: Mark = { kind: 'dent', center, rx, ry, rotation };
  const around = ellipse(center, rx * 1.06, ry * 1.06, rotation, 16);
  return { mark, shape: boxOrPolygon(dice, 'dent', around, 0.3) };
}

/** Branching dark lines from one point of impact. */
function crack(dice: Dice, origin: Point, carLength: number): Damage {
  const step = () => carLength * dice.between(0.005, 0.012);
  const walk = (from: Point, heading: number, segments: number): Point[] => {
    const points: Point[] = [from];
    let direction = heading;
    for (let i = 0; i < segments; i++) {
      direction += dice.between(-0.5, 0.5);
      const last = points.at(-1)!;
      const distance = step();
      points.push([last[0] + Math.cos(direction) * distance, last[1] + Math.sin(direction) * distance]);
    }
    return points;
  };
  const branches: Point[][] = [];
  const count = dice.int(2, 4);
  const spin = dice.between(0, 2 * Math.PI);
  for (let i = 0; i < count; i++) {
    const heading = spin + (2 * Math.PI * i) / count + dice.between(-0.4, 0.4);
    const branch = walk(origin, heading, dice.int(2, 5));
    branches.push(branch);
    if (dice.chance(0.5)) branches.push(walk(branch[2]!, heading + dice.pick([-0.9, 0.9]), dice.int(2, 3)));
  }
  const mark: Mark = { kind: 'crack', branches, width: dice.between(1, 1.8) };
  return { mark, shape: { label: labelFor(dice, 'crack'), shapeType: 'polygon', points: outline(branches.flat(), 3) } };
}

/** A small irregular flake of paint gone, showing primer or metal. */
function chip(dice: Dice, center: Point, carLength: number): Damage {
  const radius = carLength * dice.between(0.006, 0.022);
  const corners = dice.int(7, 11);
  const points = Array.from({ length: corners }, (_, i) => {
    const angle = (2 * Math.PI * i) / corners + dice.between(-0.25, 0.25);
    const r = radius * dice.between(0.55, 1.1);
    return [center[0] + Math.cos(angle) * r, center[1] + Math.sin(angle) * r] as const;
  });
  const mark: Mark = { kind: 'chip', outline: points, color: dice.pick(PRIMER_COLORS) };
  return { mark, shape: boxOrPolygon(dice, 'chip', outline(points, 2), 0.4) };
}

/** Some annotators draw rectangles; LabelMe stores those as two opposite corners. */
function boxOrPolygon(dice: Dice, kind: DamageKind, polygon: Point[], rectangleShare: number): DamageShape {
  const label = labelFor(dice, kind);
  if (!dice.chance(rectangleShare)) return { label, shapeType: 'polygon', points: polygon };
  const { minX, minY, maxX, maxY } = bounds(polygon);
  return {
    label,
    shapeType: 'rectangle',
    points: [
      [minX, minY],
      [maxX, maxY],
    ],
  };
}

function labelFor(dice: Dice, kind: DamageKind): string {
  return dice.chance(0.12) ? dice.pick(GENERIC_LABELS) : dice.pick(LABELS[kind]);
}

/** Every point a mark paints, to check it lies on its part. */
function markPoints(mark: Mark): Point[] {
  switch (mark.kind) {
    case 'scratch':
      return mark.lines.flat();
    case 'dent':
      return ellipse(mark.center, mark.rx, mark.ry, mark.rotation, 16);
    case 'crack':
      return mark.branches.flat();
    case 'chip':
      return mark.outline;
  }
}

function pointIn(dice: Dice, part: CarPart): Point | null {
  const { minX, minY, maxX, maxY } = bounds(part.polygon);
  for (let attempt = 0; attempt < 20; attempt++) {
    const point: Point = [dice.between(minX, maxX), dice.between(minY, maxY)];
    if (isInside(point, part.polygon)) return point;
  }
  return null;
}
