/**
 * Generates a random-weight CLIP model folder in the split Hugging Face / transformers.js layout
 * that libs/embedding loads: config.json, preprocessor_config.json, tokenizer.json,
 * tokenizer_config.json and onnx/{vision,text}_model[_quantized].onnx. The JSON files and the
 * tokenizer are written here; the ONNX graphs by build_onnx.py under Debian's python3-onnx.
 * Seeded: the same size and seed give byte-identical files.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDomainTokenizer } from './domain-tokenizer';

/** The Python that has Debian's python3-onnx (not a pyenv or venv python earlier on PATH). */
export const SYSTEM_PYTHON = '/usr/bin/python3';
const CONTEXT_LENGTH = 77;

interface TowerSize {
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
}

export const MODEL_SIZES = {
  /** Committed as models/tiny-clip: about 1 MB, fast enough for every test. */
  tiny: {
    id: 'defect-rag/tiny-clip',
    projectionDim: 64,
    patchSize: 14,
    vision: { hidden_size: 64, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 128 },
    text: { hidden_size: 64, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 128 },
  },
  /** OpenAI CLIP ViT-B/32's shapes, for benchmarks (about 0.5 GB; never committed). */
  'vit-b-32': {
    id: 'defect-rag/random-vit-b-32',
    projectionDim: 512,
    patchSize: 32,
    vision: { hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072 },
    text: { hidden_size: 512, num_hidden_layers: 12, num_attention_heads: 8, intermediate_size: 2048 },
  },
  /**
   * MetaCLIP / OpenCLIP ViT-H/14's shapes (about 335 GFLOPs per 224-px image in the vision tower):
   * the GPU benchmark's model. About 4 GB fp32 plus 1 GB int8, the vision graphs' weights in
   * `.onnx_data` files beside them; never committed.
   */
  'vit-h-14': {
    id: 'defect-rag/random-vit-h-14',
    projectionDim: 1024,
    patchSize: 14,
    vision: { hidden_size: 1280, num_hidden_layers: 32, num_attention_heads: 16, intermediate_size: 5120 },
    text: { hidden_size: 1024, num_hidden_layers: 24, num_attention_heads: 16, intermediate_size: 4096 },
  },
} satisfies Record<
  string,
  { id: string; projectionDim: number; patchSize: number; vision: TowerSize; text: TowerSize }
>;

export type ModelSize = keyof typeof MODEL_SIZES;

const OPENAI_CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073];
const OPENAI_CLIP_STD = [0.26862954, 0.26130258, 0.27577711];

/** Throws with the install command when /usr/bin/python3 cannot import onnx and numpy. */
export function assertPythonOnnx(): void {
  const probe = spawnSync(SYSTEM_PYTHON, ['-c', 'import onnx, numpy'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(
      `Generating a model needs Debian's python3-onnx under ${SYSTEM_PYTHON} ` +
        `(${probe.error?.message ?? probe.stderr.trim().split('\n').at(-1)}).\n` +
        `Install it with: sudo apt-get install -y python3-onnx`,
    );
  }
}

export function generateClipModel({
  outDir,
  size = 'tiny',
  seed = 0,
}: {
  outDir: string;
  size?: ModelSize;
  seed?: number;
}): void {
  assertPythonOnnx();
  const spec = MODEL_SIZES[size];
  const { tokenizer, tokenizerConfig, vocabSize } = buildDomainTokenizer(CONTEXT_LENGTH);
  const startId = vocabSize - 2;
  const endId = vocabSize - 1;

  const config = {
    _name_or_path: spec.id,
    architectures: ['CLIPModel'],
    model_type: 'clip',
    projection_dim: spec.projectionDim,
    text_config: {
      ...spec.text,
      hidden_act: 'quick_gelu',
      max_position_embeddings: CONTEXT_LENGTH,
      vocab_size: vocabSize,
      bos_token_id: startId,
      eos_token_id: endId,
      pad_token_id: endId,
    },
    vision_config: {
      ...spec.vision,
      hidden_act: 'quick_gelu',
      image_size: 224,
      patch_size: spec.patchSize,
      num_channels: 3,
    },
    defect_rag: {
      random_weights: true,
      note: 'Random weights from tools/tiny-clip: deterministic vectors for tests and the demo, no retrieval quality.',
      generator: `npx tsx tools/tiny-clip/main.ts --size ${size} --seed ${seed}`,
    },
  };
  const preprocessorConfig = {
    image_processor_type: 'CLIPImageProcessor',
    do_convert_rgb: true,
    do_resize: true,
    size: { shortest_edge: 224 },
    resample: 3,
    do_center_crop: true,
    crop_size: { height: 224, width: 224 },
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: OPENAI_CLIP_MEAN,
    image_std: OPENAI_CLIP_STD,
  };

  mkdirSync(outDir, { recursive: true });
  const write = (name: string, value: unknown) =>
    writeFileSync(path.join(outDir, name), `${JSON.stringify(value, null, 2)}\n`);
  write('config.json', config);
  write('preprocessor_config.json', preprocessorConfig);
  write('tokenizer.json', tokenizer);
  write('tokenizer_config.json', tokenizerConfig);

  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'build_onnx.py');
  execFileSync(SYSTEM_PYTHON, [script, outDir, '--seed', String(seed)], { stdio: 'inherit' });
}
