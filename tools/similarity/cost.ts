// npx tsx tools/similarity/cost.ts [--variants mixed5-rmac,mixed5-gem] [--runs 7] [--batch 8]
// Cost per image of variant graphs against the default one (mixed5-rmac): the same batch of sample
// photos through each session, alternated run by run in one process so that load on a shared
// machine hits all alike; medians and the ratio to the default. The last row is the default with
// defect-weighted pooling (tools/similarity/defect-pooling.ts): the graph also outputs the mixed5
// map, pooled here over the cells of a 31 px defect (the typed set's median length) at margin 1,
// R-MAC, blended with the whole-crop vector.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import { sampleDatasetDir } from '@defect-rag/runtime';
import { median } from '../bench/_stats';
import { buildOnnx, DEFAULT_HEAD, IMAGE_SIZE, parseVariant, variantName } from '../inception-v3/converter';
import { cropRgb, toNchw } from '../inception-v3/preprocess';
import { blend, mapOf, defectCells, rmacCells } from './defect-pooling';

const { values } = parseArgs({
  options: {
    variants: { type: 'string', default: 'mixed5-gem,mixed5-rmac' },
    runs: { type: 'string', default: '7' },
    batch: { type: 'string', default: '8' },
  },
});
const dataset = sampleDatasetDir();
if (!dataset) throw new Error('the shared sample is absent');
const batch = Number(values.batch);
const files = readdirSync(path.join(dataset, 'images')).sort().slice(0, batch);
const images = await Promise.all(files.map((file) => cropRgb(path.join(dataset, 'images', file))));
const input = new ort.Tensor('float32', toNchw(images), [images.length, 3, IMAGE_SIZE, IMAGE_SIZE]);
const heads = [DEFAULT_HEAD, ...values.variants.split(',').map(parseVariant)];
const options = { intraOpNumThreads: 2, interOpNumThreads: 1 };
const sessions = await Promise.all(
  heads.map((head) => ort.InferenceSession.create(buildOnnx(undefined, [head]).onnx, options)),
);
const withMap = await ort.InferenceSession.create(buildOnnx(undefined, [DEFAULT_HEAD], ['mixed5']).onnx, options);
const defect = [
  [
    [152, 160],
    [183, 160],
    [183, 176],
    [152, 176],
  ],
] as const;
/** The pooling's own share, per image, of each defect-pooled run. */
const poolingMs: number[] = [];
async function defectPooled(): Promise<void> {
  const output = await withMap.run({ pixel_values: input });
  const started = performance.now();
  const [, channels, height, width] = output.mixed5!.dims as [number, number, number, number];
  for (let i = 0; i < images.length; i++) {
    const map = mapOf(output.mixed5!.data as Float32Array, i, channels, height, width);
    const whole = (output.image_embeds!.data as Float32Array).subarray(i * channels, (i + 1) * channels);
    blend(whole, rmacCells(map, defectCells(defect, { width: 336, height: 336 }, map, 1)), 0.5);
  }
  poolingMs.push((performance.now() - started) / images.length);
}
const runs = [
  ...sessions.map((session, i) => ({ name: variantName(heads[i]!), run: () => session.run({ pixel_values: input }) })),
  { name: `${variantName(DEFAULT_HEAD)} + defect R-MAC blend`, run: defectPooled },
];
const times = runs.map(() => [] as number[]);
for (const { run } of runs) await run(); // warm-up
for (let round = 0; round < Number(values.runs); round++) {
  for (const [i, { run }] of runs.entries()) {
    const started = performance.now();
    await run();
    times[i]!.push((performance.now() - started) / images.length);
  }
}
const base = median(times[0]!);
for (const [i, { name }] of runs.entries()) {
  const ms = median(times[i]!);
  console.log(`${name.padEnd(36)} ${ms.toFixed(1)} ms per image  ×${(ms / base).toFixed(3)}`);
}
console.log(`of which pooling the map in TypeScript: ${median(poolingMs).toFixed(2)} ms per image`);
