// npx tsx tools/similarity/cost.ts [--variants mixed5-rmac,mixed5-gem] [--runs 7] [--batch 8]
// Cost per image of variant graphs against the default one (mixed5-avg): the same batch of sample
// photos through each session, alternated run by run in one process so that load on a shared
// machine hits all alike; medians and the ratio to the default.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import { sampleDatasetDir } from '@defect-rag/runtime';
import { median } from '../bench/_stats';
import { buildOnnx, DEFAULT_HEAD, IMAGE_SIZE, parseVariant } from '../inception-v3/converter';
import { cropRgb, toNchw } from '../inception-v3/preprocess';

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
const times = heads.map(() => [] as number[]);
for (const session of sessions) await session.run({ pixel_values: input }); // warm-up
for (let run = 0; run < Number(values.runs); run++) {
  for (const [i, session] of sessions.entries()) {
    const started = performance.now();
    await session.run({ pixel_values: input });
    times[i]!.push((performance.now() - started) / images.length);
  }
}
const base = median(times[0]!);
for (const [i, head] of heads.entries()) {
  const ms = median(times[i]!);
  console.log(
    `${`${head.layers.join('+')}-${head.pooling}`.padEnd(24)} ${ms.toFixed(1)} ms per image  ×${(ms / base).toFixed(2)}`,
  );
}
