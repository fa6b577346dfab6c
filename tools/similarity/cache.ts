import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cropConfig, cutCrops, readPhase1Metadata } from '@defect-rag/crops';
import { readDataset, seededShuffle } from '@defect-rag/dataset';
import { CONTROL_SEED, planControlWindows } from '@defect-rag/evaluation';
import { cropsStage, splitStage } from '@defect-rag/ingestion';
import { datasetTaxonomyFile, loadTaxonomy, TaxonomyNormalizer } from '@defect-rag/taxonomy';

/** One embedded item of a measurement cache (tools/similarity/embed.ts): a dataset crop or a control window. */
export interface CachedItem {
  id: string;
  kind: 'crop' | 'window';
  photo: string;
  split: 'train' | 'test' | null;
  damaged: boolean;
  zone: string;
  types: string[];
  file: string;
}

/**
 * The items of a cache, `outDir/items.json`: made the first time by cutting the dataset's crops as
 * ingestion does (default crop settings, the evaluation's default seeded split; phase-1 metadata
 * in `outDir`) and the same-source control's clean windows, then read back.
 */
export async function cacheItems(root: string, outDir: string): Promise<CachedItem[]> {
  const itemsFile = path.join(outDir, 'items.json');
  if (!existsSync(itemsFile)) {
    const { file: splitFile } = await splitStage({ datasetDir: root, outDir });
    await cropsStage({ datasetDir: root, outDir, splitFile, concurrency: 1 });
    const metadata = await readPhase1Metadata(outDir);
    const crops: CachedItem[] = metadata.crops.map((crop) => ({
      id: crop.crop_id,
      kind: 'crop',
      photo: crop.image_id,
      split: crop.split,
      // The crops stage reads every photo as labelled.
      damaged: crop.has_damage === true,
      zone: crop.vehicle_zone,
      types: crop.damage_types,
      file: path.join(outDir, crop.file),
    }));

    // The control's clean windows, chosen as runSameSourceControl chooses them.
    const dataset = await readDataset(root, { name: path.basename(root) });
    const normalizer = new TaxonomyNormalizer(loadTaxonomy(datasetTaxonomyFile(root, undefined)));
    const config = cropConfig(undefined);
    const damagedImages = dataset.images.filter((image) => image.damaged);
    const damagedIds = new Set(damagedImages.map((image) => image.id));
    const planned = planControlWindows(damagedImages, { datasetName: dataset.name, config, normalizer });
    const damagedCrops = crops.filter((crop) => crop.damaged && damagedIds.has(crop.photo)).length;
    const chosen = new Set(seededShuffle(planned, CONTROL_SEED).slice(0, Math.min(planned.length, damagedCrops)));
    const windowsDir = path.join(outDir, 'same-source-control');
    const windows: CachedItem[] = [];
    for (const image of damagedImages) {
      const mine = planned.filter((crop) => chosen.has(crop) && crop.image_id === image.id);
      if (mine.length === 0) continue;
      const cut = await cutCrops(image, mine, {
        root: dataset.root,
        outDir: windowsDir,
        config: { ...config, maskBackground: false },
      });
      for (const crop of cut.crops) {
        windows.push({
          id: crop.crop_id,
          kind: 'window',
          photo: crop.image_id,
          split: null,
          damaged: false,
          zone: crop.vehicle_zone,
          types: [],
          file: path.join(windowsDir, crop.file),
        });
      }
    }
    writeFileSync(itemsFile, `${JSON.stringify([...crops, ...windows], null, 1)}\n`);
  }
  return JSON.parse(readFileSync(itemsFile, 'utf8')) as CachedItem[];
}

/** Each head's rows (in items order) as `outDir/vectors/<head>.f32`, float32 rows back to back. */
export function writeVectors(outDir: string, rows: ReadonlyMap<string, readonly Float32Array[]>): void {
  mkdirSync(path.join(outDir, 'vectors'), { recursive: true });
  for (const [name, list] of rows) {
    const all = new Float32Array(list.reduce((sum, row) => sum + row.length, 0));
    let at = 0;
    for (const row of list) {
      all.set(row, at);
      at += row.length;
    }
    writeFileSync(path.join(outDir, 'vectors', `${name}.f32`), all);
  }
}
