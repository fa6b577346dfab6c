import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readPhase2Metadata } from '@defect-rag/contexts';
import { writePhase1Metadata, type CropRecord, type Phase1Metadata } from '@defect-rag/crops';
import { isDefectRagError } from '@defect-rag/runtime';
import { contextsStage } from '../src';

const root = mkdtempSync(path.join(tmpdir(), 'contexts-stage-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function cropRecord(id: string, labels: string[], parts: [string, number][]): CropRecord {
  return {
    crop_id: id,
    image_id: 'img-1',
    image: 'images/car.jpg',
    file: `crops/${id}.jpg`,
    has_damage: labels.length > 0,
    strategy: labels.length > 0 ? 'cluster' : 'grid',
    box: { x: 0, y: 0, width: 336, height: 336 },
    width: 336,
    height: 336,
    fill: null,
    defects: labels.map((label) => ({
      label,
      type: 'unknown',
      types: ['unknown'],
      box: { x: 10, y: 10, width: 50, height: 40 },
      polygon: [
        [10, 10],
        [60, 10],
        [60, 50],
      ] as [number, number][],
      visible_fraction: 1,
    })),
    grid_pos: labels.length > 0 ? null : [0, 1],
    mask_coverage: labels.length > 0 ? null : 0.8,
    damage_types: labels.length > 0 ? ['unknown'] : [],
    vehicle_zone: 'unknown',
    area: 'unknown',
    part_overlaps: parts.map(([label, overlap]) => ({ label, overlap })),
    split: 'train',
  };
}

/** A phase-1 output folder for a dataset at `datasetRoot`, as `defect-rag crops` leaves it. */
async function phase1Folder(name: string, datasetRoot: string, crops: CropRecord[]): Promise<string> {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  const metadata: Phase1Metadata = {
    dataset: { name: 'cars', root: datasetRoot },
    config: {
      size: 336,
      tile_overlap: 0.3,
      grid_overlap: 0.3,
      min_vehicle_coverage: 0.5,
      mask_background: true,
      balance: true,
      seed: 42,
      format: 'jpeg',
      jpeg_quality: 95,
      split_file: null,
    },
    summary: {
      images: 1,
      images_with_crops: 1,
      crops: crops.length,
      damage_crops: crops.filter((crop) => crop.has_damage).length,
      clean_crops: crops.filter((crop) => !crop.has_damage).length,
      unlabelled_crops: 0,
      by_strategy: { cluster: 1, tile: 0, grid: 1 },
      grid_below_coverage: 0,
      clean_dropped_by_balance: 0,
    },
    crops,
    problems: [{ item: 'images/broken.jpg', stage: 'dataset', code: 'IMAGE_DECODE_FAILED', message: 'truncated' }],
  };
  await writePhase1Metadata(dir, metadata);
  return dir;
}

const crops = [
  cropRecord(
    'damaged',
    ['golpe', 'óxido'],
    [
      ['hood', 900],
      ['spoiler', 50],
    ],
  ),
  cropRecord('clean', [], [['front_left_door', 4000]]),
];

describe('contextsStage', () => {
  it('writes metadata_crops_phase2.json beside the phase-1 file and summarises it', async () => {
    const dir = await phase1Folder('plain', path.join(root, 'no-such-dataset'), crops);
    const result = await contextsStage({ cropsDir: dir });
    expect(result).toMatchObject({
      metadataFile: path.join(dir, 'metadata_crops_phase2.json'),
      crops: 2,
      damageCrops: 1,
      cleanCrops: 1,
    });
    expect(result.summary.unknown_labels).toEqual([
      { kind: 'damage', label: 'óxido', count: 1 },
      { kind: 'part', label: 'spoiler', count: 1 },
    ]);
    expect(result.problems.map((problem) => problem.code)).toEqual(['LABEL_UNKNOWN', 'LABEL_UNKNOWN']);

    const written = await readPhase2Metadata(dir);
    expect(
      written.crops.map((crop) => [crop.vehicle_zone, crop.area, crop.damage_types, crop.text_description]),
    ).toEqual([
      ['front', 'hood', ['dent', 'unknown'], '2 defects on front (hood). Specific defects visible: dent, defect.'],
      ['left_side', 'door', [], 'Clean surface of left side (door). No defects visible. Inspection grid section.'],
    ]);
    // Phase 1's problems stay in the file, phase 2's are added after them.
    expect(written.problems.map((problem) => problem.stage)).toEqual(['dataset', 'contexts', 'contexts']);
    expect(written.contexts).toMatchObject({
      enrich: false,
      token_count: 'estimate',
      crops_by_zone: { front: 1, left_side: 1 },
    });
  });

  it("uses the dataset's taxonomy.yaml, and --taxonomy over it", async () => {
    const datasetRoot = path.join(root, 'dataset-with-taxonomy');
    mkdirSync(datasetRoot, { recursive: true });
    const datasetTaxonomy = path.join(datasetRoot, 'taxonomy.yaml');
    writeFileSync(
      datasetTaxonomy,
      'damage_types:\n  - { id: rust, name: rust spot, plural: rust spots, critical: false, visual: corrosion, synonyms: [óxido] }\n',
    );
    const dir = await phase1Folder('dataset-taxonomy', datasetRoot, crops);

    const fromDataset = await contextsStage({ cropsDir: dir });
    expect(fromDataset.summary.taxonomy.at(-1)).toBe(datasetTaxonomy);
    expect(fromDataset.summary.unknown_labels).toEqual([{ kind: 'part', label: 'spoiler', count: 1 }]);
    expect((await readPhase2Metadata(dir)).crops[0]?.damage_types).toEqual(['dent', 'rust']);

    const explicit = path.join(root, 'explicit.yaml');
    writeFileSync(explicit, 'parts:\n  spoiler: { zone: rear, area: trunk }\n');
    const fromOption = await contextsStage({ cropsDir: dir, taxonomyFile: explicit, enrich: true });
    expect(fromOption.summary.taxonomy.at(-1)).toBe(explicit);
    expect(fromOption.summary.unknown_labels).toEqual([{ kind: 'damage', label: 'óxido', count: 1 }]);
    const [damaged] = (await readPhase2Metadata(dir)).crops;
    expect(damaged?.text_description).toContain('Smooth depression in the panel');
  });

  it('fails under strict on unknown labels without writing the phase-2 file', async () => {
    const dir = await phase1Folder('strict', path.join(root, 'no-such-dataset'), crops);
    const error = await contextsStage({ cropsDir: dir, strict: true }).catch((e: unknown) => e);
    expect(isDefectRagError(error, 'LABEL_UNKNOWN')).toBe(true);
    expect(existsSync(path.join(dir, 'metadata_crops_phase2.json'))).toBe(false);
  });

  it('fails with METADATA_INVALID when there is no phase-1 file', async () => {
    const error = await contextsStage({ cropsDir: path.join(root, 'empty') }).catch((e: unknown) => e);
    expect(isDefectRagError(error, 'METADATA_INVALID')).toBe(true);
  });
});
