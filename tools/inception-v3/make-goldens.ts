// npx tsx tools/inception-v3/make-goldens.ts   (dev only, ≈ 25 s per image on two cores)
// Runs the original nsfwjs layers model with TensorFlow.js (pure JS CPU backend) on three photos
// of the shared sample and writes tools/inception-v3/goldens.json: the model folder's vector (layer
// mixed5, R-MAC pooled, L2-normalised), which the converted ONNX graph must reproduce
// (tools/test/inception-v3.test.ts), and each pooling head of tools/similarity/variants.ts
// (layers mixed0 … mixed7; average, GeM and R-MAC pooling computed here with TensorFlow.js ops).
// TensorFlow.js reads the quantised weights itself, so the goldens do not share the converter's
// dequantisation, batch-norm folding, padding or pooling nodes (only R-MAC's region geometry).
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { sampleDatasetDir } from '@defect-rag/runtime';
import { DEFAULT_HEAD, GEM_P, OUTPUT_LAYER, RMAC_SCALES, rmacGrid, type Head } from './converter';
import { PROBE_HEADS } from '../similarity/variants';
import { cropRgb, toNhwc } from './preprocess';
import { NSFWJS_VERSION, readNsfwjsInception, sourceDigest } from './source';

/** Two square photos would not exercise the centre crop: cps_te26 is 640×479, cps_te94 800×600. */
export const GOLDEN_IMAGES = ['images/cdd_1.jpg', 'images/cps_te26.jpg', 'images/cps_te94.jpg'];
export const GOLDENS_FILE = path.join(import.meta.dirname, 'goldens.json');

const dataset = sampleDatasetDir();
if (!dataset) {
  console.error('the shared sample (../shared/datasets/vehicle-damage-sample) is absent');
  process.exit(2);
}

const source = readNsfwjsInception();
const weightData = source.weightData.slice().buffer;
const model = await tf.loadLayersModel(
  tf.io.fromMemory({
    modelTopology: source.modelTopology as unknown as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs: source.weightSpecs as tf.io.WeightsManifestEntry[],
    weightData,
  }),
);
const layerNames = [...new Set([OUTPUT_LAYER, ...PROBE_HEADS.flatMap((head) => head.layers)])];
const maps = tf.model({
  inputs: model.inputs,
  outputs: layerNames.map((name) => model.getLayer(name).output as tf.SymbolicTensor),
});

function unit(values: Float32Array | number[]): number[] {
  const norm = Math.hypot(...values);
  return Array.from(values, (value) => Math.fround(value / norm));
}

/** One head's pooled vector of a [1, h, w, c] map, L2-normalised (one layer per probe head). */
async function pooledHead(map: tf.Tensor4D, head: Head): Promise<number[]> {
  const [, height, width] = map.shape;
  let pooled: tf.Tensor;
  if (head.pooling === 'avg') pooled = tf.mean(map, [1, 2]);
  else if (head.pooling === 'gem') pooled = tf.pow(tf.mean(tf.pow(map, GEM_P), [1, 2]), 1 / GEM_P);
  else {
    // Every region's channel maxima, L2-normalised, summed over regions and scales.
    const regions: tf.Tensor[] = [];
    for (let scale = 1; scale <= RMAC_SCALES; scale++) {
      const rows = rmacGrid(height, scale);
      const columns = rmacGrid(width, scale);
      for (let i = 0; i < scale; i++) {
        for (let j = 0; j < scale; j++) {
          const top = i * rows.stride;
          const left = j * columns.stride;
          const size = [1, Math.min(rows.kernel, height - top), Math.min(columns.kernel, width - left), -1];
          const max = tf.max(tf.slice(map, [0, top, left, 0], size), [1, 2]);
          regions.push(tf.div(max, tf.norm(max)));
        }
      }
    }
    pooled = tf.addN(regions);
  }
  const values = await pooled.data();
  return unit(values as Float32Array);
}

const images = [];
for (const relative of GOLDEN_IMAGES) {
  const file = path.join(dataset, relative);
  const started = performance.now();
  const pixels = toNhwc([await cropRgb(file)]);
  const outputs = maps.predict(tf.tensor4d(pixels, [1, 299, 299, 3])) as tf.Tensor4D[];
  const byLayer = new Map(layerNames.map((name, i) => [name, outputs[i]!]));
  const heads: Record<string, number[]> = {};
  for (const head of PROBE_HEADS) heads[head.output] = await pooledHead(byLayer.get(head.layers[0]!)!, head);
  const embedding = await pooledHead(byLayer.get(OUTPUT_LAYER)!, DEFAULT_HEAD);
  tf.dispose(outputs);
  images.push({
    path: relative,
    sha256: createHash('sha256').update(readFileSync(file)).digest('hex'),
    embedding,
    heads,
  });
  console.log(`${relative}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

const goldens = {
  description:
    `nsfwjs ${NSFWJS_VERSION} inception_v3 run by @tensorflow/tfjs ${tf.version.tfjs} (cpu backend): ` +
    `embedding: layer ${OUTPUT_LAYER}, R-MAC pooled, L2-normalised; ` +
    `heads: the pooling heads of tools/similarity/variants.ts, each L2-normalised`,
  generator: 'npx tsx tools/inception-v3/make-goldens.ts',
  source_sha256: sourceDigest(),
  dataset: 'vehicle-damage-sample (../shared/datasets/vehicle-damage-sample)',
  preprocessing: 'tools/inception-v3/preprocess.ts: shortest edge 299 bilinear, centre crop 299, RGB, x/255',
  images,
};
writeFileSync(GOLDENS_FILE, `${JSON.stringify(goldens)}\n`);
console.log(`wrote ${path.relative(process.cwd(), GOLDENS_FILE)}`);
