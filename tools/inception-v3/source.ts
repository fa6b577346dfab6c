/**
 * Reads nsfwjs@4.4.0's InceptionV3 (a Keras 2.2.4 model converted to TensorFlow.js layers format)
 * out of node_modules/nsfwjs: the model JSON and the weight shards, which nsfwjs ships as
 * browserify-wrapped JS modules (the model JSON as an object literal, each shard as one base64
 * string) so that bundlers can import them.
 *
 * Every file is checked against the sha256 recorded here before it is evaluated, so a different
 * nsfwjs (or a damaged install) stops the conversion with the file's name instead of producing a
 * different model. The modules are evaluated in an empty `vm` context: they only need `module`
 * and `exports`, and get nothing else (no require, no process).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

export const NSFWJS_VERSION = '4.4.0';

/** sha256 of each file read, relative to nsfwjs/dist/models/inception_v3 (nsfwjs 4.4.0 from npm). */
export const SOURCE_SHA256: Readonly<Record<string, string>> = {
  'model.min.js': '8c2b793b9d277840fc757725bf3b135c96d5a54ec020e2b4ab569fc3df6b3848',
  'group1-shard1of6.min.js': 'e9316ac20ff634f990e483062050afe9a4826885c3a212d676ce2cfda93a4884',
  'group1-shard2of6.min.js': '467b33d62b4c470edf8acd3da554e331f2d49f3f93ddd718f944f595c516cd82',
  'group1-shard3of6.min.js': '075300e057ca7e9fd2e282afbc3a6596a0404288c94bf781e9b20658cbeee664',
  'group1-shard4of6.min.js': 'b51ee46e062e752e81c28761a56369432671bfb3d59f4f062f5bd4dd58ff5303',
  'group1-shard5of6.min.js': 'd4149969b3c61e0d4dde1d4f555f5b00f4fc87f6bab1a4cd4967b24f62725de6',
  'group1-shard6of6.min.js': 'b684762a7d7c39b80183d260bdab6f072321349300f9f2ff144a085a382acfc4',
};

/** The parts of a Keras layer's JSON the converter reads. */
export interface KerasLayer {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  /** [[[inboundLayerName, nodeIndex, tensorIndex, kwargs], …]] */
  inbound_nodes: [string, number, number, unknown][][];
}

/** TensorFlow.js's weight manifest entry. */
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { min?: number; scale?: number; dtype: string };
}

export interface NsfwjsInception {
  /** `modelTopology` of the model JSON: Keras's `model.to_json()` plus versions. */
  modelTopology: { keras_version?: string; model_config: { config: { layers: KerasLayer[] } } };
  weightSpecs: WeightSpec[];
  /** The shards' bytes, concatenated in manifest order, as TensorFlow.js's loader sees them. */
  weightData: Uint8Array;
  /** The folder the files were read from. */
  dir: string;
}

/** Where npm put nsfwjs's InceptionV3 files. */
export function nsfwjsInceptionDir(): string {
  const require = createRequire(import.meta.url);
  let main: string;
  try {
    // nsfwjs's exports map hides package.json; its CommonJS entry is dist/cjs/index.js.
    main = require.resolve('nsfwjs');
  } catch {
    throw new Error(`nsfwjs is not installed: run npm ci (package.json pins nsfwjs ${NSFWJS_VERSION})`);
  }
  const root = path.resolve(path.dirname(main), '..', '..');
  const packageJson = path.join(root, 'package.json');
  const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version?: string };
  if (version !== NSFWJS_VERSION) {
    throw new Error(
      `${packageJson}: nsfwjs ${version} is installed, the converter needs ${NSFWJS_VERSION} (run npm ci)`,
    );
  }
  return path.join(root, 'dist', 'models', 'inception_v3');
}

/** Reads one file and checks its sha256; the error names the file and both hashes. */
function readChecked(dir: string, name: string): Buffer {
  const file = path.join(dir, name);
  const expected = SOURCE_SHA256[name];
  if (!expected) throw new Error(`${file}: no sha256 recorded for this file in tools/inception-v3/source.ts`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new Error(`${file}: cannot be read (${(error as Error).message}); is nsfwjs ${NSFWJS_VERSION} installed?`);
  }
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== expected) {
    throw new Error(
      `${file}: sha256 ${actual} differs from the ${expected} of nsfwjs ${NSFWJS_VERSION}; ` +
        `the converter only accepts that exact file (reinstall with npm ci)`,
    );
  }
  return bytes;
}

/** Runs a browserify UMD module in an empty context and returns its `module.exports`. */
function evaluateModule(file: string, source: string): unknown {
  const sandbox = { module: { exports: {} as unknown }, exports: {} };
  sandbox.exports = sandbox.module.exports as object;
  try {
    vm.runInNewContext(source, sandbox, { filename: file });
  } catch (error) {
    throw new Error(`${file}: evaluating the module failed (${(error as Error).message})`);
  }
  // A JSON round trip turns the other context's objects into this one's (`instanceof Array` holds).
  const exported = sandbox.module.exports;
  return typeof exported === 'object' ? (JSON.parse(JSON.stringify(exported)) as unknown) : exported;
}

/** Reads, checks and decodes the model JSON and its weights. */
export function readNsfwjsInception(dir = nsfwjsInceptionDir()): NsfwjsInception {
  const modelFile = path.join(dir, 'model.min.js');
  const model = evaluateModule(modelFile, readChecked(dir, 'model.min.js').toString('utf8')) as {
    modelTopology?: NsfwjsInception['modelTopology'];
    weightsManifest?: { paths: string[]; weights: WeightSpec[] }[];
  };
  if (!model.modelTopology?.model_config?.config?.layers || !Array.isArray(model.weightsManifest)) {
    throw new Error(`${modelFile}: no modelTopology.model_config.config.layers or weightsManifest`);
  }
  const weightSpecs: WeightSpec[] = [];
  const shards: Uint8Array[] = [];
  for (const group of model.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const shardPath of group.paths) {
      const name = `${shardPath}.min.js`;
      const file = path.join(dir, name);
      const base64 = evaluateModule(file, readChecked(dir, name).toString('utf8'));
      if (typeof base64 !== 'string') throw new Error(`${file}: the module does not export a base64 string`);
      shards.push(Buffer.from(base64, 'base64'));
    }
  }
  return { modelTopology: model.modelTopology, weightSpecs, weightData: Buffer.concat(shards), dir };
}

const QUANTIZED_BYTES: Record<string, number> = { uint8: 1, uint16: 2 };

/**
 * The weights as float32 by name, dequantised as TensorFlow.js does (`q * scale + min`, computed
 * in double precision, stored as float32).
 */
export function dequantizeWeights(source: NsfwjsInception): Map<string, { shape: number[]; values: Float32Array }> {
  const weights = new Map<string, { shape: number[]; values: Float32Array }>();
  const data = source.weightData;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let offset = 0;
  for (const spec of source.weightSpecs) {
    const count = spec.shape.reduce((product, dim) => product * dim, 1);
    const values = new Float32Array(count);
    const q = spec.quantization;
    if (spec.dtype !== 'float32') throw new Error(`weight ${spec.name}: dtype ${spec.dtype} is not supported`);
    if (q) {
      const bytes = QUANTIZED_BYTES[q.dtype];
      if (!bytes || q.min === undefined || q.scale === undefined) {
        throw new Error(
          `weight ${spec.name}: quantization ${JSON.stringify(q)} is not supported (uint8/uint16, min+scale)`,
        );
      }
      if (offset + count * bytes > data.byteLength) throw new Error(`weight ${spec.name}: the shards end too early`);
      for (let i = 0; i < count; i++) {
        const level = bytes === 1 ? data[offset + i]! : view.getUint16(offset + 2 * i, true);
        values[i] = level * q.scale + q.min;
      }
      offset += count * bytes;
    } else {
      if (offset + count * 4 > data.byteLength) throw new Error(`weight ${spec.name}: the shards end too early`);
      for (let i = 0; i < count; i++) values[i] = view.getFloat32(offset + 4 * i, true);
      offset += count * 4;
    }
    weights.set(spec.name, { shape: spec.shape, values });
  }
  if (offset !== data.byteLength) {
    throw new Error(`the weight manifest covers ${offset} bytes, the shards hold ${data.byteLength}`);
  }
  return weights;
}

/** One hash over the seven files' hashes: what the model folder's stamp records. */
export function sourceDigest(): string {
  const hash = createHash('sha256');
  for (const [name, sha] of Object.entries(SOURCE_SHA256)) hash.update(`${name} ${sha}\n`);
  return hash.digest('hex');
}
