import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDataset, type Dataset, type Polygon } from '@defect-rag/dataset';
import { loadTaxonomy, TaxonomyNormalizer } from '@defect-rag/taxonomy';
import { cropConfig, cropDataset, cutCrops, planImageCrops, type CropRecord, type Phase1Metadata } from '../src';

/**
 * Images the test draws itself, each pixel encoding its own coordinates, so a crop's pixels can be
 * traced back to exactly one source pixel: 1:1, no resize, no shift.
 */
function pattern(x: number, y: number): [number, number, number] {
  return [x & 255, y & 255, ((x >> 8) << 4) | (y >> 8)];
}

function patternImage(width: number, height: number): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(pattern(x, y), (y * width + x) * 3);
  }
  return sharp(data, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

const rect = (x: number, y: number, width: number, height: number) => [
  [x, y],
  [x + width, y],
  [x + width, y + height],
  [x, y + height],
];

function labelMe(shapes: number[][][], width: number, height: number): string {
  return JSON.stringify({
    shapes: shapes.map((points) => ({ label: 'scratch', points, shape_type: 'polygon' })),
    imageWidth: width,
    imageHeight: height,
  });
}

function inside(polygon: Polygon, x: number, y: number): boolean {
  let result = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i]!;
    const [xj, yj] = polygon[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) result = !result;
  }
  return result;
}

async function pixels(file: string): Promise<{ at(x: number, y: number): number[] }> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  return {
    at: (x, y) => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3)],
  };
}

const vehicleTriangle: Polygon = [
  [20, 380],
  [450, 20],
  [880, 380],
];

describe('cutting images made by the test', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'crops-synthetic-'));
  const outDir = path.join(root, 'out');
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const normalizer = new TaxonomyNormalizer(loadTaxonomy());
  let dataset: Dataset;
  let metadata: Phase1Metadata;
  const cropsOf = (image: string) => metadata.crops.filter((crop) => crop.image === image);

  beforeAll(async () => {
    const data = path.join(root, 'synthetic');
    mkdirSync(path.join(data, 'images'), { recursive: true });
    mkdirSync(path.join(data, 'annotations'));
    const write = (file: string, content: string | Buffer) => writeFileSync(path.join(data, file), content);
    write('images/big.png', await patternImage(700, 500));
    write(
      'annotations/big_labelDANO_modificado.json',
      labelMe([rect(640, 440, 40, 40), rect(50, 20, 400, 100)], 700, 500),
    );
    write('images/small.png', await patternImage(200, 150));
    write('annotations/small_labelDANO_modificado.json', labelMe([rect(20, 20, 30, 30)], 200, 150));
    write('images/clean.png', await patternImage(900, 400));
    write('images/tiny-clean.png', await patternImage(300, 200));

    // Displayed 300×400 with a white square at (200, 300)–(260, 360); stored rotated, EXIF orientation 6.
    const displayed = await sharp({ create: { width: 300, height: 400, channels: 3, background: '#000000' } })
      .composite([
        { input: { create: { width: 60, height: 60, channels: 3, background: '#ffffff' } }, left: 200, top: 300 },
      ])
      .png()
      .toBuffer();
    const stored = await sharp(displayed).rotate(270).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    write('images/rotated.jpg', stored);
    write('annotations/rotated_labelDANO_modificado.json', labelMe([rect(200, 300, 60, 60)], 300, 400));

    write(
      'poligonos.json',
      JSON.stringify({
        'clean.png': {
          width: 900,
          height: 400,
          vehicle: [vehicleTriangle],
          parts: [
            { label: 'hood', points: rect(0, 0, 900, 200) },
            { label: 'front_bumper', points: rect(0, 200, 900, 200) },
          ],
        },
        'tiny-clean.png': { width: 300, height: 200, vehicle: [rect(0, 0, 300, 200)], parts: [] },
        'big.png': {
          width: 700,
          height: 500,
          vehicle: [rect(0, 0, 700, 500)],
          parts: [{ label: 'door', points: rect(0, 0, 350, 500) }],
        },
        'small.png': { width: 200, height: 150, vehicle: [rect(0, 0, 200, 150)], parts: [] },
        'rotated.jpg': { width: 300, height: 400, vehicle: [rect(0, 0, 300, 400)], parts: [] },
      }),
    );
    dataset = await readDataset(data);
    metadata = await cropDataset(dataset, { outDir, normalizer, config: { format: 'png', balance: false } });
  });

  it('reads the synthetic dataset cleanly', () => {
    expect(dataset.problems).toEqual([]);
    expect(metadata.problems).toEqual([]);
    expect(dataset.images.find((image) => image.path === 'images/rotated.jpg')).toMatchObject({
      width: 300,
      height: 400,
      orientation: 6,
    });
  });

  it('shifts a window inside the image rather than padding, and tiles a defect wider than the window', () => {
    const crops = cropsOf('images/big.png');
    expect(crops.map((crop) => [crop.strategy, crop.box.x, crop.box.y])).toEqual([
      ['cluster', 364, 164],
      ['tile', 50, 0],
      ['tile', 114, 0],
    ]);
    expect(crops[0]!.defects).toEqual([
      {
        label: 'scratch',
        type: 'scratch',
        types: ['scratch'],
        box: { x: 276, y: 276, width: 40, height: 40 },
        // The whole polygon, in crop pixels.
        polygon: [
          [276, 276],
          [316, 276],
          [316, 316],
          [276, 316],
        ],
        visible_fraction: 1,
      },
    ]);
    expect(crops[1]!.defects).toEqual([
      {
        label: 'scratch',
        type: 'scratch',
        types: ['scratch'],
        box: { x: 0, y: 20, width: 336, height: 100 },
        // Clipped to the tile.
        polygon: [
          [0, 20],
          [336, 20],
          [336, 120],
          [0, 120],
        ],
        visible_fraction: 0.84,
      },
    ]);
    expect(crops[1]).toMatchObject({ vehicle_zone: 'side', part_overlaps: [{ label: 'door', overlap: 300 * 100 }] });
  });

  it('copies source pixels 1:1 into every crop, fill bands black, background masked outside the silhouette', async () => {
    for (const crop of metadata.crops.filter((c) => c.image !== 'images/rotated.jpg')) {
      const image = dataset.images.find((i) => i.path === crop.image)!;
      const file = await pixels(path.join(outDir, crop.file));
      const left = crop.fill?.left ?? 0;
      const top = crop.fill?.top ?? 0;
      for (let y = 0; y < 336; y += 7) {
        for (let x = 0; x < 336; x += 7) {
          const sx = crop.box.x + x - left;
          const sy = crop.box.y + y - top;
          const inSource =
            x >= left && y >= top && sx < crop.box.x + crop.box.width && sy < crop.box.y + crop.box.height;
          const masked =
            crop.strategy === 'grid' &&
            image.vehicle.length > 0 &&
            !image.vehicle.some((p) => inside(p, sx + 0.5, sy + 0.5));
          expect(file.at(x, y), `${crop.file} (${x}, ${y})`).toEqual(inSource && !masked ? pattern(sx, sy) : [0, 0, 0]);
        }
      }
    }
  });

  it('fills images smaller than the window, says how, and keeps defect boxes in crop coordinates', () => {
    const [crop] = cropsOf('images/small.png');
    expect(crop).toMatchObject({
      box: { x: 0, y: 0, width: 200, height: 150 },
      width: 336,
      height: 336,
      fill: { color: [0, 0, 0], left: 68, top: 93, right: 68, bottom: 93 },
      // Boxes and polygons are shifted by the fill.
      defects: [
        {
          box: { x: 88, y: 113, width: 30, height: 30 },
          polygon: [
            [88, 113],
            [118, 113],
            [118, 143],
            [88, 143],
          ],
          visible_fraction: 1,
        },
      ],
    });
    const [tiny] = cropsOf('images/tiny-clean.png');
    expect(tiny).toMatchObject({
      strategy: 'grid',
      grid_pos: [0, 0],
      fill: { left: 18, top: 68 },
      mask_coverage: 0.5315,
    });
    expect(cropsOf('images/big.png').every((c) => c.fill === null)).toBe(true);
  });

  it('covers the clean vehicle with a grid and drops windows the silhouette barely covers', () => {
    const crops = cropsOf('images/clean.png');
    expect(crops.length).toBeGreaterThan(0);
    expect(metadata.summary.grid_below_coverage).toBeGreaterThan(0);
    for (const crop of crops) expect(crop.mask_coverage!).toBeGreaterThanOrEqual(0.5);
    expect(new Set(crops.map((crop) => crop.grid_pos!.join(','))).size).toBe(crops.length);
  });

  it('cuts from the EXIF-oriented image, where the annotation was drawn', async () => {
    const [crop] = cropsOf('images/rotated.jpg');
    const { box } = crop!.defects[0]!;
    const file = await pixels(path.join(outDir, crop!.file));
    const centre = file.at(box.x + box.width / 2, box.y + box.height / 2);
    expect(Math.min(...centre)).toBeGreaterThan(200);
    const outsideDefect = file.at(box.x - 20, box.y + box.height / 2);
    expect(Math.max(...outsideDefect)).toBeLessThan(50);
  });

  it('keeps the background when masking is off', async () => {
    const image = dataset.images.find((i) => i.path === 'images/clean.png')!;
    const config = cropConfig({ format: 'png', maskBackground: false });
    const { crops } = planImageCrops(image, { datasetName: dataset.name, config, normalizer });
    expect(crops.map((crop) => crop.crop_id)).not.toEqual(cropsOf('images/clean.png').map((crop) => crop.crop_id));
    const unmasked = path.join(root, 'unmasked');
    const result = await cutCrops(image, crops, { root: dataset.root, outDir: unmasked, config });
    const crop = result.crops[0]!;
    const file = await pixels(path.join(unmasked, crop.file));
    expect(file.at(0, 0)).toEqual(pattern(crop.box.x, crop.box.y));
  });

  it('turns an image that cannot be decoded into a problem, not a failure', async () => {
    const image = dataset.images.find((i) => i.path === 'images/small.png')!;
    const broken = { ...image, path: 'images/broken.png' };
    writeFileSync(path.join(dataset.root, broken.path), Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
    const crops: CropRecord[] = cropsOf('images/small.png');
    const result = await cutCrops(broken, crops, {
      root: dataset.root,
      outDir: path.join(root, 'broken'),
      config: cropConfig(),
    });
    expect(result.crops).toEqual([]);
    expect(result.problems).toEqual([
      expect.objectContaining({ item: 'images/broken.png', stage: 'crops', code: 'IMAGE_DECODE_FAILED' }),
    ]);
  });
});
