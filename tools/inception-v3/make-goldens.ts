// npx tsx tools/inception-v3/make-goldens.ts   (dev only, ≈ 25 s per image on two cores)
// Runs the original nsfwjs layers model with TensorFlow.js (pure JS CPU backend) on three photos
// of the shared sample and writes tools/inception-v3/goldens.json: the output of layer mixed5,
// global-average-pooled and L2-normalised, which the converted ONNX graph must reproduce
// (tools/test/inception-v3.test.ts). TensorFlow.js reads the quantised weights itself, so the
// goldens do not share the converter's dequantisation, batch-norm folding or padding.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { sampleDatasetDir } from '@defect-rag/runtime';
import { OUTPUT_LAYER } from './converter';
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
const mixed5 = tf.model({ inputs: model.inputs, outputs: model.getLayer(OUTPUT_LAYER).output as tf.SymbolicTensor });

const images = [];
for (const relative of GOLDEN_IMAGES) {
  const file = path.join(dataset, relative);
  const started = performance.now();
  const pixels = toNhwc([await cropRgb(file)]);
  const features = tf.tidy(() => {
    const map = mixed5.predict(tf.tensor4d(pixels, [1, 299, 299, 3])) as tf.Tensor4D;
    return tf.mean(map, [1, 2]); // global average pool over the 17×17 cells
  });
  const pooled = Array.from(await features.data());
  features.dispose();
  const norm = Math.hypot(...pooled);
  images.push({
    path: relative,
    sha256: createHash('sha256').update(readFileSync(file)).digest('hex'),
    embedding: pooled.map((value) => Math.fround(value / norm)),
  });
  console.log(`${relative}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

const goldens = {
  description:
    `nsfwjs ${NSFWJS_VERSION} inception_v3 run by @tensorflow/tfjs ${tf.version.tfjs} (cpu backend): ` +
    `layer ${OUTPUT_LAYER}, mean over the 17×17 cells, L2-normalised`,
  generator: 'npx tsx tools/inception-v3/make-goldens.ts',
  source_sha256: sourceDigest(),
  dataset: 'vehicle-damage-sample (../shared/datasets/vehicle-damage-sample)',
  preprocessing: 'tools/inception-v3/preprocess.ts: shortest edge 299 bilinear, centre crop 299, RGB, x/255',
  images,
};
writeFileSync(GOLDENS_FILE, `${JSON.stringify(goldens)}\n`);
console.log(`wrote ${path.relative(process.cwd(), GOLDENS_FILE)}`);
