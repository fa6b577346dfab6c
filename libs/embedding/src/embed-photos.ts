import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { DefectRagError } from '@defect-rag/runtime';
import { embedCrops, type CropVectors } from './embed-crops';
import type { Embedder } from './embedder';
import type { FusionOptions } from './fusion';
import type { ImageInput } from './preprocess';

/**
 * How the image vector of a whole photo is made with a fixed-size image tower:
 * - `tiles`: the mean of the tower's vectors over input-sized tiles covering the photo at its
 *   source resolution (no pixel is resampled, small defects keep their pixels), at most
 *   MAX_PHOTO_TILES of them (see `photoTileSize`);
 * - `resized`: one view of the whole photo shrunk to the input size (letterboxed in black).
 */
export const PHOTO_VIEWS = ['tiles', 'resized'] as const;
export type PhotoView = (typeof PHOTO_VIEWS)[number];
/**
 * The image vector of a photo point unless an ingestion says otherwise: see "Crops or whole
 * photos?" in the README for the evaluation that chose it.
 */
export const DEFAULT_PHOTO_VIEW: PhotoView = 'tiles';

/** A photo to embed: its file (or encoded bytes), and the description its text vector is made from. */
export interface PhotoToEmbed {
  file: ImageInput;
  text: string;
}

/**
 * The image vector of a whole photo as `view` says (a unit vector): what photo points hold, and
 * what a whole photo uploaded as a photo-level query is turned into. A photo that cannot be
 * decoded rejects with IMAGE_NOT_FOUND or IMAGE_DECODE_FAILED naming its file.
 */
export async function embedPhotoImage(embedder: Embedder, photo: ImageInput, view: PhotoView): Promise<Float32Array> {
  return unitMean(await embedder.embedImages(await photoViews(photo, embedder.inputSize, view)));
}

/**
 * One vector set per photo, in order: the image vector of `embedPhotoImage`, then the text and
 * fused vectors exactly as for crops (`embedCrops`).
 */
export async function embedPhotos(
  embedder: Embedder,
  photos: readonly PhotoToEmbed[],
  fusion: FusionOptions,
  view: PhotoView,
): Promise<CropVectors[]> {
  const images: Float32Array[] = [];
  for (const photo of photos) images.push(await embedPhotoImage(embedder, photo.file, view));
  return embedCrops(
    embedder,
    photos.map((photo) => ({ image: photo.file, text: photo.text })),
    fusion,
    images,
  );
}

/**
 * The most tiles one photo is embedded as. Each tile costs a pass of the image tower, as much as a
 * crop: uncapped, the shared sample's 114 photos were 1325 tiles of 299 px (2111 of 224 px) beside
 * about 390 crops, and photo points made ingestion several times slower.
 */
export const MAX_PHOTO_TILES = 4;

/**
 * The side of the square-ish tiles a photo is cut into: the tower's input size when that covers
 * the photo in at most MAX_PHOTO_TILES tiles (source resolution), else the smallest multiple of it
 * that does (coarser tiles, which the tower's preprocessing shrinks to its input size).
 */
export function photoTileSize(
  photo: { width: number; height: number },
  input: { width: number; height: number },
): { width: number; height: number } {
  const tilesAt = (scale: number) =>
    Math.ceil(photo.width / Math.round(input.width * scale)) *
    Math.ceil(photo.height / Math.round(input.height * scale));
  // The scales at which a row or a column of tiles fewer becomes possible, smallest first.
  const scales = [1];
  for (let columns = 1; columns * input.width < photo.width; columns++)
    scales.push(photo.width / (columns * input.width));
  for (let rows = 1; rows * input.height < photo.height; rows++) scales.push(photo.height / (rows * input.height));
  const scale = scales
    .filter((candidate) => candidate >= 1)
    .sort((a, b) => a - b)
    .find((candidate) => tilesAt(candidate) <= MAX_PHOTO_TILES)!;
  return { width: Math.round(input.width * scale), height: Math.round(input.height * scale) };
}

/**
 * Tile windows of `size` covering `[0, length)`: as few as cover it, spread evenly so that they
 * overlap as little as they can and the last ends on the edge. A side shorter than the tile is one
 * window of that side (the tower's preprocessing then enlarges it).
 */
export function photoTiles(length: number, size: number): { start: number; size: number }[] {
  if (length <= size) return [{ start: 0, size: length }];
  const count = Math.ceil(length / size);
  return Array.from({ length: count }, (_, i) => ({
    start: Math.round((i * (length - size)) / (count - 1)),
    size,
  }));
}

/** The photo's views as PNG images the tower's preprocessing takes as they are. */
async function photoViews(
  file: ImageInput,
  input: { width: number; height: number },
  view: PhotoView,
): Promise<Buffer[]> {
  try {
    // Coordinates and sizes are in the displayed orientation, as the annotations are.
    // Read first: sharp reports a missing file without its ENOENT code.
    const { data, info } = await sharp(typeof file === 'string' ? await readFile(file) : file)
      .autoOrient()
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    const raw = { raw: { width: info.width, height: info.height, channels: info.channels } } as const;
    if (view === 'resized') {
      return [
        await sharp(data, raw)
          .resize(input.width, input.height, { fit: 'contain', background: { r: 0, g: 0, b: 0 } })
          .png({ compressionLevel: 0 })
          .toBuffer(),
      ];
    }
    const tile = photoTileSize(info, input);
    const tiles: Promise<Buffer>[] = [];
    for (const row of photoTiles(info.height, tile.height)) {
      for (const col of photoTiles(info.width, tile.width)) {
        tiles.push(
          sharp(data, raw)
            .extract({ left: col.start, top: row.start, width: col.size, height: row.size })
            .png({ compressionLevel: 0 })
            .toBuffer(),
        );
      }
    }
    return await Promise.all(tiles);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'IMAGE_NOT_FOUND' : 'IMAGE_DECODE_FAILED';
    const item = typeof file === 'string' ? file : 'the photo';
    throw new DefectRagError(code, `photo ${item}: ${message}`, { item }, { cause: error });
  }
}

/** The mean of unit vectors, normalised again: one vector for a photo seen in several tiles. */
function unitMean(vectors: readonly Float32Array[]): Float32Array {
  const mean = new Float32Array(vectors[0]!.length);
  for (const vector of vectors) for (let d = 0; d < mean.length; d++) mean[d]! += vector[d]!;
  const norm = Math.hypot(...mean);
  for (let d = 0; d < mean.length; d++) mean[d]! /= norm;
  return mean;
}
