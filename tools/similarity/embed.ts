// npx tsx tools/similarity/embed.ts <dataset-dir> --out DIR [--heads mixed5_rmac,...]
// Cuts a dataset's crops as ingestion does (default crop settings, the evaluation's default seeded
// split) and the same-source control's clean windows, then embeds all of them once with a graph
// that has one output per pooling head of tools/similarity/variants.ts. Writes DIR/items.json and
// DIR/vectors/<head>.f32 (float32 rows in items order), read by measure.ts. Resumes: the crops and
// windows are cut once, and the vectors are written at the end.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import { buildOnnx } from '../inception-v3/converter';
import { cropRgb, toNchw } from '../inception-v3/preprocess';
import { PROBE_HEADS } from './variants';
import { cacheItems, writeVectors } from './cache';

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

const items = await cacheItems(root, outDir);
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
writeVectors(outDir, rows);
await session.release();
console.log(`wrote ${items.length} items × ${heads.length} heads to ${outDir}`);
