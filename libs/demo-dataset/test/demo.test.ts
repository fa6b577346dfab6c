import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cropConfig } from '@defect-rag/crops';
import { isDefectRagError } from '@defect-rag/runtime';
import { POLYGONS_FILE, readDataset, type Dataset, type Point, type Polygon } from '@defect-rag/dataset';
import { generateDemoDataset, type DemoDatasetSummary } from '../src';

const root = mkdtempSync(path.join(tmpdir(), 'dataset-demo-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Every label the generator may write, as annotators write them. */
const DAMAGE_LABELS = [
  'rayón',
  'Rayón',
  'rayones',
  'arañazo',
  'scratch',
  'Scratch',
  'Abolladura',
  'abolladura',
  'bollo',
  'dent',
  'rotura/fractura',
  'Rotura/Fractura',
  'grieta',
  'crack',
  'pintura',
  'desconchón',
  'daño de pintura',
  'paint chip',
  'daño',
  'Daño',
];
/** Part labels of the default taxonomy (libs/taxonomy/taxonomy.default.yaml). */
const PART_LABELS = [
  'front_bumper',
  'back_bumper',
  'rear_bumper',
  'hood',
  'roof',
  'trunk',
  'tailgate',
  'front_glass',
  'back_glass',
  'left_glass',
  'right_glass',
  'headlamp',
  'taillight',
  'front_left_light',
  'front_right_light',
  'back_left_light',
  'back_right_light',
  'door',
  'front_left_door',
  'back_left_door',
  'front_right_door',
  'back_right_door',
  'fender',
  'front_left_fender',
  'back_left_fender',
  'front_right_fender',
  'back_right_fender',
  'mirror',
  'left_mirror',
  'right_mirror',
  'wheel',
];

interface LabelMeShape {
  label: string;
  points: number[][];
  group_id: null;
  shape_type: string;
  flags: object;
}

function filesOf(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

function hashes(dir: string): Record<string, string> {
  return Object.fromEntries(
    filesOf(dir).map((file) => [
      file,
      createHash('sha256')
        .update(readFileSync(path.join(dir, file)))
        .digest('hex'),
    ]),
  );
}

/** Even–odd ray casting, written out here so the check does not share code with the generator. */
function isInside([x, y]: Point, polygon: Polygon): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i]!;
    const [xj, yj] = polygon[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function annotationOf(dir: string, imagePath: string): string {
  return path.join(dir, 'annotations', `${path.basename(imagePath, '.jpg')}_labelDANO_modificado.json`);
}

describe('generateDemoDataset', () => {
  const dir = path.join(root, 'demo');
  let summary: DemoDatasetSummary;
  let dataset: Dataset;

  beforeAll(async () => {
    summary = await generateDemoDataset(dir);
    dataset = await readDataset(dir);
  });

  it('writes 24 images, half of them damaged, that readDataset reads without a problem', () => {
    expect(dataset.problems).toEqual([]);
    const damaged = dataset.images.filter((image) => image.damaged);
    expect(summary).toEqual({
      root: dir,
      images: 24,
      damaged: 12,
      clean: 12,
      defects: damaged.reduce((sum, image) => sum + image.defects.length, 0),
    });
    expect(dataset.images).toHaveLength(24);
    expect(damaged).toHaveLength(12);
    expect(readdirSync(path.join(dir, 'images'))).toHaveLength(24);
    expect(readdirSync(path.join(dir, 'annotations'))).toHaveLength(12);
    expect(readFileSync(path.join(dir, 'README.md'), 'utf8')).toMatch(/synthetic/i);
  });

  it('calls an image damaged exactly when it has an annotation file, and gives it defects', () => {
    for (const image of dataset.images) {
      expect(image.damaged, image.path).toBe(existsSync(annotationOf(dir, image.path)));
      expect(image.defects.length > 0, image.path).toBe(image.damaged);
      expect(image.vehicle, image.path).toHaveLength(1);
      expect(image.parts.length, image.path).toBeGreaterThanOrEqual(15);
    }
    expect(dataset.images.filter((image) => image.defects.length >= 3).length).toBeGreaterThan(0);
  });

  it('writes LabelMe 5 files whose labels come back as written, in Spanish and English', () => {
    const labels: string[] = [];
    for (const image of dataset.images.filter((i) => i.damaged)) {
      const file = JSON.parse(readFileSync(annotationOf(dir, image.path), 'utf8'));
      expect(file).toMatchObject({
        version: '5.0.1',
        flags: {},
        imagePath: `../images/${path.basename(image.path)}`,
        imageData: null,
        imageWidth: image.width,
        imageHeight: image.height,
      });
      const shapes = file.shapes as LabelMeShape[];
      expect(image.defects.map((defect) => defect.label)).toEqual(shapes.map((shape) => shape.label));
      shapes.forEach((shape, index) => {
        expect(['polygon', 'rectangle']).toContain(shape.shape_type);
        const read = image.defects[index]!.polygon;
        if (shape.shape_type === 'rectangle') {
          expect(shape.points).toHaveLength(2);
          expect(read).toHaveLength(4);
        } else {
          expect(read).toEqual(shape.points);
        }
      });
      labels.push(...shapes.map((shape) => shape.label));
    }
    for (const label of labels) expect(DAMAGE_LABELS).toContain(label);
    expect(labels.some((label) => /[ñóá]/.test(label))).toBe(true);
    expect(labels.some((label) => ['scratch', 'Scratch', 'dent', 'crack', 'paint chip'].includes(label))).toBe(true);
    expect(new Set(labels).size).toBeGreaterThanOrEqual(8);
    const shapeTypes = dataset.images.flatMap((image) =>
      image.damaged
        ? (JSON.parse(readFileSync(annotationOf(dir, image.path), 'utf8')).shapes as LabelMeShape[]).map(
            (s) => s.shape_type,
          )
        : [],
    );
    expect(shapeTypes).toContain('rectangle');
  });

  it('has a defect larger than the crops stage window and small ones under 64 px', () => {
    const sides = dataset.images.flatMap((image) =>
      image.defects.map((defect) => Math.max(defect.box.width, defect.box.height)),
    );
    expect(Math.max(...sides)).toBeGreaterThan(cropConfig().size);
    expect(sides.filter((side) => side < 64).length).toBeGreaterThanOrEqual(3);
  });

  it('names parts with taxonomy labels and keeps every polygon inside its image', () => {
    const polygons = JSON.parse(readFileSync(path.join(dir, POLYGONS_FILE), 'utf8')) as Record<
      string,
      { width: number; height: number; vehicle: number[][][]; parts: Array<{ label: string; points: number[][] }> }
    >;
    expect(Object.keys(polygons).sort()).toEqual(dataset.images.map((image) => path.basename(image.path)));
    const inside = (points: number[][], width: number, height: number) =>
      points.every(([x, y]) => x! >= 0 && y! >= 0 && x! <= width - 1 && y! <= height - 1);
    for (const [file, entry] of Object.entries(polygons)) {
      for (const ring of entry.vehicle) expect(inside(ring, entry.width, entry.height), file).toBe(true);
      for (const part of entry.parts) {
        expect(PART_LABELS, file).toContain(part.label);
        expect(inside(part.points, entry.width, entry.height), `${file} ${part.label}`).toBe(true);
      }
      const annotation = annotationOf(dir, file);
      if (!existsSync(annotation)) continue;
      for (const shape of JSON.parse(readFileSync(annotation, 'utf8')).shapes as LabelMeShape[]) {
        expect(inside(shape.points, entry.width, entry.height), `${file} ${shape.label}`).toBe(true);
      }
    }
  });

  it('puts every defect on the vehicle silhouette', () => {
    for (const image of dataset.images) {
      const vehicle = image.vehicle[0]!;
      for (const defect of image.defects) {
        const { x, y, width, height } = defect.box;
        const what = `${image.path} ${defect.label}`;
        expect(isInside([x + width / 2, y + height / 2], vehicle), what).toBe(true);
        // Most of the shape is on the body; its margin around the mark may cross the body's edge.
        const grid = Array.from({ length: 100 }, (_, i): Point => [
          x + (width * ((i % 10) + 0.5)) / 10,
          y + (height * (Math.floor(i / 10) + 0.5)) / 10,
        ]);
        const onShape = grid.filter((point) => isInside(point, defect.polygon));
        expect(onShape.filter((point) => isInside(point, vehicle)).length, what).toBeGreaterThanOrEqual(
          0.5 * onShape.length,
        );
      }
    }
  });

  it('renders JPEGs at the declared sizes, square and landscape, between 480 and 1024 px', async () => {
    const sizes = new Set<string>();
    for (const image of dataset.images) {
      const metadata = await sharp(path.join(dir, image.path)).metadata();
      expect(metadata.format).toBe('jpeg');
      expect([metadata.width, metadata.height]).toEqual([image.width, image.height]);
      expect(Math.max(image.width, image.height)).toBeLessThanOrEqual(1024);
      expect(Math.min(image.width, image.height)).toBeGreaterThanOrEqual(480);
      sizes.add(`${image.width}x${image.height}`);
    }
    expect(sizes.size).toBeGreaterThanOrEqual(4);
    expect(dataset.images.some((image) => image.width === image.height)).toBe(true);
    expect(dataset.images.some((image) => image.width !== image.height)).toBe(true);
  });

  it('writes the same bytes for the same options, and other pictures for another seed', async () => {
    const again = path.join(root, 'again');
    await generateDemoDataset(again);
    const first = hashes(dir);
    expect(Object.keys(first)).toHaveLength(24 + 12 + 2);
    expect(hashes(again)).toEqual(first);

    const otherSeed = path.join(root, 'other-seed');
    await generateDemoDataset(otherSeed, { images: 2, seed: 2 });
    expect(hashes(otherSeed)['images/demo_001.jpg']).not.toBe(first['images/demo_001.jpg']);
  });

  it('scales every image to `size` on its longer side', async () => {
    const small = await generateDemoDataset(path.join(root, 'small'), { images: 4, size: 320 });
    const read = await readDataset(small.root);
    expect(read.problems).toEqual([]);
    expect(read.images.map((image) => Math.max(image.width, image.height))).toEqual([320, 320, 320, 320]);
    expect(small).toMatchObject({ images: 4, damaged: 2, clean: 2 });
  });

  it('replaces an earlier demo dataset but refuses a folder holding anything else', async () => {
    const target = path.join(root, 'replaced');
    await generateDemoDataset(target, { images: 4, size: 256 });
    await generateDemoDataset(target, { images: 2, size: 256 });
    expect(filesOf(target)).toEqual([
      'README.md',
      'annotations/demo_001_labelDANO_modificado.json',
      'images/demo_001.jpg',
      'images/demo_002.jpg',
      POLYGONS_FILE,
    ]);

    const foreign = path.join(root, 'foreign');
    mkdirSync(foreign);
    writeFileSync(path.join(foreign, 'photo.jpg'), 'not ours');
    const error = await generateDemoDataset(foreign, { images: 1 }).catch((e: unknown) => e);
    expect(isDefectRagError(error) && error.code).toBe('BAD_INPUT');
    expect(filesOf(foreign)).toEqual(['photo.jpg']);
  });

  it('rejects options it cannot honour', async () => {
    for (const options of [{ images: 0 }, { images: 2.5 }, { size: 100 }]) {
      const error = await generateDemoDataset(path.join(root, 'never'), options).catch((e: unknown) => e);
      expect(isDefectRagError(error) && error.code, JSON.stringify(options)).toBe('BAD_INPUT');
    }
    expect(existsSync(path.join(root, 'never'))).toBe(false);
  });
});
