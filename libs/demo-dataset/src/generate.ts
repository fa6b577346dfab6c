import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { z } from 'zod';
import { cropConfig } from '@defect-rag/crops';
import { DefectRagError } from '@defect-rag/runtime';
import { DEFAULT_ANNOTATION_PATTERN, mapConcurrent, POLYGONS_FILE, seededShuffle } from '@defect-rag/dataset';
import { buildCar } from './car';
import { placeDamage, type Damage } from './damage';
import { labelMeFile, polygonsEntry, polygonsFile, readme, README_TITLE } from './files';
import { PAINTS, renderScene, type PaintName } from './render';
import { bounds, Dice } from './shapes';

export interface DemoDatasetOptions {
  /** How many images; about half of them damaged. Default 24. */
  images?: number;
  /** The same seed (and image count and size) gives the same files, byte for byte. Default 1. */
  seed?: number;
  /** Longer side of every image in px. By default sizes vary from 480 to 1024 px. */
  size?: number;
}

export interface DemoDatasetSummary {
  /** Absolute path of the dataset folder. */
  root: string;
  images: number;
  damaged: number;
  clean: number;
  /** Damage shapes over all annotation files. */
  defects: number;
}

const optionsSchema = z.object({
  images: z.number().int().min(1).max(10_000).default(24),
  seed: z.number().int().default(1),
  size: z.number().int().min(256).max(4096).optional(),
});

/** Frame sizes, square and landscape, like photos from phones and listing sites. */
const FRAMES: ReadonlyArray<readonly [number, number]> = [
  [1024, 768],
  [800, 600],
  [640, 480],
  [1024, 1024],
  [768, 768],
  [960, 720],
  [512, 512],
  [896, 672],
  [720, 540],
  [1024, 576],
  [854, 480],
  [600, 600],
];
/** Damage shapes per damaged image: mostly one to three, sometimes several. */
const DEFECT_COUNTS = [1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 6];
const JPEG_QUALITY = 88;
/** The crop window of the crops stage: a key scratch longer than this needs the large-defect path. */
const CROP_WINDOW = cropConfig().size;

interface DemoImage {
  file: string;
  width: number;
  height: number;
  svg: string;
  polygons: ReturnType<typeof polygonsEntry>;
  /** Null for a clean image. */
  damage: Damage[] | null;
}

/**
 * Writes a synthetic dataset in the layout `readDataset` reads (images/, annotations/ with
 * LabelMe 5 damage files, poligonos.json) and a README saying what it is. About half the images
 * are damaged, with Spanish and English labels, a key scratch longer than a crop window on the first
 * one (at the default sizes) and small chips elsewhere.
 *
 * `outDir` must be missing, empty, or a demo dataset written earlier, which is replaced.
 * Everything is drawn from the seed: no clock, fixed JPEG settings, coordinates at 0.1 px.
 */
export async function generateDemoDataset(
  outDir: string,
  options: DemoDatasetOptions = {},
): Promise<DemoDatasetSummary> {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success)
    throw new DefectRagError('BAD_INPUT', `demo dataset options: ${z.prettifyError(parsed.error)}`, { options });
  const { images: count, seed, size } = parsed.data;
  const root = path.resolve(outDir);
  await prepareFolder(root);

  const indices = Array.from({ length: count }, (_, index) => index);
  // Image 0 is always damaged, to carry the long key scratch; the rest are a seeded pick.
  const damagedCount = Math.ceil(count / 2);
  const damaged = new Set([0, ...seededShuffle(indices.slice(1), `demo:${seed}:damaged`).slice(0, damagedCount - 1)]);
  const stemWidth = Math.max(3, String(count).length);
  const images = indices.map((index) =>
    planImage(`demo_${String(index + 1).padStart(stemWidth, '0')}.jpg`, new Dice(`demo:${seed}:${index}`), {
      damaged: damaged.has(index),
      keyScratch: index === 0,
      frame: index === 0 ? FRAMES[0]! : undefined,
      size,
    }),
  );

  await mkdir(path.join(root, 'images'), { recursive: true });
  await mkdir(path.join(root, 'annotations'), { recursive: true });
  await mapConcurrent(images, os.availableParallelism(), async (image) => {
    const jpeg = await sharp(Buffer.from(image.svg)).jpeg({ quality: JPEG_QUALITY }).toBuffer();
    await writeFile(path.join(root, 'images', image.file), jpeg);
    if (image.damage) {
      const annotation = DEFAULT_ANNOTATION_PATTERN.replace('{stem}', path.parse(image.file).name);
      await writeFile(
        path.join(root, 'annotations', annotation),
        labelMeFile(
          image.damage.map((damage) => damage.shape),
          image,
        ),
      );
    }
  });
  await writeFile(
    path.join(root, POLYGONS_FILE),
    polygonsFile(Object.fromEntries(images.map((image) => [image.file, image.polygons]))),
  );

  const shapes = images.flatMap((image) => image.damage ?? []).map((damage) => damage.shape);
  const tally = (labels: string[]) =>
    labels.reduce((map, label) => map.set(label, (map.get(label) ?? 0) + 1), new Map<string, number>());
  const summary: DemoDatasetSummary = {
    root,
    images: images.length,
    damaged: damaged.size,
    clean: images.length - damaged.size,
    defects: shapes.length,
  };
  await writeFile(
    path.join(root, 'README.md'),
    readme({
      ...summary,
      seed,
      labels: tally(shapes.map((shape) => shape.label)),
      parts: tally(images.flatMap((image) => image.polygons.parts.map((part) => part.label))),
      sizes: [...new Set(images.map((image) => `${image.width}×${image.height}`))],
      longestDefect: Math.round(
        Math.max(
          0,
          ...shapes.map((shape) => {
            const box = bounds(shape.points);
            return Math.max(box.maxX - box.minX, box.maxY - box.minY);
          }),
        ),
      ),
    }),
  );
  return summary;
}

function planImage(
  file: string,
  dice: Dice,
  plan: {
    damaged: boolean;
    keyScratch: boolean;
    frame: readonly [number, number] | undefined;
    size: number | undefined;
  },
): DemoImage {
  const [frameWidth, frameHeight] = plan.frame ?? dice.pick(FRAMES);
  const scale = plan.size ? plan.size / Math.max(frameWidth, frameHeight) : 1;
  const width = Math.round(frameWidth * scale);
  const height = Math.round(frameHeight * scale);

  // The car stands low in the frame and fills most of its width; 0.42 car lengths is its height
  // with some sky, so wide frames get a shorter car.
  const groundY = height * dice.between(0.8, 0.88);
  const fullLength = Math.min(width * 0.9, (groundY - height * 0.05) / 0.42);
  const length = plan.keyScratch ? fullLength : fullLength * dice.between(0.86, 1);
  const left = (width - length) / 2 + (width - length) * dice.between(-0.35, 0.35);
  const car = buildCar(dice, { left, groundY, length });

  const damage = plan.damaged
    ? placeDamage(
        dice,
        car,
        dice.pick(DEFECT_COUNTS),
        plan.keyScratch || (length * 0.45 > CROP_WINDOW && dice.chance(0.25)),
      )
    : null;
  const svg = renderScene(dice, {
    width,
    height,
    paint: dice.pick(Object.keys(PAINTS) as PaintName[]),
    plasticBumpers: dice.chance(0.3),
    car,
    marks: (damage ?? []).map((d) => d.mark),
  });
  return { file, width, height, svg, polygons: polygonsEntry(car, width, height), damage };
}

/** Only an empty folder or an earlier demo dataset is written into, so no user data is mixed in or lost. */
async function prepareFolder(root: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      return mkdir(root, { recursive: true }).then(() => undefined);
    throw new DefectRagError('BAD_INPUT', `cannot write the demo dataset into ${root}: ${(error as Error).message}`, {
      root,
    });
  }
  if (entries.length === 0) return;
  const readmeText = await readFile(path.join(root, 'README.md'), 'utf8').catch(() => '');
  if (!readmeText.startsWith(README_TITLE)) {
    throw new DefectRagError(
      'BAD_INPUT',
      `${root} is not empty and holds no demo dataset; give a new or empty folder`,
      { root },
    );
  }
  for (const entry of ['images', 'annotations', POLYGONS_FILE, 'README.md']) {
    await rm(path.join(root, entry), { recursive: true, force: true });
  }
}
