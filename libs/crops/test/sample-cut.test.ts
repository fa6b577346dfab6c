import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDataset, type Dataset } from '@defect-rag/dataset';
import { sampleDatasetOrSkip } from '@defect-rag/testing';
import { loadTaxonomy, TaxonomyNormalizer } from '@defect-rag/taxonomy';
import {
  cropDataset,
  phase1MetadataSchema,
  readPhase1Metadata,
  writePhase1Metadata,
  type Phase1Metadata,
} from '../src';

const sample = sampleDatasetOrSkip();

function fileHashes(dir: string): Record<string, string> {
  const hashes: Record<string, string> = {};
  for (const name of readdirSync(path.join(dir, 'crops')).sort()) {
    hashes[name] = createHash('sha256')
      .update(readFileSync(path.join(dir, 'crops', name)))
      .digest('hex');
  }
  return hashes;
}

describe.skipIf(!sample)('cutting the shared sample', () => {
  const outDir = mkdtempSync(path.join(tmpdir(), 'crops-sample-'));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));
  let dataset: Dataset;
  let metadata: Phase1Metadata;
  const normalizer = new TaxonomyNormalizer(loadTaxonomy());

  beforeAll(async () => {
    dataset = await readDataset(sample!);
    metadata = await cropDataset(dataset, { outDir, normalizer });
    await writePhase1Metadata(outDir, metadata);
  });

  it('writes one 336×336 RGB file per crop and nothing else', async () => {
    const files = readdirSync(path.join(outDir, 'crops'));
    expect(files.sort()).toEqual(metadata.crops.map((crop) => path.basename(crop.file)).sort());
    for (const crop of metadata.crops) {
      const info = await sharp(path.join(outDir, crop.file)).metadata();
      expect([info.format, info.width, info.height, info.channels], crop.file).toEqual(['jpeg', 336, 336, 3]);
    }
  });

  it('balances damage and clean crops 50/50 and sums the summary up', () => {
    const { summary } = metadata;
    expect(Math.abs(summary.damage_crops - summary.clean_crops)).toBeLessThanOrEqual(1);
    expect(summary.clean_dropped_by_balance).toBeGreaterThan(0);
    expect(summary.crops).toBe(metadata.crops.length);
    expect(summary.by_strategy.cluster + summary.by_strategy.tile).toBe(summary.damage_crops);
    expect(summary.by_strategy.grid).toBe(summary.clean_crops);
    expect(summary.by_strategy.tile).toBeGreaterThan(0);
    expect(metadata.problems).toEqual([]);
    // Every damaged image keeps all its crops.
    const damagedImages = new Set(dataset.images.filter((image) => image.damaged).map((image) => image.path));
    expect(new Set(metadata.crops.filter((crop) => crop.has_damage).map((crop) => crop.image))).toEqual(damagedImages);
  });

  it('writes a metadata file that validates and reads back', async () => {
    expect(phase1MetadataSchema.safeParse(metadata).success).toBe(true);
    expect(await readPhase1Metadata(outDir)).toEqual(metadata);
    expect(metadata.config).toMatchObject({
      size: 336,
      tile_overlap: 0.3,
      grid_overlap: 0.3,
      min_vehicle_coverage: 0.5,
      balance: true,
    });
  });

  it('gives identical ids, metadata and files on a re-run, and clears crops that are no longer planned', async () => {
    const before = fileHashes(outDir);
    writeFileSync(path.join(outDir, 'crops', 'stale_grid_0000000000.jpg'), 'left from an older run');
    const again = await cropDataset(dataset, { outDir, normalizer });
    expect(again).toEqual(metadata);
    expect(fileHashes(outDir)).toEqual(before);
  });
});
