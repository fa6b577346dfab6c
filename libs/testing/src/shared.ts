import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sharedDir, workspaceRoot } from '@defect-rag/runtime';

/**
 * Test data lives in `../shared` beside the checkout and is never copied into the repository.
 * Returns the absolute path of `relative` inside it, or null (with a message saying why the tests
 * that need it are skipped). Under CI=true a missing folder is a failure, since CI always has it.
 */
export function sharedPathOrSkip(relative: string): string | null {
  const root = sharedDir();
  const full = root && path.join(root, relative);
  if (full && existsSync(full)) return full;
  const reason = `../shared/${relative} is absent`;
  if (process.env.CI === 'true') throw new Error(`${reason}: CI must run with ../shared beside the checkout`);
  console.warn(`[skip] ${reason}; tests that need it are skipped.`);
  return null;
}

export function sampleDatasetOrSkip(): string | null {
  return sharedPathOrSkip('datasets/vehicle-damage-sample');
}

/**
 * A copy of some images of the shared sample (with their annotations and polygons) in a temporary
 * folder, so a test can change it. Stays outside the repository.
 */
export function copySampleSubset(sampleDir: string, stems: readonly string[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'defect-rag-subset-'));
  mkdirSync(path.join(dir, 'images'));
  mkdirSync(path.join(dir, 'annotations'));
  const polygons = JSON.parse(readFileSync(path.join(sampleDir, 'poligonos.json'), 'utf8')) as Record<string, unknown>;
  const subset: Record<string, unknown> = {};
  for (const stem of stems) {
    cpSync(path.join(sampleDir, 'images', `${stem}.jpg`), path.join(dir, 'images', `${stem}.jpg`));
    const annotation = path.join(sampleDir, 'annotations', `${stem}_labelDANO_modificado.json`);
    if (existsSync(annotation)) cpSync(annotation, path.join(dir, 'annotations', path.basename(annotation)));
    subset[`${stem}.jpg`] = polygons[`${stem}.jpg`];
  }
  writeFileSync(path.join(dir, 'poligonos.json'), JSON.stringify(subset));
  return dir;
}

/**
 * The real ImageNet image model (`models/inception-v3-imagenet`), which `npm ci` converts from the
 * nsfwjs package; null with a message when it has not been made. Under CI=true that is a failure.
 */
export function imageNetModelOrSkip(): string | null {
  const dir = path.join(workspaceRoot, 'models', 'inception-v3-imagenet');
  if (existsSync(path.join(dir, 'onnx', 'vision_model.onnx'))) return dir;
  const reason = `${dir} is absent (npm ci makes it: npx tsx tools/inception-v3/main.ts)`;
  if (process.env.CI === 'true') throw new Error(`${reason}: CI installs with npm ci`);
  console.warn(`[skip] ${reason}; tests that need it are skipped.`);
  return null;
}

/** The id of `imageOnlyTestModel()`'s folder. */
export const IMAGE_ONLY_TEST_MODEL_ID = 'defect-rag/tiny-clip-image-only';

/**
 * The tiny test model's image tower alone, under its own id, in a temporary folder: an image-only
 * model folder (no text graph, no tokenizer) that loads in milliseconds.
 */
export function imageOnlyTestModel(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'image-only-model-'));
  cpSync(path.join(workspaceRoot, 'models', 'tiny-clip'), dir, { recursive: true });
  const configFile = path.join(dir, 'config.json');
  const config = JSON.parse(readFileSync(configFile, 'utf8')) as { defect_rag?: object } & Record<string, unknown>;
  config._name_or_path = IMAGE_ONLY_TEST_MODEL_ID;
  config.defect_rag = { ...config.defect_rag, towers: ['image'] };
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  for (const file of [
    'tokenizer.json',
    'tokenizer_config.json',
    'onnx/text_model.onnx',
    'onnx/text_model_quantized.onnx',
  ])
    rmSync(path.join(dir, file));
  return dir;
}

/** The id of `pairTestModel()`'s folder. */
export const PAIR_TEST_MODEL_ID = 'defect-rag/inception-v3-tiny-text-pair';

/**
 * An encoder pair (`"space": "separate"`) in a temporary folder: the real ImageNet image tower
 * (768-d, linked, not copied) beside the tiny test model's random-weight text tower and tokenizer
 * (64-d), so its image vectors mean something, its text vectors do not, and the two spaces differ
 * in dimension as a DINOv2 + sentence-encoder pair's do. Null with a message when npm ci has not
 * made the image model (a failure under CI=true).
 */
export function pairTestModel(): string | null {
  const imageModel = imageNetModelOrSkip();
  if (!imageModel) return null;
  const textModel = path.join(workspaceRoot, 'models', 'tiny-clip');
  const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const imageConfig = readJson(path.join(imageModel, 'config.json'));
  const textConfig = readJson(path.join(textModel, 'config.json'));
  const dir = mkdtempSync(path.join(tmpdir(), 'pair-model-'));
  mkdirSync(path.join(dir, 'onnx'));
  symlinkSync(path.join(imageModel, 'onnx', 'vision_model.onnx'), path.join(dir, 'onnx', 'vision_model.onnx'));
  cpSync(path.join(textModel, 'onnx', 'text_model.onnx'), path.join(dir, 'onnx', 'text_model.onnx'));
  for (const file of ['tokenizer.json', 'tokenizer_config.json'])
    cpSync(path.join(textModel, file), path.join(dir, file));
  cpSync(path.join(imageModel, 'preprocessor_config.json'), path.join(dir, 'preprocessor_config.json'));
  const config = {
    _name_or_path: PAIR_TEST_MODEL_ID,
    vision_config: imageConfig.vision_config,
    text_config: textConfig.text_config,
    defect_rag: {
      random_weights: true,
      note: 'Real ImageNet image tower, random-weight text tower: the text and fused vectors mean nothing.',
      towers: ['image', 'text'],
      space: 'separate',
      image_dim: imageConfig.projection_dim,
      text_dim: textConfig.projection_dim,
    },
  };
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
  return dir;
}
