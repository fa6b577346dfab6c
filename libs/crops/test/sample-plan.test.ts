import { beforeAll, describe, expect, it } from 'vitest';
import { areaInside, readDataset, type Box, type Dataset, type DatasetImage, type Polygon } from '@defect-rag/dataset';
import { sampleDatasetOrSkip } from '@defect-rag/testing';
import { loadTaxonomy, TaxonomyNormalizer, zoneOfCrop } from '@defect-rag/taxonomy';
import { cropConfig, planImageCrops, type CropRecord } from '../src';

const sample = sampleDatasetOrSkip();

/** Even-odd point-in-polygon by ray casting, written here independently of the library's scanline fill. */
function inside(polygon: Polygon, x: number, y: number): boolean {
  let result = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i]!;
    const [xj, yj] = polygon[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) result = !result;
  }
  return result;
}

const contains = (box: Box, x: number, y: number) =>
  x >= box.x && x < box.x + box.width && y >= box.y && y < box.y + box.height;

describe.skipIf(!sample)('crop plans on the shared sample', () => {
  const config = cropConfig();
  let dataset: Dataset;
  let normalizer: TaxonomyNormalizer;
  const plans = new Map<DatasetImage, CropRecord[]>();

  beforeAll(async () => {
    dataset = await readDataset(sample!);
    normalizer = new TaxonomyNormalizer(loadTaxonomy());
    for (const image of dataset.images) {
      plans.set(image, planImageCrops(image, { datasetName: dataset.name, config, normalizer }).crops);
    }
  });

  it('gives every crop the window size, a source box inside the image and a unique, stable id', () => {
    const ids = new Set<string>();
    for (const [image, crops] of plans) {
      for (const crop of crops) {
        expect([crop.width, crop.height]).toEqual([336, 336]);
        expect(crop.box).toMatchObject({ width: 336, height: 336 });
        expect(
          crop.box.x >= 0 && crop.box.y >= 0 && crop.box.x + 336 <= image.width && crop.box.y + 336 <= image.height,
        ).toBe(true);
        expect(crop.fill).toBeNull();
        expect(crop.crop_id).toMatch(
          new RegExp(`^${image.path.replace(/^images\/|\.jpg$/g, '')}_(cluster|tile|grid)_[0-9a-f]{10}$`),
        );
        expect(crop.file).toBe(`crops/${crop.crop_id}.jpg`);
        ids.add(crop.crop_id);
      }
    }
    expect(ids.size).toBe([...plans.values()].flat().length);
    const again = dataset.images.map(
      (image) => planImageCrops(image, { datasetName: dataset.name, config, normalizer }).crops,
    );
    expect(again).toEqual([...plans.values()]);
  });

  it('puts every defect that fits a window fully inside at least one cluster crop', () => {
    let fitting = 0;
    for (const [image, crops] of plans) {
      for (const defect of image.defects) {
        const box = {
          left: Math.floor(defect.box.x),
          top: Math.floor(defect.box.y),
          right: Math.ceil(defect.box.x + defect.box.width),
          bottom: Math.ceil(defect.box.y + defect.box.height),
        };
        if (box.right - box.left > 336 || box.bottom - box.top > 336) continue;
        fitting++;
        const holders = crops.filter(
          (crop) =>
            crop.strategy === 'cluster' &&
            defect.polygon.every(
              ([x, y]) => x >= crop.box.x && y >= crop.box.y && x <= crop.box.x + 336 && y <= crop.box.y + 336,
            ),
        );
        expect(holders.length, `${image.path} defect ${defect.index}`).toBeGreaterThan(0);
        expect(holders.some((crop) => crop.defects.some((d) => d.visible_fraction === 1))).toBe(true);
      }
    }
    expect(fitting).toBe(134 - 38);
  });

  it('covers each defect larger than the window with tiles, every pixel of its polygon', () => {
    let large = 0;
    for (const [image, crops] of plans) {
      const tiles = crops.filter((crop) => crop.strategy === 'tile');
      for (const defect of image.defects) {
        if (defect.box.width <= 336 && defect.box.height <= 336) continue;
        large++;
        const { x, y, width, height } = defect.box;
        for (let py = Math.floor(y); py < y + height; py += 4) {
          for (let px = Math.floor(x); px < x + width; px += 4) {
            if (!inside(defect.polygon, px + 0.5, py + 0.5)) continue;
            expect(
              tiles.some((tile) => contains(tile.box, px + 0.5, py + 0.5)),
              `${image.path} (${px}, ${py})`,
            ).toBe(true);
          }
        }
      }
      // Each tile touches a large defect's polygon, not just its box.
      for (const tile of tiles) {
        expect(
          image.defects.some((d) => (d.box.width > 336 || d.box.height > 336) && areaInside(d.polygon, tile.box) > 0),
        ).toBe(true);
      }
    }
    expect(large).toBe(38);
  });

  it('lists exactly the defects each damage crop shows, in crop coordinates', () => {
    for (const [image, crops] of plans) {
      if (!image.damaged) continue;
      expect(crops.length, image.path).toBeGreaterThan(0);
      for (const crop of crops) {
        expect(crop.has_damage).toBe(true);
        // Shown = at least one pixel's worth of the polygon inside the window (a graze is not listed).
        const shown = image.defects.filter((defect) => areaInside(defect.polygon, crop.box) >= 1);
        expect(crop.defects.length, crop.crop_id).toBeGreaterThan(0);
        expect(crop.defects).toHaveLength(shown.length);
        crop.defects.forEach((listed, i) => {
          const defect = shown[i]!;
          expect(listed.label).toBe(defect.label);
          expect(listed.type).toBe('damage');
          expect(listed.visible_fraction).toBeCloseTo(
            Math.min(1, areaInside(defect.polygon, crop.box) / defect.area),
            3,
          );
          expect(
            listed.box.x >= 0 &&
              listed.box.y >= 0 &&
              listed.box.x + listed.box.width <= 336 &&
              listed.box.y + listed.box.height <= 336,
          ).toBe(true);
          // The listed box really holds some of the defect: its centre region is inside the polygon somewhere.
          const sourceBox = {
            x: crop.box.x + listed.box.x,
            y: crop.box.y + listed.box.y,
            width: listed.box.width,
            height: listed.box.height,
          };
          expect(areaInside(defect.polygon, sourceBox)).toBeCloseTo(areaInside(defect.polygon, crop.box), 6);
        });
      }
    }
  });

  it('keeps only clean crops where the vehicle covers at least half, with their grid position', () => {
    let clean = 0;
    for (const [image, crops] of plans) {
      if (image.damaged) continue;
      for (const crop of crops) {
        clean++;
        expect(crop).toMatchObject({ has_damage: false, strategy: 'grid', defects: [] });
        expect(crop.grid_pos).toHaveLength(2);
        expect(crop.mask_coverage!).toBeGreaterThanOrEqual(0.5);
        // Independent estimate on every 4th pixel.
        let hits = 0;
        let samples = 0;
        for (let y = 0; y < 336; y += 4) {
          for (let x = 0; x < 336; x += 4) {
            samples++;
            if (image.vehicle.some((polygon) => inside(polygon, crop.box.x + x + 0.5, crop.box.y + y + 0.5))) hits++;
          }
        }
        expect(Math.abs(hits / samples - crop.mask_coverage!), crop.crop_id).toBeLessThan(0.02);
      }
    }
    expect(clean).toBeGreaterThan(59);
  });

  it('derives the zone from the part overlaps through the taxonomy', () => {
    const all = [...plans.values()].flat();
    for (const crop of all) {
      const overlaps = crop.part_overlaps.map((o) => o.overlap);
      expect(overlaps).toEqual([...overlaps].sort((a, b) => b - a));
      expect({ vehicle_zone: crop.vehicle_zone, area: crop.area }).toEqual(zoneOfCrop(crop.part_overlaps, normalizer));
      if (!crop.has_damage) expect(overlaps.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    }
    expect(all.filter((crop) => crop.vehicle_zone !== 'unknown').length / all.length).toBeGreaterThan(0.9);
  });
});
