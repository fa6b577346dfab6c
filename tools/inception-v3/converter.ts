/**
 * Converts the frozen ImageNet part of nsfwjs's Keras InceptionV3 (everything up to block mixed5,
 * 17×17×768) into an ONNX image tower: `pixel_values` float32 [n, 3, 299, 299] →
 * `image_embeds` [n, 768], mixed5 R-MAC pooled (see HeadBuilder), L2-normalised. Other pooling
 * heads (layers mixed0 … mixed7; average, GeM, R-MAC; concatenations) are variants of it.
 *
 * Keras → ONNX, layer by layer (the Keras JSON lists layers in topological order):
 * - Conv2D (no bias) + the BatchNormalization after it → one Conv with the normalisation folded
 *   in: w' = w / sqrt(var + ε), b = β − mean / sqrt(var + ε) (the layers have center=true,
 *   scale=false, so γ = 1; ε is read from each layer). Kernels go from Keras's HWIO to OIHW.
 * - padding 'same' → explicit `pads` computed as TensorFlow does (extra cell at the end when the
 *   total is odd), from the spatial sizes tracked through the graph (the input is 299×299).
 * - AveragePooling2D 'same' → AveragePool with count_include_pad=0: TensorFlow averages over the
 *   cells inside the image only.
 * - Concatenate on Keras's channel axis (3 or −1, channels last) → Concat on axis 1 (NCHW), in the
 *   same inbound order.
 * Anything else in the ancestry of mixed5 stops the conversion with the layer's name.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodeModel, type Node, type Tensor } from '@defect-rag/embedding';
import {
  dequantizeWeights,
  NSFWJS_VERSION,
  readNsfwjsInception,
  sourceDigest,
  type KerasLayer,
  type NsfwjsInception,
} from './source';

/** Bump when the graph or the folder's files change for the same nsfwjs files: it is part of the stamp. */
export const CONVERTER_VERSION = 2;
export const IMAGE_SIZE = 299;
export const EMBEDDING_DIM = 768;
export const OUTPUT_LAYER = 'mixed5';
export const GENERATOR_COMMAND = 'npx tsx tools/inception-v3/main.ts';
const OPSET = 13;

/**
 * The stamp in config.json's defect_rag: a hash over the nsfwjs files' sha256 (source.ts checks
 * each file against them before converting) and the converter version. A folder whose stamp
 * matches was made from the same bytes by the same code, so it needs no new conversion.
 */
export function conversionStamp(): { source_sha256: string; converter_version: number } {
  return { source_sha256: sourceDigest(), converter_version: CONVERTER_VERSION };
}

interface Shape {
  channels: number;
  height: number;
  width: number;
}

/** TensorFlow's padding for one spatial axis; returns the output size and the pads. */
export function padAxis(size: number, kernel: number, stride: number, mode: string, layer: string) {
  if (mode === 'valid') {
    const out = Math.floor((size - kernel) / stride) + 1;
    if (out < 1) throw new Error(`layer ${layer}: kernel ${kernel} does not fit in ${size}`);
    return { out, begin: 0, end: 0 };
  }
  if (mode !== 'same') throw new Error(`layer ${layer}: padding '${mode}' is not supported`);
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  // TensorFlow puts the odd cell at the end (bottom/right); ONNX pads can say so.
  const begin = Math.floor(total / 2);
  return { out, begin, end: total - begin };
}

function pair(value: unknown, what: string, layer: string): [number, number] {
  if (!Array.isArray(value) || value.length !== 2 || !value.every((v) => Number.isInteger(v) && v > 0)) {
    throw new Error(`layer ${layer}: ${what} ${JSON.stringify(value)} is not two positive integers`);
  }
  return [value[0] as number, value[1] as number];
}

function spatial(input: Shape, kernel: [number, number], strides: [number, number], mode: string, layer: string) {
  const h = padAxis(input.height, kernel[0], strides[0], mode, layer);
  const w = padAxis(input.width, kernel[1], strides[1], mode, layer);
  // ONNX pads: [x1_begin, x2_begin, x1_end, x2_end] = [top, left, bottom, right]
  return { height: h.out, width: w.out, pads: [h.begin, w.begin, h.end, w.end] };
}

/**
 * How a head turns the frozen feature maps into one vector:
 * - `avg`: global average pool (the default of converter version 1);
 * - `gem`: generalized mean, (mean of x^p)^(1/p) with p = GEM_P (the maps are post-ReLU, x ≥ 0),
 *   which leans towards the strongest cells without keeping only the maximum;
 * - `rmac`: regional maximum over RMAC_SCALES scales (Tolias et al. 2016): at scale l a grid of
 *   l × l square regions of side ⌈2·min(h, w)/(l + 1)⌉ (l = 1: the whole map), each region's
 *   channel maxima L2-normalised, then all regions summed (the default since converter version 2).
 * With several layers each layer's pooled vector is L2-normalised before they are concatenated.
 * The output is always L2-normalised.
 */
export type Pooling = 'avg' | 'gem' | 'rmac';
export const POOLINGS: readonly Pooling[] = ['avg', 'gem', 'rmac'];
export const GEM_P = 3;
export const RMAC_SCALES = 3;

export interface Head {
  /** The graph output's name. */
  output: string;
  /** Keras layers (mixed0 … mixed7) whose maps are pooled, concatenated in this order. */
  layers: readonly string[];
  pooling: Pooling;
}

/**
 * The model folder's vector: mixed5, R-MAC pooled — chosen over the global average of converter
 * version 1 by the rule of docs/similarity.md, measured there.
 */
export const DEFAULT_HEAD: Head = { output: 'image_embeds', layers: [OUTPUT_LAYER], pooling: 'rmac' };

function describeHead(head: Head): string {
  return `${head.output} = ${head.layers.join(' + ')}, ${head.pooling} pool, L2-normalised`;
}

function headDimension(head: Head, shapeOf: (name: string) => Shape): number {
  return head.layers.reduce((sum, layer) => sum + shapeOf(layer).channels, 0);
}

/** Regions of one R-MAC scale along an axis of `size` cells: kernel, stride and the end padding that makes `count` windows. */
export function rmacGrid(size: number, scale: number): { kernel: number; stride: number; padEnd: number } {
  if (scale === 1) return { kernel: size, stride: 1, padEnd: 0 };
  const kernel = Math.min(size, Math.ceil((2 * size) / (scale + 1)));
  const stride = Math.ceil((size - kernel) / (scale - 1));
  // Max pooling ignores padded cells, so padding the end only lets the last window fit.
  return { kernel, stride, padEnd: Math.max((scale - 1) * stride + kernel - size, 0) };
}

/** Appends the nodes of pooling heads after the converted layers; node names of the default head are the first version's. */
class HeadBuilder {
  private readonly constants = new Set<string>();

  constructor(
    private readonly nodes: Node[],
    private readonly initializers: Tensor[],
    private readonly shapeOf: (name: string) => Shape,
  ) {}

  private constant(name: string, value: number): string {
    if (!this.constants.has(name)) {
      this.constants.add(name);
      this.initializers.push({ name, dims: [], data: Float32Array.of(value) });
    }
    return name;
  }

  /** x / max(‖x‖₂, 1e-12) over `axis`. */
  private normalise(prefix: string, input: string, output: string, axis = 1): void {
    const epsilon = this.constant('norm_epsilon', 1e-12);
    this.nodes.push(
      {
        opType: 'ReduceL2',
        name: `${prefix}norm`,
        inputs: [input],
        outputs: [`${prefix}norm`],
        attributes: [
          { name: 'axes', ints: [axis] },
          { name: 'keepdims', int: 1 },
        ],
      },
      {
        opType: 'Max',
        name: `${prefix}norm_clamped`,
        inputs: [`${prefix}norm`, epsilon],
        outputs: [`${prefix}norm_clamped`],
      },
      { opType: 'Div', name: `${prefix}normalise`, inputs: [input, `${prefix}norm_clamped`], outputs: [output] },
    );
  }

  /** The pooled map [n, c, 1, 1] of one layer. */
  private pool(prefix: string, layer: string, pooling: Pooling): string {
    const out = `${prefix}pooled_4d`;
    if (pooling === 'avg') {
      this.nodes.push({ opType: 'GlobalAveragePool', name: `${prefix}pool`, inputs: [layer], outputs: [out] });
    } else if (pooling === 'gem') {
      const p = this.constant('gem_p', GEM_P);
      const inverse = this.constant('gem_inverse_p', 1 / GEM_P);
      this.nodes.push(
        { opType: 'Pow', name: `${prefix}gem_pow`, inputs: [layer, p], outputs: [`${prefix}gem_pow`] },
        {
          opType: 'GlobalAveragePool',
          name: `${prefix}pool`,
          inputs: [`${prefix}gem_pow`],
          outputs: [`${prefix}gem_mean`],
        },
        { opType: 'Pow', name: `${prefix}gem_root`, inputs: [`${prefix}gem_mean`, inverse], outputs: [out] },
      );
    } else {
      const { height, width } = this.shapeOf(layer);
      const scales: string[] = [];
      for (let scale = 1; scale <= RMAC_SCALES; scale++) {
        const s = `${prefix}rmac${scale}_`;
        const rows = rmacGrid(height, scale);
        const columns = rmacGrid(width, scale);
        this.nodes.push({
          opType: 'MaxPool',
          name: `${s}max`,
          inputs: [layer],
          outputs: [`${s}max`],
          attributes: [
            { name: 'kernel_shape', ints: [rows.kernel, columns.kernel] },
            { name: 'strides', ints: [rows.stride, columns.stride] },
            { name: 'pads', ints: [0, 0, rows.padEnd, columns.padEnd] },
          ],
        });
        this.normalise(s, `${s}max`, `${s}unit`);
        // Sum over the l × l regions: their mean times l².
        this.nodes.push({
          opType: 'ReduceMean',
          name: `${s}mean`,
          inputs: [`${s}unit`],
          outputs: [`${s}mean`],
          attributes: [
            { name: 'axes', ints: [2, 3] },
            { name: 'keepdims', int: 1 },
          ],
        });
        const count = this.constant(`rmac_regions_${scale * scale}`, scale * scale);
        this.nodes.push({ opType: 'Mul', name: `${s}sum`, inputs: [`${s}mean`, count], outputs: [`${s}sum`] });
        scales.push(`${s}sum`);
      }
      this.nodes.push({ opType: 'Sum', name: `${prefix}rmac_sum`, inputs: scales, outputs: [out] });
    }
    return out;
  }

  add(head: Head): void {
    // The default head keeps the node names of the first converter version (no prefix).
    const prefix = head.output === DEFAULT_HEAD.output ? '' : `${head.output}/`;
    const single = head.layers.length === 1;
    const parts = head.layers.map((layer) => {
      const p = single ? prefix : `${prefix}${layer}/`;
      const pooled = this.pool(p, layer, head.pooling);
      this.nodes.push({
        opType: 'Flatten',
        name: `${p}flatten`,
        inputs: [pooled],
        outputs: [`${p}pooled`],
        attributes: [{ name: 'axis', int: 1 }],
      });
      if (single) return `${p}pooled`;
      this.normalise(p, `${p}pooled`, `${p}unit`);
      return `${p}unit`;
    });
    if (!single) {
      this.nodes.push({
        opType: 'Concat',
        name: `${prefix}concat`,
        inputs: parts,
        outputs: [`${prefix}pooled`],
        attributes: [{ name: 'axis', int: 1 }],
      });
    }
    this.normalise(prefix, `${prefix}pooled`, head.output);
  }
}

export interface ConvertedGraph {
  onnx: Uint8Array;
  /** Values of the first head's vector. */
  dimension: number;
  /** Keras layers turned into ONNX nodes (batch norms folded into their convolutions). */
  layers: number;
  parameters: number;
}

/**
 * Builds the ONNX model from the nsfwjs files (read and checked by source.ts). `maps` names layers
 * whose feature maps are outputs too, under the layer's name, float32 [n, c, h, w]: the
 * measurement pools them over chosen cells (tools/similarity/defect-pooling.ts).
 */
export function buildOnnx(
  source: NsfwjsInception = readNsfwjsInception(),
  heads: readonly Head[] = [DEFAULT_HEAD],
  maps: readonly string[] = [],
): ConvertedGraph {
  if (heads.length === 0 || new Set(heads.map((spec) => spec.output)).size !== heads.length) {
    throw new Error('heads: at least one, with distinct output names');
  }
  const layers = source.modelTopology.model_config.config.layers;
  const byName = new Map(layers.map((layer) => [layer.name, layer]));
  const weights = dequantizeWeights(source);
  const weight = (name: string, shape: number[]): Float32Array => {
    const found = weights.get(name);
    if (!found) throw new Error(`weight ${name} is missing from the nsfwjs weight manifest`);
    if (found.shape.join() !== shape.join()) {
      throw new Error(`weight ${name} has shape [${found.shape.join(', ')}], expected [${shape.join(', ')}]`);
    }
    return found.values;
  };
  const inbound = (layer: KerasLayer): string[] => {
    if (layer.inbound_nodes.length === 0) return [];
    if (layer.inbound_nodes.length !== 1) throw new Error(`layer ${layer.name} is shared; not supported`);
    return layer.inbound_nodes[0]!.map(([name]) => name);
  };

  // Only the ancestry of the heads' layers, in the JSON's (topological) order.
  const needed = new Set<string>();
  const stack = [...heads.flatMap((spec) => [...spec.layers]), ...maps];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (needed.has(name)) continue;
    const layer = byName.get(name);
    if (!layer) throw new Error(`layer ${name} is not in the nsfwjs model JSON`);
    needed.add(name);
    stack.push(...inbound(layer));
  }
  const consumers = new Map<string, number>();
  for (const layer of layers) {
    if (!needed.has(layer.name)) continue;
    for (const name of inbound(layer)) consumers.set(name, (consumers.get(name) ?? 0) + 1);
  }

  const nodes: Node[] = [];
  const initializers: Tensor[] = [];
  const shapes = new Map<string, Shape>();
  /** Conv2D layers waiting for the BatchNormalization that follows them. */
  const pendingConvs = new Map<string, { layer: KerasLayer; input: string; kernel: Float32Array; dims: number[] }>();
  let parameters = 0;
  let converted = 0;
  const shapeOf = (name: string): Shape => {
    const shape = shapes.get(name);
    if (!shape) throw new Error(`layer ${name} is used before it is defined, or cannot be converted`);
    return shape;
  };

  for (const layer of layers) {
    if (!needed.has(layer.name)) continue;
    const config = layer.config;
    const inputs = inbound(layer);
    const input = inputs[0] ?? '';
    converted++;
    switch (layer.class_name) {
      case 'InputLayer': {
        const batchShape = config.batch_input_shape as unknown[];
        if (JSON.stringify(batchShape) !== JSON.stringify([null, IMAGE_SIZE, IMAGE_SIZE, 3])) {
          throw new Error(
            `layer ${layer.name}: input shape ${JSON.stringify(batchShape)}, expected [null, 299, 299, 3]`,
          );
        }
        shapes.set(layer.name, { channels: 3, height: IMAGE_SIZE, width: IMAGE_SIZE });
        break;
      }
      case 'Conv2D': {
        if (config.data_format !== 'channels_last' || config.use_bias !== false || config.activation !== 'linear') {
          throw new Error(`layer ${layer.name}: only channels_last, use_bias=false, activation=linear is supported`);
        }
        if (pair(config.dilation_rate, 'dilation_rate', layer.name).join() !== '1,1') {
          throw new Error(`layer ${layer.name}: dilation is not supported`);
        }
        if (consumers.get(layer.name) !== 1)
          throw new Error(`layer ${layer.name}: its output feeds more than its batch norm`);
        const [kh, kw] = pair(config.kernel_size, 'kernel_size', layer.name);
        const dims = [kh, kw, shapeOf(input).channels, config.filters as number];
        pendingConvs.set(layer.name, { layer, input, kernel: weight(`${layer.name}/kernel`, dims), dims });
        break;
      }
      case 'BatchNormalization': {
        const conv = pendingConvs.get(input);
        if (!conv) throw new Error(`layer ${layer.name}: a batch norm not right after a Conv2D is not supported`);
        pendingConvs.delete(input);
        if (![3, -1].includes(config.axis as number) || config.center !== true || config.scale !== false) {
          throw new Error(`layer ${layer.name}: only axis=3, center=true, scale=false is supported`);
        }
        const epsilon = config.epsilon as number;
        const [kh, kw, cin, cout] = conv.dims as [number, number, number, number];
        const mean = weight(`${layer.name}/moving_mean`, [cout]);
        const variance = weight(`${layer.name}/moving_variance`, [cout]);
        const beta = weight(`${layer.name}/beta`, [cout]);
        const kernel = new Float32Array(cout * cin * kh * kw);
        const bias = new Float32Array(cout);
        for (let o = 0; o < cout; o++) {
          const inv = 1 / Math.sqrt(variance[o]! + epsilon);
          bias[o] = beta[o]! - mean[o]! * inv;
          // HWIO → OIHW, scaled per output channel.
          for (let i = 0; i < cin; i++) {
            for (let y = 0; y < kh; y++) {
              for (let x = 0; x < kw; x++) {
                kernel[((o * cin + i) * kh + y) * kw + x] = conv.kernel[((y * kw + x) * cin + i) * cout + o]! * inv;
              }
            }
          }
        }
        const strides = pair(conv.layer.config.strides, 'strides', conv.layer.name);
        const out = spatial(
          shapeOf(conv.input),
          [kh, kw],
          strides,
          conv.layer.config.padding as string,
          conv.layer.name,
        );
        initializers.push(
          { name: `${conv.layer.name}/kernel_bn`, dims: [cout, cin, kh, kw], data: kernel },
          { name: `${conv.layer.name}/bias_bn`, dims: [cout], data: bias },
        );
        parameters += kernel.length + bias.length;
        nodes.push({
          opType: 'Conv',
          name: `${conv.layer.name}+${layer.name}`,
          inputs: [conv.input, `${conv.layer.name}/kernel_bn`, `${conv.layer.name}/bias_bn`],
          outputs: [layer.name],
          attributes: [
            { name: 'kernel_shape', ints: [kh, kw] },
            { name: 'strides', ints: strides },
            { name: 'pads', ints: out.pads },
            { name: 'dilations', ints: [1, 1] },
            { name: 'group', int: 1 },
          ],
        });
        shapes.set(layer.name, { channels: cout, height: out.height, width: out.width });
        break;
      }
      case 'Activation': {
        if (config.activation !== 'relu')
          throw new Error(`layer ${layer.name}: activation ${String(config.activation)}`);
        nodes.push({ opType: 'Relu', name: layer.name, inputs: [input], outputs: [layer.name] });
        shapes.set(layer.name, shapeOf(input));
        break;
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        if (config.data_format !== 'channels_last') throw new Error(`layer ${layer.name}: only channels_last`);
        const kernel = pair(config.pool_size, 'pool_size', layer.name);
        const strides = pair(config.strides, 'strides', layer.name);
        const out = spatial(shapeOf(input), kernel, strides, config.padding as string, layer.name);
        const average = layer.class_name === 'AveragePooling2D';
        nodes.push({
          opType: average ? 'AveragePool' : 'MaxPool',
          name: layer.name,
          inputs: [input],
          outputs: [layer.name],
          attributes: [
            { name: 'kernel_shape', ints: kernel },
            { name: 'strides', ints: strides },
            { name: 'pads', ints: out.pads },
            // TensorFlow divides by the number of cells inside the image, not by the window size.
            ...(average ? [{ name: 'count_include_pad', int: 0 }] : []),
          ],
        });
        shapes.set(layer.name, { channels: shapeOf(input).channels, height: out.height, width: out.width });
        break;
      }
      case 'Concatenate': {
        if (![3, -1].includes(config.axis as number))
          throw new Error(`layer ${layer.name}: axis ${String(config.axis)}`);
        const parts = inputs.map(shapeOf);
        const first = parts[0]!;
        if (!parts.every((part) => part.height === first.height && part.width === first.width)) {
          throw new Error(`layer ${layer.name}: inputs of different spatial sizes`);
        }
        // Keras's channel axis (last, NHWC) is axis 1 in NCHW; the inbound order is kept.
        nodes.push({
          opType: 'Concat',
          name: layer.name,
          inputs,
          outputs: [layer.name],
          attributes: [{ name: 'axis', int: 1 }],
        });
        shapes.set(layer.name, { ...first, channels: parts.reduce((sum, part) => sum + part.channels, 0) });
        break;
      }
      default:
        throw new Error(`layer ${layer.name}: ${layer.class_name} is not supported by the converter`);
    }
  }
  if (pendingConvs.size > 0) throw new Error(`Conv2D without batch norm: ${[...pendingConvs.keys()].join(', ')}`);
  if (needed.has(OUTPUT_LAYER)) {
    const last = shapeOf(OUTPUT_LAYER);
    if (last.channels !== EMBEDDING_DIM || last.height !== 17 || last.width !== 17) {
      throw new Error(
        `${OUTPUT_LAYER} is ${last.height}×${last.width}×${last.channels}, expected 17×17×${EMBEDDING_DIM}`,
      );
    }
  }

  // The Keras input is named input_1; the ONNX graph's is pixel_values.
  const inputLayer = layers.find((layer) => layer.class_name === 'InputLayer')!.name;
  const renamed = nodes.map((node) => ({
    ...node,
    inputs: node.inputs.map((name) => (name === inputLayer ? 'pixel_values' : name)),
  }));
  nodes.splice(0, nodes.length, ...renamed);
  const head = new HeadBuilder(nodes, initializers, shapeOf);
  for (const spec of heads) head.add(spec);
  const isDefault = heads.length === 1 && heads[0] === DEFAULT_HEAD && maps.length === 0;

  const onnx = encodeModel({
    irVersion: 8,
    opsetVersion: OPSET,
    producerName: 'defect-rag tools/inception-v3',
    producerVersion: String(CONVERTER_VERSION),
    docString: isDefault
      ? `ImageNet InceptionV3 through ${OUTPUT_LAYER} (frozen layers of nsfwjs ${NSFWJS_VERSION}'s inception_v3), R-MAC pooled, L2-normalised`
      : `ImageNet InceptionV3 (frozen layers of nsfwjs ${NSFWJS_VERSION}'s inception_v3): ${heads.map(describeHead).join('; ')}`,
    graph: {
      name: isDefault ? 'inception_v3_mixed5' : `inception_v3_${heads.map((spec) => spec.output).join('_')}`,
      nodes,
      initializers,
      inputs: [{ name: 'pixel_values', shape: ['batch', 3, IMAGE_SIZE, IMAGE_SIZE] }],
      outputs: [
        ...heads.map((spec) => ({ name: spec.output, shape: ['batch', headDimension(spec, shapeOf)] })),
        ...maps.map((layer) => {
          const { channels, height, width } = shapeOf(layer);
          return { name: layer, shape: ['batch', channels, height, width] };
        }),
      ],
    },
  });
  return { onnx, dimension: headDimension(heads[0]!, shapeOf), layers: converted, parameters };
}

export const PREPROCESSOR_CONFIG = {
  // The keys and meaning of Hugging Face's CLIPImageProcessor, which libs/embedding reads.
  image_processor_type: 'CLIPImageProcessor',
  do_convert_rgb: true,
  do_resize: true,
  size: { shortest_edge: IMAGE_SIZE },
  resample: 2, // bilinear
  do_center_crop: true,
  crop_size: { height: IMAGE_SIZE, width: IMAGE_SIZE },
  do_rescale: true,
  rescale_factor: 1 / 255,
  // x/255 only: the frozen batch-norm statistics were computed for that input (nsfwjs feeds x/255).
  do_normalize: false,
  image_mean: [0, 0, 0],
  image_std: [1, 1, 1],
};

/**
 * A variant's name, `LAYER[+LAYER…]-POOLING` (`mixed5-gem`, `mixed4+mixed5-avg`), as a head whose
 * output is the model folder's `image_embeds`. The default, `mixed5-rmac`, is DEFAULT_HEAD itself.
 */
export function parseVariant(name: string): Head {
  const match = /^([a-z0-9+]+)-([a-z]+)$/.exec(name);
  const layers = match?.[1]!.split('+') ?? [];
  const pooling = match?.[2] as Pooling | undefined;
  if (!match || !POOLINGS.includes(pooling!) || layers.some((layer) => !VARIANT_LAYERS.includes(layer))) {
    throw new Error(
      `variant "${name}": expected LAYER[+LAYER…]-POOLING with layers among ${VARIANT_LAYERS.join(', ')} and pooling among ${POOLINGS.join(', ')}`,
    );
  }
  if (layers.length === 1 && layers[0] === DEFAULT_HEAD.layers[0] && pooling === DEFAULT_HEAD.pooling) {
    return DEFAULT_HEAD;
  }
  return { output: DEFAULT_HEAD.output, layers, pooling: pooling! };
}

/** The frozen blocks a variant may pool (mixed6 and mixed7 come after the frozen part: fine-tuned by nsfwjs). */
export const VARIANT_LAYERS = ['mixed0', 'mixed1', 'mixed2', 'mixed3', 'mixed4', 'mixed5', 'mixed6', 'mixed7'];

export function variantName(head: Head): string {
  return `${head.layers.join('+')}-${head.pooling}`;
}

/** Folder (and model id) suffix: none for the default. */
function variantSuffix(head: Head): string {
  return head === DEFAULT_HEAD ? '' : `-${variantName(head)}`;
}

export function modelConfig(head: Head = DEFAULT_HEAD, dimension = EMBEDDING_DIM): Record<string, unknown> {
  const isDefault = head === DEFAULT_HEAD;
  return {
    _name_or_path: `defect-rag/inception-v3-imagenet${variantSuffix(head)}`,
    architectures: ['InceptionV3'],
    model_type: 'inception_v3',
    projection_dim: dimension,
    vision_config: { image_size: IMAGE_SIZE },
    defect_rag: {
      random_weights: false,
      towers: ['image'],
      source: isDefault
        ? `nsfwjs@${NSFWJS_VERSION} inception_v3, layers through ${OUTPUT_LAYER} (frozen ImageNet weights), R-MAC pooled`
        : `nsfwjs@${NSFWJS_VERSION} inception_v3, ${head.layers.join(' + ')} pooled by ${head.pooling}`,
      generator: isDefault ? GENERATOR_COMMAND : `${GENERATOR_COMMAND} --variant ${variantName(head)}`,
      ...(!isDefault && { variant: variantName(head) }),
      ...conversionStamp(),
    },
  };
}

/** The default folder of a variant under the models folder. */
export function variantFolderName(head: Head): string {
  return `inception-v3-imagenet${variantSuffix(head)}`;
}

export interface ConvertResult extends ConvertedGraph {
  outDir: string;
  onnxBytes: number;
}

/**
 * Writes the model folder: onnx/vision_model.onnx, preprocessor_config.json, config.json. It is
 * built beside `outDir` and renamed into place, so an interrupted run never leaves a folder
 * whose stamp says it is complete.
 */
export function convertToFolder(outDir: string, head: Head = DEFAULT_HEAD): ConvertResult {
  const graph = buildOnnx(undefined, [head]);
  const staging = `${outDir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(path.join(staging, 'onnx'), { recursive: true });
  try {
    writeFileSync(path.join(staging, 'onnx', 'vision_model.onnx'), graph.onnx);
    writeFileSync(path.join(staging, 'preprocessor_config.json'), `${JSON.stringify(PREPROCESSOR_CONFIG, null, 2)}\n`);
    writeFileSync(
      path.join(staging, 'config.json'),
      `${JSON.stringify(modelConfig(head, graph.dimension), null, 2)}\n`,
    );
    rmSync(outDir, { recursive: true, force: true });
    renameSync(staging, outDir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  return { ...graph, outDir, onnxBytes: graph.onnx.byteLength };
}

/** True when `outDir` holds a complete folder made from the same inputs by this converter version. */
export function isUpToDate(outDir: string, head: Head = DEFAULT_HEAD): boolean {
  try {
    const config = JSON.parse(readFileSync(path.join(outDir, 'config.json'), 'utf8')) as {
      defect_rag?: { source_sha256?: unknown; converter_version?: unknown; variant?: unknown };
    };
    const stamp = conversionStamp();
    return (
      config.defect_rag?.variant === (head === DEFAULT_HEAD ? undefined : variantName(head)) &&
      config.defect_rag?.source_sha256 === stamp.source_sha256 &&
      config.defect_rag?.converter_version === stamp.converter_version &&
      existsSync(path.join(outDir, 'onnx', 'vision_model.onnx')) &&
      existsSync(path.join(outDir, 'preprocessor_config.json'))
    );
  } catch {
    return false;
  }
}
