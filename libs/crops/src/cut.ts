import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { pixelRegion, unionBox, type Box, type DatasetImage } from '@defect-rag/dataset';
import type { Problem } from '@defect-rag/runtime';
import type { CropConfig } from './config';
import type { CropRecord } from './metadata';

export interface CutOptions {
  /** The dataset root that image paths are relative to. */
  root: string;
  /** The output folder; crop files go to the `file` path of each record, inside it. */
  outDir: string;
  config: CropConfig;
}

const CHANNELS = 3;

/**
 * Writes the planned crops of one image. The image is decoded once, oriented by its EXIF tag like
 * the annotations, flattened on black and converted to 8-bit sRGB; every crop is copied out of that
 * buffer, so the cost per extra crop is one small encode. Only the band of the image that holds
 * the crops is kept, and with sequential reading the decoder stops after the band's last row.
 * An image that cannot be decoded gives a problem and no crops.
 */
export async function cutCrops(
  image: DatasetImage,
  crops: readonly CropRecord[],
  { root, outDir, config }: CutOptions,
): Promise<{ crops: CropRecord[]; problems: Problem[] }> {
  if (crops.length === 0) return { crops: [], problems: [] };
  const band = unionBox(crops.map((crop) => crop.box));
  let decoded: { data: Buffer; info: sharp.OutputInfo };
  try {
    decoded = await sharp(path.join(root, image.path), {
      // The reader checked the header; this only guards against the file changing since.
      limitInputPixels: image.width * image.height,
      failOn: 'error',
    })
      .autoOrient()
      .extract({ left: band.x, top: band.y, width: band.width, height: band.height })
      .flatten({ background: '#000000' })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    return { crops: [], problems: [decodeProblem(image, `cannot decode: ${(error as Error).message}`)] };
  }
  const { data, info } = decoded;
  if (info.width !== band.width || info.height !== band.height || data.length !== band.width * band.height * CHANNELS) {
    return {
      crops: [],
      problems: [
        decodeProblem(
          image,
          `decoded ${info.width}×${info.height}×${info.channels} where ${band.width}×${band.height}×3 was expected; did the file change since it was read?`,
        ),
      ],
    };
  }
  await mkdir(path.join(outDir, 'crops'), { recursive: true });
  await Promise.all(
    crops.map((crop) => {
      const encoder = sharp(cropPixels(data, band, image, crop, config), {
        raw: { width: crop.width, height: crop.height, channels: CHANNELS },
      });
      // Huffman table optimisation is lossless but doubles the encode time of a crop.
      const encoded =
        config.format === 'png' ? encoder.png() : encoder.jpeg({ quality: config.jpegQuality, optimizeCoding: false });
      return encoded.toFile(path.join(outDir, crop.file));
    }),
  );
  return { crops: [...crops], problems: [] };
}

/** The crop's pixels: its source box copied at the fill offset, background blacked out for clean grid crops. */
function cropPixels(band: Buffer, bandBox: Box, image: DatasetImage, crop: CropRecord, config: CropConfig): Buffer {
  const { box } = crop;
  const pixels = Buffer.alloc(crop.width * crop.height * CHANNELS);
  const left = crop.fill?.left ?? 0;
  const top = crop.fill?.top ?? 0;
  const masked = crop.strategy === 'grid' && image.labelled && config.maskBackground && image.vehicle.length > 0;
  const runs = masked ? pixelRegion(image.vehicle, box).rows : null;
  for (let row = 0; row < box.height; row++) {
    const from = ((box.y - bandBox.y + row) * bandBox.width + (box.x - bandBox.x)) * CHANNELS;
    const to = ((top + row) * crop.width + left) * CHANNELS;
    const rowRuns = runs ? runs[row]! : [0, box.width];
    for (let k = 0; k < rowRuns.length; k += 2) {
      band.copy(pixels, to + rowRuns[k]! * CHANNELS, from + rowRuns[k]! * CHANNELS, from + rowRuns[k + 1]! * CHANNELS);
    }
  }
  return pixels;
}

function decodeProblem(image: DatasetImage, message: string): Problem {
  return { item: image.path, stage: 'crops', code: 'IMAGE_DECODE_FAILED', message };
}
