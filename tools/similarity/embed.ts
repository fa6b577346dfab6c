// npx tsx tools/similarity/embed.ts <dataset-dir> --out DIR [--heads mixed5_rmac,...]
// Cuts a dataset's crops as ingestion does (default crop settings, the evaluation's default seeded
// split) and the same-source control's clean windows, then embeds all of them once with a graph
// that has one output per pooling head of tools/similarity/variants.ts. Writes DIR/items.json and
// DIR/vectors/<head>.f32 (float32 rows in items order), read by measure.ts. Resumes: the crops and
// windows are cut once, and the vectors are written at the end.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import { cropConfig, cutCrops, readPhase1Metadata } from '@defect-rag/crops';
import { readDataset, seededShuffle } from '@defect-rag/dataset';
import { CONTROL_SEED, planControlWindows } from '@defect-rag/evaluation';
import { cropsStage, splitStage } from '@defect-rag/ingestion';
import { datasetTaxonomyFile, loadTaxonomy, TaxonomyNormalizer } from '@defect-rag/taxonomy';
import { buildOnnx } from '../inception-v3/converter';
import { cropRgb, toNchw } from '../inception-v3/preprocess';
import { PROBE_HEADS } from './variants';
import type { CachedItem } from './cache';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { out: { type: 'string' }, batch: { type: 'string', default: '8' }, heads: { type: 'string' } },
});
// --heads embeds only the named heads (the adapter measurement needs mixed5_rmac alone: 18× less pooling).
const heads = values.heads ? PROBE_HEADS.filter((head) => values.heads!.split(',').includes(head.output)) : PROBE_HEADS;
if (heads.length === 0) throw new Error(`--heads names none of ${PROBE_HEADS.map((head) => head.output).join(', ')}`);
const root = path.resolve(positionals[0] ?? '');
if (!positionals[0] || !values.out) throw new Error('usage: embed.ts <dataset-dir> --out DIR');
const outDir = path.resolve(values.out);
mkdirSync(outDir, { recursive: true });

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
    damaged: crop.has_damage,
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

const items = JSON.parse(readFileSync(itemsFile, 'utf8')) as CachedItem[];
const session = await ort.InferenceSession.create(buildOnnx(undefined, heads).onnx, {
  intraOpNumThreads: 2,
  interOpNumThreads: 1,
});
const batch = Number(values.batch);
const rows = new Map(heads.map((head) => [head.output, [] as Float32Array[]]));
const started = performance.now();
for (let start = 0; start < items.length; start += batch) {
  const part = items.slice(start, start + batch);
  const pixels = toNchw(await Promise.all(part.map((item) => cropRgb(item.file))));
  const output = await session.run({ pixel_values: new ort.Tensor('float32', pixels, [part.length, 3, 299, 299]) });
  for (const head of heads) {
    const tensor = output[head.output]!;
    const dim = tensor.dims[1]!;
    const data = tensor.data as Float32Array;
    for (let i = 0; i < part.length; i++) rows.get(head.output)!.push(data.slice(i * dim, (i + 1) * dim));
  }
  const done = Math.min(start + batch, items.length);
  const seconds = (performance.now() - started) / 1000;
  console.log(`${done}/${items.length} embedded, ${((seconds * 1000) / done).toFixed(0)} ms per image`);
}
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
await session.release();
console.log(`wrote ${items.length} items × ${heads.length} heads to ${outDir}`);
