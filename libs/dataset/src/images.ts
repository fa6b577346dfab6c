import { open, stat } from 'node:fs/promises';
import sharp from 'sharp';
import type { ErrorCode } from '@defect-rag/runtime';

/** sharp's own default for `limitInputPixels` (0x3FFF²): larger images are decompression-bomb suspects. */
export const DEFAULT_MAX_PIXELS = 0x3fff * 0x3fff;

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png'];

/** What the image header says, sizes in both the stored and the displayed (EXIF-rotated) frame. */
export interface ImageHeader {
  format: string;
  stored: { width: number; height: number };
  displayed: { width: number; height: number };
  orientation: number;
}

export type ProbeResult = { header: ImageHeader } | { code: ErrorCode; message: string };

/**
 * Reads an image's header without decoding its pixels, then checks the file is complete: a JPEG
 * must end with its end-of-image marker and a PNG with its IEND chunk. Only a file failing that
 * cheap test is decoded, to tell a real truncation from harmless trailing bytes.
 */
export async function probeImage(file: string, maxPixels: number): Promise<ProbeResult> {
  const { size } = await stat(file);
  if (size === 0) return { code: 'IMAGE_DECODE_FAILED', message: 'empty file' };
  let metadata: sharp.Metadata;
  try {
    metadata = await sharp(file, { limitInputPixels: false }).metadata();
  } catch (error) {
    return { code: 'IMAGE_DECODE_FAILED', message: `not a readable image: ${(error as Error).message}` };
  }
  const { width, height, format } = metadata;
  if (!width || !height) return { code: 'IMAGE_DECODE_FAILED', message: `no image size in the ${format} header` };
  if (width * height > maxPixels) {
    return {
      code: 'IMAGE_TOO_LARGE',
      message: `${width}×${height} = ${width * height} pixels is over the limit of ${maxPixels} (decompression bomb guard)`,
    };
  }
  if (!(await endsCleanly(file, size, format))) {
    try {
      await sharp(file, { limitInputPixels: maxPixels, failOn: 'error' }).raw().toBuffer();
    } catch (error) {
      return { code: 'IMAGE_DECODE_FAILED', message: `truncated or corrupt: ${(error as Error).message}` };
    }
  }
  return {
    header: {
      format,
      stored: { width, height },
      displayed: metadata.autoOrient,
      orientation: metadata.orientation ?? 1,
    },
  };
}

async function endsCleanly(file: string, size: number, format: string): Promise<boolean> {
  const tailLength = Math.min(size, 12);
  const handle = await open(file, 'r');
  try {
    const tail = Buffer.alloc(tailLength);
    await handle.read(tail, 0, tailLength, size - tailLength);
    if (format === 'jpeg') return tail.at(-2) === 0xff && tail.at(-1) === 0xd9;
    if (format === 'png') return tail.subarray(-8, -4).toString('latin1') === 'IEND';
    return true;
  } finally {
    await handle.close();
  }
}
