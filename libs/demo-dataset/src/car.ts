import type { Point } from '@defect-rag/dataset';
import { arc, type Dice } from './shapes';

/** What a part is made of, which decides how it is painted and which damage it can get. */
export type Material = 'paint' | 'bumper' | 'glass' | 'headlamp' | 'taillight' | 'wheel' | 'trim';

export interface CarPart {
  /** The label written to `poligonos.json`; one the default taxonomy maps to a zone and an area. */
  label: string;
  material: Material;
  polygon: Point[];
}

export interface Car {
  /** Outline of body and wheels together: the `vehicle` polygon of `poligonos.json`. */
  silhouette: Point[];
  /** In drawing order, back to front. */
  parts: CarPart[];
  /** Wheel centres and radius, and the wheel-arch radius, for drawing tyres and arches. */
  wheels: Array<{ center: Point; radius: number; arch: number }>;
  /** Car length in pixels, the unit every mark is sized in. */
  length: number;
  groundY: number;
  /** Points along the waist of the doors, where a long key scratch runs. */
  doorBand: { top: number; bottom: number; from: number; to: number };
}

type BodyStyle = 'sedan' | 'hatchback';

/**
 * Labels in two vocabularies, both present in the shared sample: the per-side one of the
 * car-parts set (`front_left_door`, `back_left_light`) and the short one of the damage set
 * (`door`, `headlamp`, `rear_bumper`). `{side}` becomes the side the camera sees.
 */
const VOCABULARIES = {
  sided: {
    frontBumper: 'front_bumper',
    rearBumper: 'back_bumper',
    headlamp: 'front_{side}_light',
    taillight: 'back_{side}_light',
    frontDoor: 'front_{side}_door',
    backDoor: 'back_{side}_door',
    frontFender: 'front_{side}_fender',
    backFender: 'back_{side}_fender',
    sideGlass: '{side}_glass',
    mirror: '{side}_mirror',
  },
  short: {
    frontBumper: 'front_bumper',
    rearBumper: 'rear_bumper',
    headlamp: 'headlamp',
    taillight: 'taillight',
    frontDoor: 'door',
    backDoor: 'door',
    frontFender: 'fender',
    backFender: 'fender',
    sideGlass: '{side}_glass',
    mirror: 'mirror',
  },
} as const;

/** Body-wide heights, in car lengths above the ground. */
const BODY_BOTTOM = 0.065;
const BELT = 0.27;
const BUMPER_TOP = 0.165;

/**
 * A side view of a car `length` pixels long standing on `groundY`, starting at `left`. The car is
 * modelled front-to-rear on x ∈ [0, 1] with y up, in car lengths, then mapped to the image: facing
 * left shows its left side, facing right (mirrored) its right side.
 */
export function buildCar(dice: Dice, frame: { left: number; groundY: number; length: number }): Car {
  const style: BodyStyle = dice.chance(0.5) ? 'sedan' : 'hatchback';
  const facing = dice.chance(0.6) ? 'left' : 'right';
  const vocabulary = VOCABULARIES[dice.chance(0.7) ? 'sided' : 'short'];
  const label = (key: keyof typeof vocabulary) => {
    const text: string = vocabulary[key];
    return text.replace('{side}', facing);
  };
  const radius = dice.between(0.07, 0.08);
  const roof = dice.between(0.37, 0.405);
  // Ranges that keep both wheel arches inside their fender panels.
  const frontWheel = dice.between(0.19, 0.21);
  const rearWheel = dice.between(0.8, 0.825);
  const archRadius = radius * 1.17;

  const { left, groundY, length } = frame;
  const toImage = (points: readonly Point[]): Point[] =>
    points.map(([x, y]) => [left + (facing === 'left' ? x : 1 - x) * length, groundY - y * length] as const);

  // Arcs in car space (y up): `arc` turns counter-clockwise here because the y axis is flipped.
  const crossing = (r: number) => Math.asin((BODY_BOTTOM - radius) / r);
  /** The part of a wheel below the body, rear to front, for the silhouette. */
  const wheelBottom = (x: number) => arc([x, radius], radius, crossing(radius), -Math.PI - crossing(radius), 10);
  /** A wheel arch over the top, front to rear, cut out of a panel's lower edge. */
  const archOver = (x: number) =>
    arc([x, radius], archRadius, Math.PI - crossing(archRadius), crossing(archRadius), 12);

  const rearTop: Point[] =
    style === 'sedan'
      ? [
          [0.73, roof - 0.01],
          [0.86, 0.285],
          [0.985, 0.272],
          [1, 0.2],
        ]
      : [
          [0.83, roof - 0.012],
          [0.965, 0.315],
          [0.995, 0.2],
        ];
  const silhouette: Point[] = [
    [0.055, BODY_BOTTOM],
    [0.012, 0.085],
    [0, 0.15],
    [0.004, 0.195],
    [0.018, 0.215],
    [0.33, 0.258],
    [0.47, roof],
    [0.56, roof + 0.006],
    [0.66, roof + 0.004],
    ...rearTop,
    [0.998, 0.1],
    [0.955, BODY_BOTTOM],
    ...wheelBottom(rearWheel),
    ...wheelBottom(frontWheel),
  ];

  const parts: CarPart[] = [
    {
      label: label('frontFender'),
      material: 'paint',
      polygon: [[0.09, BODY_BOTTOM], ...archOver(frontWheel), [0.31, BODY_BOTTOM], [0.31, 0.248], [0.09, 0.212]],
    },
    {
      label: label('frontDoor'),
      material: 'paint',
      polygon: [
        [0.31, BODY_BOTTOM + 0.004],
        [0.53, BODY_BOTTOM + 0.004],
        [0.53, BELT],
        [0.335, BELT],
        [0.31, 0.248],
      ],
    },
    {
      label: label('backDoor'),
      material: 'paint',
      polygon: [
        [0.53, BODY_BOTTOM + 0.004],
        [0.7, BODY_BOTTOM + 0.004],
        [0.7, 0.17],
        [0.735, BELT],
        [0.53, BELT],
      ],
    },
    {
      label: label('backFender'),
      material: 'paint',
      polygon: [
        [0.7, BODY_BOTTOM + 0.004],
        ...archOver(rearWheel),
        [0.93, BODY_BOTTOM],
        [0.93, 0.2],
        [0.925, 0.25],
        [0.86, style === 'sedan' ? 0.268 : 0.275],
        [0.735, BELT],
        [0.7, 0.17],
      ],
    },
    {
      label: 'hood',
      material: 'paint',
      polygon: [
        [0.018, 0.215],
        [0.33, 0.258],
        [0.335, 0.246],
        [0.09, 0.212],
        [0.075, 0.211],
      ],
    },
    {
      label: 'roof',
      material: 'paint',
      polygon: [
        [0.47, roof],
        [0.56, roof + 0.006],
        [0.66, roof + 0.004],
        rearTop[0]!,
        [0.66, roof - 0.012],
        [0.49, roof - 0.012],
      ],
    },
    style === 'sedan'
      ? {
          label: 'trunk',
          material: 'paint',
          polygon: [
            [0.86, 0.285],
            [0.985, 0.272],
            [0.998, 0.25],
            [0.925, 0.25],
            [0.86, 0.268],
          ],
        }
      : {
          label: 'tailgate',
          material: 'paint',
          polygon: [
            [0.94, 0.3],
            [0.965, 0.315],
            [0.995, 0.2],
            [0.93, 0.2],
            [0.925, 0.25],
          ],
        },
    {
      label: label('frontBumper'),
      material: 'bumper',
      polygon: [
        [0.055, BODY_BOTTOM],
        [0.012, 0.085],
        [0, 0.15],
        [0.003, BUMPER_TOP],
        [0.07, BUMPER_TOP],
        [0.09, 0.12],
        [0.09, BODY_BOTTOM],
      ],
    },
    {
      label: label('rearBumper'),
      material: 'bumper',
      polygon: [
        [0.93, BODY_BOTTOM],
        [0.955, BODY_BOTTOM],
        [0.998, 0.1],
        [1, 0.195],
        [0.93, 0.195],
      ],
    },
    {
      label: 'front_glass',
      material: 'glass',
      polygon: [
        [0.33, 0.258],
        [0.47, roof],
        [0.485, roof - 0.008],
        [0.352, BELT],
      ],
    },
    {
      label: label('sideGlass'),
      material: 'glass',
      polygon: [
        [0.365, BELT + 0.005],
        [0.49, roof - 0.016],
        [0.525, roof - 0.016],
        [0.525, BELT + 0.005],
      ],
    },
    {
      label: label('sideGlass'),
      material: 'glass',
      polygon:
        style === 'sedan'
          ? [
              [0.54, BELT + 0.005],
              [0.54, roof - 0.016],
              [0.69, roof - 0.02],
              [0.775, BELT + 0.005],
            ]
          : [
              [0.54, BELT + 0.005],
              [0.54, roof - 0.016],
              [0.78, roof - 0.024],
              [0.83, BELT + 0.008],
            ],
    },
    {
      label: 'back_glass',
      material: 'glass',
      polygon:
        style === 'sedan'
          ? [
              [0.745, roof - 0.014],
              [0.855, 0.287],
              [0.835, 0.285],
            ]
          : [
              [0.845, roof - 0.016],
              [0.955, 0.31],
              [0.925, 0.3],
            ],
    },
    {
      label: label('headlamp'),
      material: 'headlamp',
      polygon: [
        [0.004, 0.172],
        [0.012, 0.2],
        [0.072, 0.21],
        [0.085, 0.19],
        [0.07, 0.172],
      ],
    },
    {
      label: label('taillight'),
      material: 'taillight',
      polygon:
        style === 'sedan'
          ? [
              [0.935, 0.2],
              [1, 0.2],
              [0.996, 0.245],
              [0.935, 0.25],
            ]
          : [
              [0.935, 0.205],
              [0.995, 0.205],
              [0.985, 0.262],
              [0.94, 0.268],
            ],
    },
    {
      label: label('mirror'),
      material: 'trim',
      polygon: [
        [0.345, BELT - 0.004],
        [0.385, BELT - 0.002],
        [0.39, BELT + 0.026],
        [0.362, BELT + 0.03],
        [0.348, BELT + 0.016],
      ],
    },
    { label: 'wheel', material: 'wheel', polygon: arc([frontWheel, radius], radius, 0, 2 * Math.PI, 24).slice(0, -1) },
    { label: 'wheel', material: 'wheel', polygon: arc([rearWheel, radius], radius, 0, 2 * Math.PI, 24).slice(0, -1) },
  ];

  const toX = (x: number) => left + (facing === 'left' ? x : 1 - x) * length;
  const doorXs = [toX(0.33), toX(0.72)].sort((a, b) => a - b) as [number, number];
  return {
    silhouette: toImage(silhouette),
    parts: parts.map((part) => ({ ...part, polygon: toImage(part.polygon) })),
    wheels: [frontWheel, rearWheel].map((x) => ({
      center: toImage([[x, radius]])[0]!,
      radius: radius * length,
      arch: archRadius * length,
    })),
    length,
    groundY,
    doorBand: { top: groundY - 0.24 * length, bottom: groundY - 0.11 * length, from: doorXs[0], to: doorXs[1] },
  };
}
