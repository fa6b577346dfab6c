import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { z } from 'zod';
import { DefectRagError } from '@defect-rag/runtime';

/** An image to embed: encoded bytes (JPEG, PNG, WebP…) or a file path. */
export type ImageInput = Buffer | string;

/** The image half of `preprocessor_config.json`, resolved to what sharp needs. */
export interface PreprocessConfig {
  /** `shortest-edge`: the short side becomes `size`, the long side keeps the aspect ratio. */
  resize: { kind: 'shortest-edge'; size: number } | { kind: 'exact'; width: number; height: number };
  kernel: 'nearest' | 'linear' | 'cubic' | 'lanczos3';
  cropWidth: number;
  cropHeight: number;
  /** Per channel (R, G, B): value = pixel * multiplier + offset, i.e. (pixel * rescale - mean) / std. */
  multiplier: [number, number, number];
  offset: [number, number, number];
}

const OPENAI_CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073];
const OPENAI_CLIP_STD = [0.26862954, 0.26130258, 0.27577711];
const side = z.number().int().positive();
const rgb = z.array(z.number()).length(3);

// Defaults are CLIPImageProcessor's, which is what transformers applies to a missing key.
export const preprocessorConfigSchema = z
  .object({
    do_resize: z.boolean().default(true),
    size: z
      .union([side, z.object({ shortest_edge: side }), z.object({ height: side, width: side })])
      .default({ shortest_edge: 224 }),
    resample: z.number().int().default(3),
    do_center_crop: z.boolean().default(true),
    crop_size: z.union([side, z.object({ height: side, width: side })]).default({ height: 224, width: 224 }),
    do_rescale: z.boolean().default(true),
    rescale_factor: z
      .number()
      .positive()
      .default(1 / 255),
    do_normalize: z.boolean().default(true),
    image_mean: rgb.default(OPENAI_CLIP_MEAN),
    image_std: rgb.refine((std) => std.every((value) => value > 0), 'must be positive').default(OPENAI_CLIP_STD),
  })
  .loose();

// PIL's resampling filters by their number in preprocessor_config.json. PIL's bicubic is the
// Catmull-Rom cubic that sharp calls `cubic`.
const KERNELS: Record<number, PreprocessConfig['kernel']> = { 0: 'nearest', 1: 'lanczos3', 2: 'linear', 3: 'cubic' };

/** Turns a parsed preprocessor_config.json into a PreprocessConfig; `fail` names what is unsupported. */
export function toPreprocessConfig(
  raw: z.infer<typeof preprocessorConfigSchema>,
  fail: (message: string) => Error,
): PreprocessConfig {
  if (!raw.do_resize || !raw.do_center_crop) {
    throw fail('do_resize and do_center_crop must be true (CLIP models resize, then centre-crop)');
  }
  const kernel = KERNELS[raw.resample];
  if (!kernel) throw fail(`resample ${raw.resample} is not supported (0 nearest, 1 lanczos, 2 bilinear, 3 bicubic)`);
  const resize: PreprocessConfig['resize'] =
    typeof raw.size === 'number'
      ? { kind: 'shortest-edge', size: raw.size }
      : 'shortest_edge' in raw.size
        ? { kind: 'shortest-edge', size: raw.size.shortest_edge }
        : { kind: 'exact', width: raw.size.width, height: raw.size.height };
  const crop = typeof raw.crop_size === 'number' ? { height: raw.crop_size, width: raw.crop_size } : raw.crop_size;
  const smallest = resize.kind === 'shortest-edge' ? { width: resize.size, height: resize.size } : resize;
  if (crop.width > smallest.width || crop.height > smallest.height) {
    throw fail(
      `crop_size ${crop.width}×${crop.height} is larger than the resized image (size ${JSON.stringify(raw.size)})`,
    );
  }
  const scale = raw.do_rescale ? raw.rescale_factor : 1;
  const mean = raw.do_normalize ? raw.image_mean : [0, 0, 0];
  const std = raw.do_normalize ? raw.image_std : [1, 1, 1];
  return {
    resize,
    kernel,
    cropWidth: crop.width,
    cropHeight: crop.height,
    multiplier: [0, 1, 2].map((c) => scale / std[c]!) as [number, number, number],
    offset: [0, 1, 2].map((c) => -mean[c]! / std[c]!) as [number, number, number],
  };
}

/**
 * `pixel_values` for a batch: float32, shape [n, 3, cropHeight, cropWidth], channels first, each
 * image processed as Hugging Face's CLIPImageProcessor does (RGB, resize, centre crop, rescale,
 * normalise). Images decode concurrently on sharp's thread pool. The first bad image rejects with
 * a DefectRagError whose `details.index` is its position in `inputs` plus `firstIndex`.
 */
export async function preprocessImages(
  inputs: readonly ImageInput[],
  config: PreprocessConfig,
  firstIndex = 0,
): Promise<Float32Array> {
  const plane = config.cropWidth * config.cropHeight;
  const pixels = new Float32Array(inputs.length * 3 * plane);
  // allSettled, so that with several bad images the first one is reported, whatever decodes first.
  const results = await Promise.allSettled(
    inputs.map(async (input, i) => {
      const rgbBytes = await decodeAndCrop(input, config, firstIndex + i);
      const base = i * 3 * plane;
      for (let c = 0; c < 3; c++) {
        const multiplier = config.multiplier[c]!;
        const offset = config.offset[c]!;
        const channel = base + c * plane;
        for (let p = 0; p < plane; p++) pixels[channel + p] = rgbBytes[p * 3 + c]! * multiplier + offset;
      }
    }),
  );
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
  return pixels;
}

/** Decodes one image and returns its resized, centre-cropped RGB bytes (HWC). */
async function decodeAndCrop(input: ImageInput, config: PreprocessConfig, index: number): Promise<Buffer> {
  const item = typeof input === 'string' ? input : `image #${index}`;
  try {
    const bytes = typeof input === 'string' ? await readFile(input) : input;
    const image = sharp(bytes);
    const { width = 0, height = 0 } = await image.metadata();
    const resized = resizedSize(width, height, config);
    const { data } = await image
      .removeAlpha()
      .toColourspace('srgb')
      // fastShrinkOnLoad would let libjpeg downscale while decoding: faster, but further from PIL.
      .resize(resized.width, resized.height, { fit: 'fill', kernel: config.kernel, fastShrinkOnLoad: false })
      .extract({
        left: Math.floor((resized.width - config.cropWidth) / 2),
        top: Math.floor((resized.height - config.cropHeight) / 2),
        width: config.cropWidth,
        height: config.cropHeight,
      })
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return data;
  } catch (error) {
    throw imageError(error, item, index);
  }
}

/** transformers' get_resize_output_image_size: the long side is truncated, not rounded. */
function resizedSize(width: number, height: number, config: PreprocessConfig): { width: number; height: number } {
  if (config.resize.kind === 'exact') return { width: config.resize.width, height: config.resize.height };
  const { size } = config.resize;
  return width <= height
    ? { width: size, height: Math.floor((size * height) / width) }
    : { width: Math.floor((size * width) / height), height: size };
}

function imageError(error: unknown, item: string, index: number): DefectRagError {
  const message = error instanceof Error ? error.message : String(error);
  const code =
    (error as NodeJS.ErrnoException).code === 'ENOENT'
      ? 'IMAGE_NOT_FOUND'
      : /pixel limit/i.test(message)
        ? 'IMAGE_TOO_LARGE'
        : 'IMAGE_DECODE_FAILED';
  return new DefectRagError(code, `${item}: ${message}`, { item, index }, { cause: error });
}
