import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDefectRagError, type Problem } from '@defect-rag/runtime';
import { readDataset, type Dataset } from '../src';

const root = mkdtempSync(path.join(tmpdir(), 'dataset-bad-input-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function solid(width: number, height: number, format: 'jpeg' | 'png' = 'jpeg'): Promise<Buffer> {
  const image = sharp({ create: { width, height, channels: 3, background: '#3060a0' } });
  return (format === 'png' ? image.png() : image.jpeg()).toBuffer();
}

type Shape = { label: string; points: number[][]; shape_type?: string };
function labelMe(shapes: Shape[], width: number, height: number): string {
  return JSON.stringify({ version: '5.0.1', shapes, imageWidth: width, imageHeight: height, imageData: null });
}

const square = (x: number, y: number, side: number) => [
  [x, y],
  [x + side, y],
  [x + side, y + side],
  [x, y + side],
];

/**
 * A 1-bit grey PNG of 20000×20000 (400 M pixels, over sharp's limit) that is only ~50 kB on disk:
 * a real decompression bomb, written by hand because no encoder should be asked to make one.
 */
function decompressionBomb(): Buffer {
  const side = 20000;
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header.set([1, 0, 0, 0, 0], 8); // bit depth 1, greyscale, deflate, no filter, no interlace
  const rows = Buffer.alloc(side * (1 + side / 8));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function problemsFor(dataset: Dataset, item: string): Problem[] {
  return dataset.problems.filter((problem) => problem.item === item);
}

describe('readDataset on bad input', () => {
  let dataset: Dataset;

  beforeAll(async () => {
    mkdirSync(path.join(root, 'images'));
    mkdirSync(path.join(root, 'annotations'));
    const write = (file: string, data: string | Buffer) => writeFileSync(path.join(root, file), data);

    write('images/clean.jpg', await solid(400, 300));
    write('images/damaged.jpg', await solid(400, 300));
    write(
      'annotations/damaged_labelDANO_modificado.json',
      labelMe(
        [
          { label: 'rayón', points: square(10, 10, 50), shape_type: 'polygon' },
          {
            label: 'two points',
            points: [
              [1, 1],
              [5, 5],
            ],
          },
          {
            label: 'outside',
            points: [
              [350, 250],
              [450, 250],
              [450, 350],
              [350, 350],
            ],
          },
          {
            label: 'flat',
            points: [
              [10, 10],
              [20, 20],
              [30, 30],
            ],
          },
          { label: 'far away', points: square(1000, 1000, 10) },
          {
            label: 'box',
            points: [
              [100, 100],
              [140, 120],
            ],
            shape_type: 'rectangle',
          },
          {
            label: 'round',
            points: [
              [100, 100],
              [110, 110],
            ],
            shape_type: 'circle',
          },
        ],
        400,
        300,
      ),
    );
    // An annotation next to its image is found too.
    write('images/beside.png', await solid(64, 64, 'png'));
    write('images/beside_labelDANO_modificado.json', labelMe([{ label: 'dent', points: square(8, 8, 16) }], 64, 64));

    write('images/corrupt.jpg', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(500, 0x5a)]));
    const full = await sharp({
      create: {
        width: 300,
        height: 200,
        channels: 3,
        background: '#000',
        noise: { type: 'gaussian', mean: 128, sigma: 40 },
      },
    })
      .jpeg()
      .toBuffer();
    write('images/truncated.jpg', full.subarray(0, Math.floor(full.length / 2)));
    write('images/trailing.jpg', Buffer.concat([await solid(50, 40), Buffer.from('camera maker trailer')]));
    write('images/notes.png', 'these are not pixels\n');
    write('images/empty.jpg', '');
    write('images/bomb.png', decompressionBomb());

    write(
      'annotations/orphan_labelDANO_modificado.json',
      labelMe([{ label: 'dent', points: square(1, 1, 5) }], 100, 100),
    );
    write('images/malformed.jpg', await solid(100, 100));
    write('annotations/malformed_labelDANO_modificado.json', '{"shapes": [ {"label": "dent", ');
    write('images/not-labelme.jpg', await solid(100, 100));
    write('annotations/not-labelme_labelDANO_modificado.json', '{"annotations": []}');

    // EXIF orientation 6: stored 120×80, displayed 80×120.
    const rotated = await sharp({ create: { width: 120, height: 80, channels: 3, background: '#808080' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    write('images/rotated.jpg', rotated);
    write(
      'annotations/rotated_labelDANO_modificado.json',
      labelMe([{ label: 'dent', points: square(10, 90, 20) }], 80, 120),
    );
    write('images/rotated-wrong.jpg', rotated);
    write(
      'annotations/rotated-wrong_labelDANO_modificado.json',
      labelMe([{ label: 'dent', points: square(90, 10, 20) }], 120, 80),
    );

    write(
      'poligonos.json',
      JSON.stringify({
        'clean.jpg': {
          width: 400,
          height: 300,
          vehicle: [square(50, 50, 200)],
          parts: [
            { label: 'door', points: square(60, 60, 50) },
            {
              label: 'mirror',
              points: [
                [0, 0],
                [1, 1],
              ],
            },
          ],
        },
        'damaged.jpg': { width: 400, height: 300, vehicle: [square(0, 0, 300)], parts: [] },
        'rotated.jpg': { width: 120, height: 80, vehicle: [square(0, 0, 50)], parts: [] },
        'gone.jpg': { width: 10, height: 10, vehicle: [], parts: [] },
      }),
    );

    dataset = await readDataset(root);
  });

  it('keeps the good images and classifies damaged by the annotation file alone', () => {
    const byPath = new Map(dataset.images.map((image) => [image.path, image]));
    expect([...byPath.keys()]).toEqual([
      'images/beside.png',
      'images/clean.jpg',
      'images/damaged.jpg',
      'images/rotated.jpg',
      'images/trailing.jpg',
    ]);
    expect(byPath.get('images/clean.jpg')).toMatchObject({
      damaged: false,
      annotation: null,
      defects: [],
      width: 400,
      height: 300,
    });
    expect(byPath.get('images/damaged.jpg')).toMatchObject({
      damaged: true,
      annotation: 'annotations/damaged_labelDANO_modificado.json',
    });
    expect(byPath.get('images/beside.png')).toMatchObject({
      damaged: true,
      annotation: 'images/beside_labelDANO_modificado.json',
      format: 'png',
    });
    expect(byPath.get('images/clean.jpg')!.id).toMatch(/^clean-[0-9a-f]{8}$/);
    expect(dataset.name).toBe(path.basename(root));
  });

  it('reports corrupt, truncated, non-image and empty files, and accepts bytes after the end marker', () => {
    expect(problemsFor(dataset, 'images/corrupt.jpg')).toEqual([
      expect.objectContaining({ code: 'IMAGE_DECODE_FAILED', stage: 'dataset' }),
    ]);
    expect(problemsFor(dataset, 'images/truncated.jpg')).toEqual([
      expect.objectContaining({ code: 'IMAGE_DECODE_FAILED', message: expect.stringContaining('truncated') }),
    ]);
    expect(problemsFor(dataset, 'images/notes.png')).toEqual([
      expect.objectContaining({ code: 'IMAGE_DECODE_FAILED' }),
    ]);
    expect(problemsFor(dataset, 'images/empty.jpg')).toEqual([
      expect.objectContaining({ code: 'IMAGE_DECODE_FAILED', message: 'empty file' }),
    ]);
    expect(problemsFor(dataset, 'images/trailing.jpg').map((problem) => problem.code)).toEqual(['POLYGONS_INVALID']);
  });

  it('refuses an image over the pixel limit from its header', () => {
    expect(problemsFor(dataset, 'images/bomb.png')).toEqual([
      expect.objectContaining({ code: 'IMAGE_TOO_LARGE', message: expect.stringContaining('20000×20000') }),
    ]);
  });

  it('reports an annotation without image, and malformed or foreign annotation files', () => {
    expect(problemsFor(dataset, 'annotations/orphan_labelDANO_modificado.json')).toEqual([
      expect.objectContaining({ code: 'IMAGE_NOT_FOUND' }),
    ]);
    expect(problemsFor(dataset, 'annotations/malformed_labelDANO_modificado.json')).toEqual([
      expect.objectContaining({ code: 'ANNOTATION_INVALID', message: expect.stringContaining('malformed JSON') }),
    ]);
    expect(problemsFor(dataset, 'annotations/not-labelme_labelDANO_modificado.json')).toEqual([
      expect.objectContaining({ code: 'ANNOTATION_INVALID', message: expect.stringContaining('not a LabelMe file') }),
    ]);
  });

  it('drops, clips or keeps each damage shape on its own merits', () => {
    const damaged = dataset.images.find((image) => image.path === 'images/damaged.jpg')!;
    expect(damaged.defects.map((defect) => defect.label)).toEqual(['rayón', 'outside', 'box']);
    const outside = damaged.defects[1]!;
    expect(outside.polygon.every(([x, y]) => x <= 400 && y <= 300)).toBe(true);
    expect(outside.area).toBe(50 * 50);
    expect(damaged.defects[2]!.polygon).toHaveLength(4);
    expect(damaged.defects[2]!.area).toBe(40 * 20);

    const codes = problemsFor(dataset, 'annotations/damaged_labelDANO_modificado.json').map((problem) => [
      problem.code,
      problem.message.split(' has ')[0],
    ]);
    expect(codes).toEqual([
      ['POLYGON_INVALID', "shape 1 ('two points')"],
      ['POLYGON_OUT_OF_BOUNDS', "shape 2 ('outside')"],
      ['DEFECT_ZERO_AREA', "shape 3 ('flat')"],
      ['POLYGON_OUT_OF_BOUNDS', "shape 4 ('far away')"],
      ['DEFECT_ZERO_AREA', "shape 4 ('far away')"],
      ['POLYGON_INVALID', "shape 6 ('round') is a circle; only polygon and rectangle shapes are read"],
    ]);
  });

  it('uses the displayed (EXIF-rotated) frame and rejects annotations drawn on the stored one', () => {
    const rotated = dataset.images.find((image) => image.path === 'images/rotated.jpg')!;
    expect(rotated).toMatchObject({ width: 80, height: 120, orientation: 6 });
    expect(rotated.defects).toHaveLength(1);
    expect(problemsFor(dataset, 'annotations/rotated-wrong_labelDANO_modificado.json')).toEqual([
      expect.objectContaining({ code: 'ANNOTATION_INVALID', message: expect.stringContaining('EXIF orientation 6') }),
    ]);
    expect(dataset.images.some((image) => image.path === 'images/rotated-wrong.jpg')).toBe(false);
    // Its poligonos.json entry declares the stored size, so it is ignored too.
    expect(rotated.vehicle).toEqual([]);
    expect(problemsFor(dataset, 'poligonos.json: rotated.jpg')).toEqual([
      expect.objectContaining({ code: 'POLYGONS_INVALID', message: expect.stringContaining('stored frame') }),
    ]);
  });

  it('reads poligonos.json polygons and reports bad, missing and unknown entries', () => {
    const clean = dataset.images.find((image) => image.path === 'images/clean.jpg')!;
    expect(clean.vehicle).toHaveLength(1);
    expect(clean.parts.map((part) => part.label)).toEqual(['door']);
    expect(problemsFor(dataset, 'poligonos.json: clean.jpg')).toEqual([
      expect.objectContaining({ code: 'POLYGON_INVALID' }),
    ]);
    expect(problemsFor(dataset, 'poligonos.json: gone.jpg')).toEqual([
      expect.objectContaining({ code: 'IMAGE_NOT_FOUND' }),
    ]);
    expect(problemsFor(dataset, 'images/beside.png')).toEqual([
      expect.objectContaining({ code: 'POLYGONS_INVALID', message: expect.stringContaining('no entry') }),
    ]);
  });
});

describe('readDataset on broken datasets', () => {
  async function datasetWith(files: Record<string, string | Buffer>): Promise<string> {
    const dir = mkdtempSync(path.join(root, 'case-'));
    for (const [file, data] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), data);
    }
    return dir;
  }

  it('fails on a missing folder', async () => {
    await expect(readDataset(path.join(root, 'nope'))).rejects.toSatisfy((error) =>
      isDefectRagError(error, 'DATASET_NOT_FOUND'),
    );
  });

  it('reports a poligonos.json entry of neither known shape, naming the file and key, and skips that clean image', async () => {
    const dir = await datasetWith({
      'a.jpg': await solid(20, 20),
      'b.jpg': await solid(20, 20),
      'poligonos.json': JSON.stringify({
        'a.jpg': { outline: 'nope' },
        'b.jpg': { width: 20, height: 20, vehicle: [square(0, 0, 10)], parts: [] },
      }),
    });
    const dataset = await readDataset(dir);
    expect(dataset.images.map((image) => image.path)).toEqual(['b.jpg']);
    expect(problemsFor(dataset, 'poligonos.json')).toEqual([
      expect.objectContaining({
        code: 'POLYGONS_INVALID',
        message: expect.stringContaining('poligonos.json: entry "a.jpg"'),
      }),
    ]);
    expect(problemsFor(dataset, 'a.jpg')).toEqual([
      expect.objectContaining({ code: 'POLYGONS_INVALID', message: expect.stringContaining('skipped') }),
    ]);
  });

  it('goes on past a malformed poligonos.json: one problem for the file, damaged images kept with no parts, each clean one skipped', async () => {
    const dir = await datasetWith({
      'images/clean1.jpg': await solid(100, 100),
      'images/clean2.jpg': await solid(100, 100),
      'images/hit.jpg': await solid(100, 100),
      'annotations/hit_labelDANO_modificado.json': labelMe([{ label: 'dent', points: square(10, 10, 30) }], 100, 100),
      'poligonos.json': '{"clean1.jpg": ',
    });
    const dataset = await readDataset(dir);
    expect(dataset.images.map((image) => [image.path, image.damaged, image.parts.length])).toEqual([
      ['images/hit.jpg', true, 0],
    ]);
    expect(problemsFor(dataset, 'poligonos.json')).toEqual([
      expect.objectContaining({ code: 'POLYGONS_INVALID', message: expect.stringContaining('malformed JSON') }),
    ]);
    for (const clean of ['images/clean1.jpg', 'images/clean2.jpg'])
      expect(problemsFor(dataset, clean)).toEqual([
        expect.objectContaining({ code: 'POLYGONS_INVALID', message: expect.stringContaining('skipped') }),
      ]);
  });

  it('accepts LabelMe-style shape lists in poligonos.json and images in the root', async () => {
    const dir = await datasetWith({
      'a.jpg': await solid(100, 80),
      'poligonos.json': JSON.stringify({
        'a.jpg': {
          imageWidth: 100,
          imageHeight: 80,
          shapes: [
            { label: 'Vehículo', points: square(0, 0, 60) },
            {
              label: 'puerta',
              points: [
                [0, 0],
                [20, 30],
              ],
              shape_type: 'rectangle',
            },
          ],
        },
      }),
    });
    const dataset = await readDataset(dir);
    expect(dataset.problems).toEqual([]);
    expect(dataset.images[0]).toMatchObject({ path: 'a.jpg', damaged: false });
    expect(dataset.images[0]!.vehicle).toHaveLength(1);
    expect(dataset.images[0]!.parts).toEqual([
      {
        label: 'puerta',
        polygon: [
          [0, 0],
          [20, 0],
          [20, 30],
          [0, 30],
        ],
      },
    ]);
  });

  it('works without poligonos.json, saying what that costs', async () => {
    const dir = await datasetWith({ 'a.jpg': await solid(20, 20) });
    const dataset = await readDataset(dir);
    expect(dataset.images).toHaveLength(1);
    expect(dataset.problems).toEqual([expect.objectContaining({ item: 'poligonos.json', code: 'POLYGONS_INVALID' })]);
  });

  it('follows a custom annotation pattern', async () => {
    const dir = await datasetWith({
      'images/a.jpg': await solid(50, 50),
      'annotations/a.damage.json': labelMe([{ label: 'dent', points: square(5, 5, 10) }], 50, 50),
      'annotations/a_labelDANO_modificado.json': 'not read with this pattern',
    });
    const dataset = await readDataset(dir, { annotationPattern: '{stem}.damage.json', name: 'custom' });
    expect(dataset.images[0]).toMatchObject({ damaged: true, annotation: 'annotations/a.damage.json' });
    expect(dataset.name).toBe('custom');
    await expect(readDataset(dir, { annotationPattern: 'no-stem.json' })).rejects.toSatisfy((error) =>
      isDefectRagError(error, 'BAD_INPUT'),
    );
  });
});

describe('readDataset on a damaged photo without a vehicle silhouette', () => {
  it('keeps it, with its defects, and names the missing silhouette as a problem', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dataset-no-vehicle-'));
    try {
      mkdirSync(path.join(dir, 'images'));
      writeFileSync(path.join(dir, 'images', 'bare.jpg'), await solid(200, 100));
      writeFileSync(
        path.join(dir, 'images', 'bare_labelDANO_modificado.json'),
        labelMe([{ label: 'dent', points: square(10, 10, 40) }], 200, 100),
      );
      writeFileSync(
        path.join(dir, 'poligonos.json'),
        JSON.stringify({ 'bare.jpg': { width: 200, height: 100, vehicle: [], parts: [] } }),
      );
      const read = await readDataset(dir);
      expect(read.images.map((image) => [image.path, image.defects.length, image.vehicle.length])).toEqual([
        ['images/bare.jpg', 1, 0],
      ]);
      expect(problemsFor(read, 'images/bare.jpg')).toEqual([
        expect.objectContaining({
          code: 'POLYGONS_INVALID',
          message: expect.stringContaining('no vehicle silhouette: its crops are cut with zone unknown'),
        }),
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
