import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { sampleDatasetOrSkip } from '@defect-rag/testing';
import { analyzeDataset, readDataset, splitDataset, type Dataset } from '../src';

const sample = sampleDatasetOrSkip();

describe.skipIf(!sample)('the shared sample dataset', () => {
  let dataset: Dataset;
  beforeAll(async () => {
    dataset = await readDataset(sample!);
  });

  it('reads every image with no problem', () => {
    expect(dataset.name).toBe('vehicle-damage-sample');
    expect(dataset.problems).toEqual([]);
    expect(dataset.images).toHaveLength(114);
    expect(dataset.images.filter((image) => image.damaged)).toHaveLength(55);
    expect(dataset.images.flatMap((image) => image.defects)).toHaveLength(134);
    expect(new Set(dataset.images.map((image) => image.id)).size).toBe(114);
  });

  it('calls an image damaged exactly when its annotation file exists', () => {
    for (const image of dataset.images) {
      const stem = path.basename(image.path, '.jpg');
      const annotation = path.join(sample!, 'annotations', `${stem}_labelDANO_modificado.json`);
      expect(image.damaged, image.path).toBe(existsSync(annotation));
      expect(image.defects.length > 0, image.path).toBe(image.damaged);
    }
    expect(readdirSync(path.join(sample!, 'annotations'))).toHaveLength(55);
  });

  it('takes sizes from the headers and polygons from poligonos.json', async () => {
    for (const image of dataset.images.filter((_, i) => i % 10 === 0)) {
      const metadata = await sharp(path.join(sample!, image.path)).metadata();
      expect([image.width, image.height]).toEqual([metadata.width, metadata.height]);
    }
    for (const image of dataset.images) {
      expect(image.vehicle, image.path).toHaveLength(1);
      expect(image.parts.length, image.path).toBeGreaterThan(0);
      for (const polygon of [
        ...image.vehicle,
        ...image.parts.map((part) => part.polygon),
        ...image.defects.map((d) => d.polygon),
      ]) {
        expect(polygon.every(([x, y]) => x >= 0 && y >= 0 && x <= image.width && y <= image.height)).toBe(true);
      }
    }
  });

  it('analyses counts and sizes as the dataset README states them', () => {
    const report = analyzeDataset(dataset);
    expect(report.images).toMatchObject({ total: 114, damaged: 55, clean: 59 });
    expect(report.defects.total).toBe(134);
    expect(report.defects.per_label).toEqual({ damage: 134 });
    expect(report.defects.larger_than_window).toBe(38);
    expect(report.defects.longest_side_bins[0]).toEqual({ from: 0, to: 64, count: 16 });
    expect(report.defects.longest_side).toMatchObject({ min: 21, median: 215, max: 852 });
    expect(report.images.width).toMatchObject({ min: 400, max: 1600 });
    expect(Object.values(report.defects.per_zone).reduce((a, b) => a + b, 0)).toBe(134);
  });

  it('splits 80/20 by image, stratified, the same way for the same seed', () => {
    const split = splitDataset(dataset, { seed: 7 });
    expect(split.counts).toEqual({ images: 114, train: 91, test: 23 });
    expect(split.images.map((entry) => entry.image)).toEqual(dataset.images.map((image) => image.path));
    expect(splitDataset(dataset, { seed: 7 })).toEqual(split);
    const other = splitDataset(dataset, { seed: 8 });
    expect(other.images.map((entry) => entry.split)).not.toEqual(split.images.map((entry) => entry.split));

    // Damaged and clean keep their shares in test (55/114 and 59/114 of 23, rounded either way).
    const test = split.images.filter((entry) => entry.split === 'test');
    const damagedInTest = test.filter((entry) => entry.stratum.startsWith('damaged/')).length;
    expect(Math.abs(damagedInTest - (23 * 55) / 114)).toBeLessThan(1.5);
    // Every stratum gets its proportional share of test images, give or take one.
    for (const stratum of split.strata) {
      const size = stratum.train + stratum.test;
      expect(Math.abs(stratum.test - size * 0.2), stratum.stratum).toBeLessThan(1);
    }
    expect(splitDataset(dataset, { testFraction: 0.5 }).counts.test).toBe(57);
  });
});
