import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { annotationPathOf, mergedLabelMe, readDataset, withAnalystLabels, type AnalystShape } from '../src';

const root = mkdtempSync(path.join(tmpdir(), 'dataset-analyst-labels-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const square = (x: number, y: number, side: number): [number, number][] => [
  [x, y],
  [x + side, y],
  [x + side, y + side],
  [x, y + side],
];

/** Two 200×100 photos, `damaged` with one annotated scratch (and a shape field LabelMe keeps), `clean` without. */
async function writeDataset(dir: string): Promise<void> {
  mkdirSync(path.join(dir, 'images'), { recursive: true });
  mkdirSync(path.join(dir, 'annotations'), { recursive: true });
  const photo = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#3060a0' } })
    .jpeg()
    .toBuffer();
  for (const stem of ['clean', 'damaged']) writeFileSync(path.join(dir, 'images', `${stem}.jpg`), photo);
  writeFileSync(
    path.join(dir, 'annotations', 'damaged_labelDANO_modificado.json'),
    JSON.stringify({
      version: '5.0.1',
      shapes: [{ label: 'rayón', points: square(10, 10, 30), shape_type: 'polygon', group_id: 7 }],
      imageWidth: 200,
      imageHeight: 100,
      imageData: null,
    }),
  );
}

describe("analysts' labels merged with a dataset's annotations", () => {
  it('adds DEFECT polygons after the LabelMe ones; "no damage" marks leave an image as its files say', async () => {
    const dir = path.join(root, 'merge');
    await writeDataset(dir);
    const { images } = await readDataset(dir, { name: 'merge' });
    const [clean, damaged] = images;
    const labels: AnalystShape[] = [
      { photoId: clean!.id, kind: 'DEFECT', damageType: 'dent', polygon: square(50, 20, 40) },
      { photoId: damaged!.id, kind: 'NO_DAMAGE', damageType: null, polygon: null },
      { photoId: damaged!.id, kind: 'DEFECT', damageType: 'scratch', polygon: square(100, 50, 20) },
      { photoId: 'another-photo', kind: 'DEFECT', damageType: 'dent', polygon: square(0, 0, 5) },
    ];
    const merged = withAnalystLabels(images, labels);
    expect(merged[0]).toMatchObject({ damaged: true, annotation: null });
    expect(merged[0]!.defects).toEqual([
      {
        index: 0,
        label: 'dent',
        polygon: square(50, 20, 40),
        box: { x: 50, y: 20, width: 40, height: 40 },
        area: 1600,
      },
    ]);
    expect(merged[1]!.defects.map((defect) => [defect.index, defect.label])).toEqual([
      [0, 'rayón'],
      [1, 'scratch'],
    ]);
    // Only a "no damage" mark: the image as read, unchanged.
    expect(withAnalystLabels(images, [labels[1]!])).toEqual(images);
    // The inputs are left as they were.
    expect(images[0]!.defects).toEqual([]);
  });

  it("writes a merged LabelMe file that the reader takes as the image's damage file", async () => {
    const dir = path.join(root, 'export');
    await writeDataset(dir);
    const { images } = await readDataset(dir, { name: 'export' });
    const [clean, damaged] = images;
    const createdAt = new Date('2026-12-07T20:00:00Z');
    const label = (photoId: string, damageType: string, polygon: [number, number][]) => ({
      id: `label-${damageType}`,
      author: 'local',
      createdAt,
      photoId,
      kind: 'DEFECT' as const,
      damageType,
      polygon,
    });
    const original = JSON.stringify({
      version: '5.0.1',
      shapes: [{ label: 'rayón', points: square(10, 10, 30), shape_type: 'polygon', group_id: 7 }],
      imageWidth: 200,
      imageHeight: 100,
    });
    const damagedFile = mergedLabelMe(damaged!, original, [label(damaged!.id, 'scratch', square(100, 50, 20))]);
    expect(
      (damagedFile.shapes as { label: string; group_id: unknown }[]).map((shape) => [shape.label, shape.group_id]),
    ).toEqual([
      ['rayón', 7],
      ['scratch', null],
    ]);
    const cleanFile = mergedLabelMe(clean!, null, [label(clean!.id, 'dent', square(50, 20, 40))]);
    expect(cleanFile).toMatchObject({ imagePath: '../images/clean.jpg', imageWidth: 200, imageHeight: 100 });
    expect(annotationPathOf(clean!.path)).toBe('annotations/clean_labelDANO_modificado.json');
    writeFileSync(path.join(dir, annotationPathOf(clean!.path)), JSON.stringify(cleanFile));

    const reread = await readDataset(dir, { name: 'export' });
    expect(reread.problems.filter((problem) => problem.item.includes('clean'))).toEqual([]);
    expect(reread.images[0]).toMatchObject({
      damaged: true,
      annotation: 'annotations/clean_labelDANO_modificado.json',
    });
    expect(reread.images[0]!.defects.map((defect) => [defect.label, defect.polygon])).toEqual([
      ['dent', square(50, 20, 40)],
    ]);
  });
});
