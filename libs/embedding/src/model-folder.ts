import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DefectRagError, TOWERS, type Tower, type VectorKind } from '@defect-rag/runtime';
import { adapterConfigSchema, readImageAdapter, type ImageAdapter } from './adapter';
import type { VectorSpace } from './fusion';
import { preprocessorConfigSchema, toPreprocessConfig, type PreprocessConfig } from './preprocess';

export type Precision = 'fp32' | 'int8';

/** The dimension of each kind of vector a model gives (image alone for an image-only model). */
export type VectorDimensions = { readonly image: number } & Readonly<
  Partial<Record<Exclude<VectorKind, 'image'>, number>>
>;

/**
 * Where the ONNX graphs are. `split`: the Hugging Face / transformers.js layout, one graph per
 * tower. `combined`: the single CLIPModel graph that the model's own repository publishes (often
 * with its weights in an external `model.onnx_data`), used for both towers.
 */
export type OnnxLayout = { kind: 'split'; vision: string; text: string | null } | { kind: 'combined'; model: string };

/** Everything the embedder needs from a model folder, read and checked once. */
export interface ModelFolder {
  dir: string;
  modelId: string;
  /** Whether the image and text vectors share one space (CLIP) or come from an encoder pair. */
  space: VectorSpace;
  /** Equal for every kind in a shared space; a pair's fused vectors are its image and text ones end to end. */
  dimensions: VectorDimensions;
  maxTextLength: number;
  /** True for the project's generated test models: their vectors carry no meaning. */
  randomWeights: boolean;
  preprocess: PreprocessConfig;
  /**
   * The towers the folder holds. CLIP-family folders have both, in one space; an image-only folder
   * (`"defect_rag": { "towers": ["image"] }` in config.json, e.g. the ImageNet InceptionV3 that npm ci
   * converts) has no text graph and no tokenizer, so only image vectors exist for it.
   */
  towers: readonly Tower[];
  /** Null for an image-only folder. */
  tokenizer: { json: object; config: Record<string, unknown> } | null;
  layout: OnnxLayout;
  /**
   * A learned projection of the image vectors (`defect-rag adapt`), applied after the graph; the
   * graph's own output then has `adapter.inputDim` values and `dimensions.image` is the projection's.
   */
  adapter: ImageAdapter | null;
  /** Relative paths of every file that determines the vectors, for the content hash. */
  contentFiles: string[];
}

// Hugging Face writes only the values that differ from CLIPConfig's defaults, so the defaults
// below are the ones transformers itself would apply.
const configSchema = z
  .object({
    _name_or_path: z.string().optional(),
    projection_dim: z.number().int().positive().default(512),
    text_config: z
      .object({ max_position_embeddings: z.number().int().positive().default(77) })
      .loose()
      .default({ max_position_embeddings: 77 }),
    vision_config: z
      .object({ image_size: z.number().int().positive().default(224) })
      .loose()
      .default({ image_size: 224 }),
    defect_rag: z
      .object({
        random_weights: z.boolean().default(false),
        towers: z
          .array(z.enum(TOWERS))
          .refine((towers) => towers.includes('image'), 'must include "image"')
          .optional(),
        space: z.enum(['shared', 'separate']).default('shared'),
        image_dim: z.number().int().positive().optional(),
        text_dim: z.number().int().positive().optional(),
        adapter: adapterConfigSchema.optional(),
      })
      .loose()
      .optional(),
  })
  .loose();

export function readModelFolder(dir: string, precision: Precision): ModelFolder {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new DefectRagError('MODEL_NOT_FOUND', `Model folder ${dir} does not exist.`, { dir });
  }
  const config = parseJsonFile(dir, 'config.json', configSchema);
  const preprocess = toPreprocessConfig(
    parseJsonFile(dir, 'preprocessor_config.json', preprocessorConfigSchema),
    (message) => invalid(dir, `preprocessor_config.json: ${message}`),
  );
  if (
    preprocess.cropHeight !== config.vision_config.image_size ||
    preprocess.cropWidth !== config.vision_config.image_size
  ) {
    throw invalid(
      dir,
      `preprocessor_config.json crops ${preprocess.cropWidth}×${preprocess.cropHeight} but config.json ` +
        `vision_config.image_size is ${config.vision_config.image_size}`,
    );
  }
  const towers: readonly Tower[] = config.defect_rag?.towers ? [...new Set(config.defect_rag.towers)] : TOWERS;
  const hasText = towers.includes('text');
  const space = config.defect_rag?.space ?? 'shared';
  const dimensions = vectorDimensions(dir, config, towers, space);
  const tokenizerFiles = hasText
    ? ['tokenizer.json', ...(existsSync(path.join(dir, 'tokenizer_config.json')) ? ['tokenizer_config.json'] : [])]
    : [];
  const tokenizer = hasText
    ? {
        json: readJsonFile(dir, 'tokenizer.json'),
        config: tokenizerFiles.includes('tokenizer_config.json') ? readJsonFile(dir, 'tokenizer_config.json') : {},
      }
    : null;
  const layout = findOnnxLayout(dir, precision, hasText, space);
  const adapterConfig = config.defect_rag?.adapter;
  // A projection learned on image vectors alone would leave a text tower in another space.
  if (adapterConfig && hasText)
    throw invalid(dir, 'config.json: defect_rag.adapter needs an image-only model ("towers": ["image"]).');
  const adapter = adapterConfig
    ? readImageAdapter(dir, adapterConfig, dimensions.image, (message) => invalid(dir, message))
    : null;
  const onnxFiles = layout.kind === 'split' ? [layout.vision, ...(layout.text ? [layout.text] : [])] : [layout.model];

  return {
    dir,
    modelId: config._name_or_path || path.basename(path.resolve(dir)),
    space,
    dimensions,
    maxTextLength: config.text_config.max_position_embeddings,
    randomWeights: config.defect_rag?.random_weights ?? false,
    preprocess,
    towers,
    tokenizer,
    layout,
    adapter,
    contentFiles: [
      'config.json',
      'preprocessor_config.json',
      ...tokenizerFiles,
      ...onnxFiles.flatMap((file) => [file, ...externalDataFiles(dir, file)]),
      ...(adapter ? [adapter.file] : []),
    ],
  };
}

/**
 * A shared space has one dimension, `projection_dim`. An encoder pair (`defect_rag.space:
 * "separate"`) declares each tower's own, `image_dim` and `text_dim`; its fused vectors have both.
 */
function vectorDimensions(
  dir: string,
  config: z.infer<typeof configSchema>,
  towers: readonly Tower[],
  space: VectorSpace,
): VectorDimensions {
  const { image_dim: imageDim, text_dim: textDim } = config.defect_rag ?? {};
  if (space === 'shared') {
    if (imageDim !== undefined || textDim !== undefined) {
      throw invalid(
        dir,
        'config.json: defect_rag.image_dim and text_dim only apply to "space": "separate" (an encoder pair); ' +
          'a shared-space model has one dimension, projection_dim.',
      );
    }
    const dimension = config.projection_dim;
    return towers.includes('text') ? { image: dimension, text: dimension, fused: dimension } : { image: dimension };
  }
  if (!towers.includes('text')) {
    throw invalid(
      dir,
      'config.json: defect_rag.space "separate" pairs an image and a text tower, but towers has no "text".',
    );
  }
  if (imageDim === undefined || textDim === undefined) {
    throw invalid(
      dir,
      `config.json: an encoder pair ("space": "separate") needs defect_rag.image_dim and text_dim (its towers' dimensions); ` +
        `got ${imageDim ?? 'no image_dim'} and ${textDim ?? 'no text_dim'}.`,
    );
  }
  return { image: imageDim, text: textDim, fused: imageDim + textDim };
}

function findOnnxLayout(dir: string, precision: Precision, hasText: boolean, space: VectorSpace): OnnxLayout {
  const suffix = precision === 'int8' ? '_quantized' : '';
  const file = (stem: string) => `onnx/${stem}${suffix}.onnx`;
  const has = (relative: string) => existsSync(path.join(dir, relative));
  if (!hasText) {
    if (has(file('vision_model'))) return { kind: 'split', vision: file('vision_model'), text: null };
    throw invalid(dir, `config.json declares an image-only model but ${file('vision_model')} is missing.`);
  }
  if (has(file('vision_model')) && has(file('text_model'))) {
    return { kind: 'split', vision: file('vision_model'), text: file('text_model') };
  }
  // A pair's towers come from two models, so there is no graph holding both.
  if (space === 'shared' && has(file('model'))) return { kind: 'combined', model: file('model') };

  const towers = [file('vision_model'), file('text_model')];
  const present = towers.find(has);
  const found = present ? ` It has ${present} but not ${towers.find((tower) => tower !== present)}.` : '';
  const int8Hint =
    precision === 'int8' && (has('onnx/vision_model.onnx') || has('onnx/model.onnx'))
      ? ' The fp32 graphs are there: drop the int8 option or export the quantized ones (tools/export-metaclip).'
      : '';
  throw invalid(
    dir,
    `no ${precision} ONNX graphs: expected ${file('vision_model')} + ${file('text_model')} (split layout)` +
      `${space === 'shared' ? ` or ${file('model')} (combined layout)` : ', one per tower of the pair'}.${found}${int8Hint}`,
  );
}

/** Weights stored beside a graph, as `model.onnx_data` or `model.onnx.data`. */
function externalDataFiles(dir: string, onnxFile: string): string[] {
  return [`${onnxFile}_data`, `${onnxFile}.data`].filter((candidate) => existsSync(path.join(dir, candidate)));
}

function readJsonFile(dir: string, name: string): Record<string, unknown> {
  const file = path.join(dir, name);
  if (!existsSync(file)) throw invalid(dir, `${name} is missing.`);
  try {
    const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object');
    return value as Record<string, unknown>;
  } catch (error) {
    throw invalid(dir, `${name} is not valid JSON: ${(error as Error).message}`);
  }
}

function parseJsonFile<T extends z.ZodType>(dir: string, name: string, schema: T): z.infer<T> {
  const parsed = schema.safeParse(readJsonFile(dir, name));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw invalid(dir, `${name}: ${issue.path.join('.') || '(root)'} ${issue.message}`);
  }
  return parsed.data;
}

export function invalid(dir: string, message: string): DefectRagError {
  return new DefectRagError('MODEL_INVALID', `Model folder ${dir}: ${message}`, { dir });
}
