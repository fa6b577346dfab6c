import type { Point } from '@defect-rag/dataset';
import type { Car, CarPart } from './car';
import type { Mark } from './damage';
import type { Dice } from './shapes';

/** Paint colours of the demo cars. */
export const PAINTS = {
  red: '#b3202a',
  blue: '#1f4e9c',
  silver: '#a9adb3',
  white: '#e6e6e1',
  black: '#26282c',
  green: '#2f6b3a',
  yellow: '#d9a514',
} as const;
export type PaintName = keyof typeof PAINTS;

const WALLS = [
  ['#d9d6cf', '#a9a49a'],
  ['#c7d0d8', '#8c98a3'],
  ['#e2d5bd', '#b39f7f'],
  ['#bfc3b8', '#7f857a'],
] as const;
const FLOORS = [
  ['#77746e', '#4a4844'],
  ['#8a8f93', '#55595c'],
  ['#6f6a61', '#3f3b35'],
] as const;

export interface Scene {
  width: number;
  height: number;
  paint: PaintName;
  /** Unpainted black plastic bumpers, as on many cheaper trims. */
  plasticBumpers: boolean;
  car: Car;
  marks: Mark[];
}

/**
 * The scene as SVG for sharp (librsvg) to rasterise. No text, so no font can change the pixels;
 * coordinates are written at 0.1 px, so the string and the picture depend only on the seed.
 */
export function renderScene(dice: Dice, scene: Scene): string {
  const { width, height, car } = scene;
  const paint = PAINTS[scene.paint];
  const defs: string[] = [];
  const body: string[] = [];

  body.push(...background(dice, scene, defs));

  const roofY = Math.min(...car.silhouette.map(([, y]) => y));
  defs.push(
    gradient(
      'paint',
      [0, roofY, 0, car.groundY],
      [
        [0, shade(paint, 0.35)],
        [0.45, paint],
        [0.62, shade(paint, 0.18)],
        [0.7, paint],
        [1, shade(paint, -0.45)],
      ],
    ),
    gradient(
      'glass',
      [0, roofY, 0, roofY + car.length * 0.15],
      [
        [0, '#5d6f80'],
        [1, '#1a222b'],
      ],
    ),
    gradient(
      'plastic',
      [0, car.groundY - car.length * 0.17, 0, car.groundY],
      [
        [0, '#3a3b3d'],
        [1, '#151617'],
      ],
    ),
    `<radialGradient id="shadow"><stop offset="0" stop-color="#000" stop-opacity="0.8"/><stop offset="0.7" stop-color="#000" stop-opacity="0.45"/><stop offset="1" stop-color="#000" stop-opacity="0"/></radialGradient>`,
    `<clipPath id="body"><path d="${path(car.silhouette)}"/></clipPath>`,
  );
  const [first, last] = [car.wheels[0]!, car.wheels.at(-1)!];
  const middle = (first.center[0] + last.center[0]) / 2;
  body.push(
    ellipseElement([middle, car.groundY - car.length * 0.005], car.length * 0.58, car.length * 0.05, 'url(#shadow)'),
  );
  body.push(`<path d="${path(car.silhouette)}" fill="${shade(paint, -0.5)}"/>`);
  body.push(
    `<g clip-path="url(#body)">${car.wheels.map((wheel) => circle(wheel.center, wheel.arch, '#0d0d0e')).join('')}</g>`,
  );
  for (const part of car.parts) body.push(drawPart(part, scene));
  body.push(...car.wheels.map((wheel) => drawWheel(wheel.center, wheel.radius, scene.paint === 'black')));
  scene.marks.forEach((mark, index) => body.push(drawMark(mark, index, paint, defs)));

  defs.push(
    `<radialGradient id="vignette" cx="0.5" cy="0.5" r="0.75"><stop offset="0.55" stop-color="#000" stop-opacity="0"/><stop offset="1" stop-color="#000" stop-opacity="0.35"/></radialGradient>`,
  );
  body.push(`<rect width="${width}" height="${height}" fill="url(#vignette)"/>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><defs>${defs.join('')}</defs>${body.join('')}</svg>`;
}

/**
 * A wall of panels over a tiled floor, with speckle: texture that a vehicle mask visibly removes,
 * and that differs from image to image.
 */
function background(dice: Dice, scene: Scene, defs: string[]): string[] {
  const { width, height, car } = scene;
  const horizon = car.groundY - car.length * dice.between(0.1, 0.16);
  const [wallTop, wallBottom] = dice.pick(WALLS);
  const [floorNear, floorFar] = dice.pick(FLOORS);
  defs.push(
    gradient(
      'wall',
      [0, 0, 0, horizon],
      [
        [0, wallTop],
        [1, wallBottom],
      ],
    ),
    gradient(
      'floor',
      [0, horizon, 0, height],
      [
        [0, floorFar],
        [1, floorNear],
      ],
    ),
  );
  const out = [
    `<rect width="${width}" height="${fmt(horizon)}" fill="url(#wall)"/>`,
    `<rect y="${fmt(horizon)}" width="${width}" height="${fmt(height - horizon)}" fill="url(#floor)"/>`,
  ];

  const panel = width / dice.int(7, 14);
  for (let x = 0; x < width; x += panel) {
    const tone = dice.chance(0.5) ? '#fff' : '#000';
    out.push(
      `<rect x="${fmt(x)}" width="${fmt(panel)}" height="${fmt(horizon)}" fill="${tone}" fill-opacity="${fmt(dice.between(0.02, 0.09), 2)}"/>`,
    );
    out.push(
      `<line x1="${fmt(x)}" y1="0" x2="${fmt(x)}" y2="${fmt(horizon)}" stroke="#000" stroke-opacity="0.18" stroke-width="1.5"/>`,
    );
  }
  out.push(
    `<line x1="0" y1="${fmt(horizon)}" x2="${width}" y2="${fmt(horizon)}" stroke="#000" stroke-opacity="0.35" stroke-width="2"/>`,
  );

  // Floor joints: rows closer together towards the horizon, columns converging on a vanishing point.
  const rows = dice.int(5, 8);
  for (let i = 1; i <= rows; i++) {
    const y = horizon + (height - horizon) * (i / rows) ** 1.6;
    out.push(
      `<line x1="0" y1="${fmt(y)}" x2="${width}" y2="${fmt(y)}" stroke="#000" stroke-opacity="0.22" stroke-width="1.2"/>`,
    );
  }
  const vanishing: Point = [width * dice.between(0.3, 0.7), horizon - (height - horizon) * 1.5];
  const columns = dice.int(8, 14);
  for (let i = -columns; i <= 2 * columns; i++) {
    const x = (width * i) / columns;
    const t = (horizon - vanishing[1]) / (height - vanishing[1]);
    const top: Point = [vanishing[0] + (x - vanishing[0]) * t, horizon];
    out.push(
      `<line x1="${fmt(top[0])}" y1="${fmt(top[1])}" x2="${fmt(x)}" y2="${height}" stroke="#000" stroke-opacity="0.18" stroke-width="1.2"/>`,
    );
  }

  const speckles = Math.round((width * height) / 2500);
  for (let i = 0; i < speckles; i++) {
    const tone = dice.chance(0.5) ? '#fff' : '#000';
    out.push(
      `<circle cx="${fmt(dice.between(0, width))}" cy="${fmt(dice.between(0, height))}" r="${fmt(dice.between(0.6, 2.4))}" fill="${tone}" fill-opacity="${fmt(dice.between(0.06, 0.22), 2)}"/>`,
    );
  }
  return out;
}

function drawPart(part: CarPart, scene: Scene): string {
  const d = path(part.polygon);
  const seam = `stroke="#000" stroke-opacity="0.55" stroke-width="${fmt(Math.max(1, scene.car.length / 700))}" stroke-linejoin="round"`;
  switch (part.material) {
    case 'paint':
      return `<path d="${d}" fill="url(#paint)" ${seam}/>`;
    case 'bumper':
      return `<path d="${d}" fill="${scene.plasticBumpers ? 'url(#plastic)' : 'url(#paint)'}" ${seam}/>`;
    case 'trim':
      return `<path d="${d}" fill="${shade(PAINTS[scene.paint], -0.25)}" ${seam}/>`;
    case 'glass':
      return `<path d="${d}" fill="url(#glass)" ${seam}/>`;
    case 'headlamp':
      return `<path d="${d}" fill="#e8eef2" ${seam}/>`;
    case 'taillight':
      return `<path d="${d}" fill="#b3141e" ${seam}/>`;
    case 'wheel':
      return '';
  }
}

function drawWheel(center: Point, radius: number, darkRims: boolean): string {
  const spokes = Array.from({ length: 5 }, (_, i) => {
    const angle = (2 * Math.PI * i) / 5 - Math.PI / 2;
    const end: Point = [center[0] + Math.cos(angle) * radius * 0.58, center[1] + Math.sin(angle) * radius * 0.58];
    return `<line x1="${fmt(center[0])}" y1="${fmt(center[1])}" x2="${fmt(end[0])}" y2="${fmt(end[1])}" stroke="#3a3c40" stroke-width="${fmt(radius * 0.12)}"/>`;
  });
  return [
    circle(center, radius, '#161617'),
    circle(center, radius * 0.64, darkRims ? '#4a4d52' : '#b9bdc3'),
    circle(center, radius * 0.5, darkRims ? '#2e3034' : '#8e9399'),
    ...spokes,
    circle(center, radius * 0.14, '#d0d3d6'),
  ].join('');
}

function drawMark(mark: Mark, index: number, paint: string, defs: string[]): string {
  switch (mark.kind) {
    case 'scratch':
      return mark.lines
        .map((line) => {
          const d = polyline(line);
          const shadow = polyline(line.map(([x, y]) => [x + 0.8, y + 0.8] as const));
          return (
            `<path d="${shadow}" fill="none" stroke="#000" stroke-opacity="0.35" stroke-width="${fmt(mark.width)}" stroke-linecap="round" stroke-linejoin="round"/>` +
            `<path d="${d}" fill="none" stroke="#ecebe4" stroke-opacity="0.9" stroke-width="${fmt(mark.width)}" stroke-linecap="round" stroke-linejoin="round"/>`
          );
        })
        .join('');
    case 'dent': {
      const id = `dent${index}`;
      defs.push(
        `<radialGradient id="${id}"><stop offset="0" stop-color="#000" stop-opacity="0.45"/><stop offset="0.6" stop-color="#000" stop-opacity="0.2"/><stop offset="1" stop-color="#000" stop-opacity="0"/></radialGradient>`,
      );
      const degrees = fmt((mark.rotation * 180) / Math.PI);
      const [cx, cy] = mark.center;
      const rotate = `transform="rotate(${degrees} ${fmt(cx)} ${fmt(cy)})"`;
      return (
        `<ellipse cx="${fmt(cx)}" cy="${fmt(cy)}" rx="${fmt(mark.rx)}" ry="${fmt(mark.ry)}" fill="url(#${id})" ${rotate}/>` +
        `<ellipse cx="${fmt(cx)}" cy="${fmt(cy - mark.ry * 0.45)}" rx="${fmt(mark.rx * 0.6)}" ry="${fmt(mark.ry * 0.28)}" fill="${shade(paint, 0.6)}" fill-opacity="0.35" ${rotate}/>` +
        `<path d="M${fmt(cx - mark.rx * 0.5)} ${fmt(cy + mark.ry * 0.1)}Q${fmt(cx)} ${fmt(cy + mark.ry * 0.45)} ${fmt(cx + mark.rx * 0.5)} ${fmt(cy + mark.ry * 0.05)}" fill="none" stroke="#000" stroke-opacity="0.3" stroke-width="1.5" ${rotate}/>`
      );
    }
    case 'crack':
      return mark.branches
        .map(
          (branch) =>
            `<path d="${polyline(branch.map(([x, y]) => [x + 0.7, y + 0.7] as const))}" fill="none" stroke="#fff" stroke-opacity="0.35" stroke-width="${fmt(mark.width)}"/>` +
            `<path d="${polyline(branch)}" fill="none" stroke="#141414" stroke-opacity="0.85" stroke-width="${fmt(mark.width)}" stroke-linejoin="round"/>`,
        )
        .join('');
    case 'chip':
      return `<path d="${path(mark.outline)}" fill="${mark.color}" stroke="#000" stroke-opacity="0.45" stroke-width="0.8"/>`;
  }
}

/** Mixes a `#rrggbb` colour towards white (amount > 0) or black (amount < 0). */
function shade(hex: string, amount: number): string {
  const target = amount > 0 ? 255 : 0;
  const channel = (i: number) => {
    const value = parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16);
    return Math.round(value + (target - value) * Math.abs(amount))
      .toString(16)
      .padStart(2, '0');
  };
  return `#${channel(0)}${channel(1)}${channel(2)}`;
}

function gradient(
  id: string,
  [x1, y1, x2, y2]: [number, number, number, number],
  stops: Array<[number, string]>,
): string {
  const stopElements = stops.map(([offset, color]) => `<stop offset="${offset}" stop-color="${color}"/>`).join('');
  return `<linearGradient id="${id}" gradientUnits="userSpaceOnUse" x1="${fmt(x1)}" y1="${fmt(y1)}" x2="${fmt(x2)}" y2="${fmt(y2)}">${stopElements}</linearGradient>`;
}

function circle(center: Point, radius: number, fill: string): string {
  return `<circle cx="${fmt(center[0])}" cy="${fmt(center[1])}" r="${fmt(radius)}" fill="${fill}"/>`;
}

function ellipseElement(center: Point, rx: number, ry: number, fill: string): string {
  return `<ellipse cx="${fmt(center[0])}" cy="${fmt(center[1])}" rx="${fmt(rx)}" ry="${fmt(ry)}" fill="${fill}"/>`;
}

function polyline(points: readonly Point[]): string {
  return points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${fmt(x)} ${fmt(y)}`).join('');
}

function path(points: readonly Point[]): string {
  return `${polyline(points)}Z`;
}

function fmt(value: number, digits = 1): string {
  return value.toFixed(digits);
}
