/**
 * The preprocessing preprocessor_config.json describes, written out once for the goldens script
 * and the test, so that both feed the two implementations (TensorFlow.js and the ONNX graph) the
 * very same pixels: decode, RGB, resize with the bilinear kernel so the shortest edge is 299
 * (the long edge truncated, as transformers does), centre crop 299×299, then x · (1/255).
 * It follows libs/embedding's preprocess.ts step for step (same sharp calls, same rounding).
 */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { IMAGE_SIZE } from './converter';

const RESCALE = 1 / 255;

/** The 299×299 RGB bytes (HWC) of one image file. */
export async function cropRgb(file: string): Promise<Uint8Array> {
  const image = sharp(await readFile(file));
  const { width = 0, height = 0 } = await image.metadata();
  if (width === 0 || height === 0) throw new Error(`${file}: no image size`);
  const resized =
    width <= height
      ? { width: IMAGE_SIZE, height: Math.floor((IMAGE_SIZE * height) / width) }
      : { width: Math.floor((IMAGE_SIZE * width) / height), height: IMAGE_SIZE };
  const { data } = await image
    .removeAlpha()
    .toColourspace('srgb')
    // fastShrinkOnLoad would let libjpeg shrink while decoding, which changes the pixels.
    .resize(resized.width, resized.height, { fit: 'fill', kernel: 'linear', fastShrinkOnLoad: false })
    .extract({
      left: Math.floor((resized.width - IMAGE_SIZE) / 2),
      top: Math.floor((resized.height - IMAGE_SIZE) / 2),
      width: IMAGE_SIZE,
      height: IMAGE_SIZE,
    })
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (data.length !== IMAGE_SIZE * IMAGE_SIZE * 3) throw new Error(`${file}: expected ${IMAGE_SIZE}² RGB pixels`);
  return data;
}

/** `pixel_values` for the ONNX graph: float32 [n, 3, 299, 299]. */
export function toNchw(images: readonly Uint8Array[]): Float32Array {
  const plane = IMAGE_SIZE * IMAGE_SIZE;
  const out = new Float32Array(images.length * 3 * plane);
  images.forEach((rgb, n) => {
    for (let c = 0; c < 3; c++) {
      const base = (n * 3 + c) * plane;
      for (let p = 0; p < plane; p++) out[base + p] = rgb[p * 3 + c]! * RESCALE;
    }
  });
  return out;
}

/** The Keras model's input: float32 [n, 299, 299, 3]. */
export function toNhwc(images: readonly Uint8Array[]): Float32Array {
  const size = IMAGE_SIZE * IMAGE_SIZE * 3;
  const out = new Float32Array(images.length * size);
  images.forEach((rgb, n) => {
    for (let i = 0; i < size; i++) out[n * size + i] = rgb[i]! * RESCALE;
  });
  return out;
}
