// npx tsx tools/similarity/embed-defect.ts <dataset-dir> --out DIR [--batch 8]
// The defect-weighted heads of tools/similarity/defect-pooling.ts for a measurement cache (the
// items of embed.ts, cut the first time): one graph through mixed5 whose outputs are the
// whole-crop mixed5 average and R-MAC heads and the mixed5 feature map; each item's map is pooled
// over the cells under its crop's defect polygons (phase-1 metadata) as soon as its batch is run,
// so no map is kept. Writes DIR/vectors/<head>.f32 like embed.ts; measure.ts reads them with
// --variants naming DEFECT_VARIANTS.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import { readPhase1Metadata } from '@defect-rag/crops';
import type { Polygon } from '@defect-rag/dataset';
import { buildOnnx, IMAGE_SIZE } from '../inception-v3/converter';
import { cropRgb, toNchw } from '../inception-v3/preprocess';
import { cacheItems, writeVectors } from './cache';
import { averageCells, mapOf, defectHeads, rmacCells } from './defect-pooling';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { out: { type: 'string' }, batch: { type: 'string', default: '8' } },
});
if (!positionals[0] || !values.out) throw new Error('usage: embed-defect.ts <dataset-dir> --out DIR');
const outDir = path.resolve(values.out);
mkdirSync(outDir, { recursive: true });
const items = await cacheItems(path.resolve(positionals[0]), outDir);

// A crop's defects, as polygons in crop pixels (the box where a file predates recorded polygons).
const metadata = await readPhase1Metadata(outDir);
const defects = new Map(
  metadata.crops.map((crop) => [
    crop.crop_id,
    {
      size: { width: crop.width, height: crop.height },
      polygons: crop.defects.map(({ polygon, box }): Polygon =>
        polygon.length >= 3
          ? polygon
          : [
              [box.x, box.y],
              [box.x + box.width, box.y],
              [box.x + box.width, box.y + box.height],
              [box.x, box.y + box.height],
            ],
      ),
    },
  ]),
);

const WHOLE = [
  { output: 'mixed5_avg', layers: ['mixed5'], pooling: 'avg' as const },
  { output: 'mixed5_rmac', layers: ['mixed5'], pooling: 'rmac' as const },
];
const session = await ort.InferenceSession.create(buildOnnx(undefined, WHOLE, ['mixed5']).onnx, {
  intraOpNumThreads: 2,
  interOpNumThreads: 1,
});
const batch = Number(values.batch);
const rows = new Map<string, Float32Array[]>();
const started = performance.now();
let poolingMs = 0;
/** Largest difference between the graph's whole-crop heads and the same pooling written here (a check of defect-pooling.ts). */
let wholeDiff = 0;
for (let start = 0; start < items.length; start += batch) {
  const part = items.slice(start, start + batch);
  const pixels = toNchw(await Promise.all(part.map((item) => cropRgb(item.file))));
  const output = await session.run({
    pixel_values: new ort.Tensor('float32', pixels, [part.length, 3, IMAGE_SIZE, IMAGE_SIZE]),
  });
  const tensor = output.mixed5!;
  const [, channels, height, width] = tensor.dims as [number, number, number, number];
  for (const [i, item] of part.entries()) {
    const whole = {
      mixed5_avg: (output.mixed5_avg!.data as Float32Array).slice(i * channels, (i + 1) * channels),
      mixed5_rmac: (output.mixed5_rmac!.data as Float32Array).slice(i * channels, (i + 1) * channels),
    };
    const poolStarted = performance.now();
    const map = mapOf(tensor.data as Float32Array, i, channels, height, width);
    const crop = item.kind === 'crop' ? defects.get(item.id) : undefined;
    const heads = defectHeads(
      map,
      { avg: whole.mixed5_avg, rmac: whole.mixed5_rmac },
      crop?.polygons ?? [],
      crop?.size ?? { width: 1, height: 1 },
    );
    poolingMs += performance.now() - poolStarted;
    if (start === 0 && i === 0) {
      const every = new Uint8Array(height * width).fill(1);
      for (const [mine, graph] of [
        [averageCells(map, every), whole.mixed5_avg],
        [rmacCells(map, every), whole.mixed5_rmac],
      ] as const) {
        for (const [k, value] of mine.entries()) wholeDiff = Math.max(wholeDiff, Math.abs(value - graph[k]!));
      }
    }
    for (const [name, vector] of [...Object.entries(whole), ...heads]) {
      if (!rows.has(name)) rows.set(name, []);
      rows.get(name)!.push(vector);
    }
  }
  const done = Math.min(start + batch, items.length);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${done}/${items.length} embedded, ${((seconds * 1000) / done).toFixed(0)} ms per image, ` +
      `pooling every defect head ${(poolingMs / done).toFixed(2)} ms per item`,
  );
}
if (wholeDiff > 1e-4) throw new Error(`pooling the map here differs from the graph's heads by ${wholeDiff}`);
writeVectors(outDir, rows);
await session.release();
console.log(
  `wrote ${items.length} items × ${rows.size} heads to ${outDir}; whole-crop pooling here vs the graph: max |Δ| ${wholeDiff.toExponential(1)}`,
);
