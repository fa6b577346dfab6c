import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cropDataset, readPhase1Metadata, writePhase1Metadata, type Phase1Metadata } from '@defect-rag/crops';
import { readDataset } from '@defect-rag/dataset';
import { sampleDatasetOrSkip } from '@defect-rag/testing';
import { loadTaxonomy, TaxonomyNormalizer } from '@defect-rag/taxonomy';
import { describePhase1, readPhase2Metadata, writePhase2Metadata, type Phase2Metadata } from '../src';

/**
 * Phase 1 with the real crops library on the shared sample, then phase 2. The golden file holds
 * the descriptions of the first crop (by id) of every strategy × zone; after an intended change
 * of the crops or the templates, rewrite it with UPDATE_GOLDEN=1 and review the diff.
 */
const GOLDEN_FILE = path.join(import.meta.dirname, 'sample-descriptions.golden.json');
const dataset = sampleDatasetOrSkip();

describe.skipIf(!dataset)('phase 2 on the shared sample', () => {
  const outDir = mkdtempSync(path.join(tmpdir(), 'contexts-sample-'));
  const taxonomy = loadTaxonomy();
  let phase1: Phase1Metadata;
  let phase2: Phase2Metadata;

  beforeAll(async () => {
    const source = await readDataset(dataset ?? '');
    const metadata = await cropDataset(source, { outDir, normalizer: new TaxonomyNormalizer(taxonomy) });
    await writePhase1Metadata(outDir, metadata);
    phase1 = await readPhase1Metadata(outDir);
    await writePhase2Metadata(outDir, describePhase1(phase1, taxonomy));
    phase2 = await readPhase2Metadata(outDir);
  }, 120_000);
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('describes every crop, with the template its defects call for', () => {
    expect(phase2.crops.length).toBe(phase1.crops.length);
    expect(phase2.crops.length).toBeGreaterThan(100);
    for (const crop of phase2.crops) {
      if (crop.defects.length > 0) {
        expect(crop.text_description).toMatch(/^\d+ [a-z ]+ on [a-z ]+ \([a-z ]+\)\. Specific defects visible: .+\.$/);
      } else {
        expect(crop.text_description).toMatch(
          /^Clean surface of [a-z ]+ \([a-z ]+\)\. No defects visible\. Inspection grid section\.$/,
        );
      }
    }
    expect(phase2.crops.filter((crop) => crop.has_damage).length).toBe(phase1.summary.damage_crops);
    expect(phase2.crops.filter((crop) => !crop.has_damage).every((crop) => crop.damage_types.length === 0)).toBe(true);
  });

  it('gives a known zone to every crop that a part polygon overlaps', () => {
    const withParts = phase2.crops.filter((crop) => crop.part_overlaps.some((part) => part.overlap > 0));
    expect(withParts.length).toBeGreaterThan(phase2.crops.length / 2);
    for (const crop of withParts) expect(crop.vehicle_zone, crop.crop_id).not.toBe('unknown');
    for (const crop of phase2.crops.filter((c) => c.part_overlaps.length === 0))
      expect(crop.vehicle_zone).toBe('unknown');
  });

  it('agrees with the zones phase 1 derived with the same taxonomy', () => {
    for (const [i, crop] of phase2.crops.entries()) {
      expect([crop.vehicle_zone, crop.area], crop.crop_id).toEqual([
        phase1.crops[i]?.vehicle_zone,
        phase1.crops[i]?.area,
      ]);
    }
  });

  it('knows every label of the sample and keeps every text within the token limit', () => {
    expect(phase2.contexts).toMatchObject({
      unknown_labels: [],
      over_token_limit: 0,
      crops_by_damage_type: { damage: phase1.summary.damage_crops },
    });
    expect(phase2.problems.filter((problem) => problem.stage === 'contexts')).toEqual([]);
  });

  it('matches the golden descriptions', () => {
    const firstOfEach = new Map<string, Phase2Metadata['crops'][number]>();
    for (const crop of [...phase2.crops].sort((a, b) => a.crop_id.localeCompare(b.crop_id))) {
      const key = `${crop.strategy} ${crop.vehicle_zone}`;
      if (!firstOfEach.has(key)) firstOfEach.set(key, crop);
    }
    const actual = Object.fromEntries(
      [...firstOfEach.values()]
        .sort((a, b) => a.crop_id.localeCompare(b.crop_id))
        .map((crop) => [crop.crop_id, crop.text_description]),
    );
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN_FILE, `${JSON.stringify(actual, null, 2)}\n`);
    expect(actual).toEqual(JSON.parse(readFileSync(GOLDEN_FILE, 'utf8')));
  });
});
