import sharp from 'sharp';
import { cropConfig, FILL_COLOR, regionWindows } from '@defect-rag/crops';
import { clipPolygon, polygonArea, type Box, type Point } from '@defect-rag/dataset';
import { DefectRagError } from '@defect-rag/runtime';

/** Uploaded query images larger than this many pixels are refused before decoding (decompression bombs). */
export const MAX_QUERY_IMAGE_PIXELS = 40_000_000;
/** A region larger than this many 336-px windows is refused: each window is one model input. */
export const MAX_REGION_WINDOWS = 64;

/** A part of an uploaded photo, in its pixels (after its EXIF orientation): exactly one of box or polygon. */
export interface QueryRegion {
  box?: Box;
  polygon?: readonly Point[];
}

const CHANNELS = 3;

/**
 * The query crops of a region of an uploaded photo, cut the way phase 1 cuts a defect
 * (`regionWindows` of @defect-rag/crops, default crop configuration): one 336-px window around a
 * region that fits, with the real photo around it as context; overlapping tiles over a larger one.
 * The photo is oriented, flattened on black and converted to sRGB like the indexed photos; a photo
 * smaller than the window is centred on black, as phase 1 fills it. Each crop comes back as PNG.
 */
export async function cutQueryRegion(image: Buffer | string, region: QueryRegion): Promise<Buffer[]> {
  const polygon = regionPolygon(region);
  const { data, info } = await decodeQueryImage(image, (photo) =>
    photo
      .autoOrient()
      .flatten({ background: '#000000' })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true }),
  );
  const { width, height } = info;
  const inside = clipPolygon(polygon, { x: 0, y: 0, width, height });
  if (inside.length < 3 || polygonArea(inside) < 1) {
    throw new DefectRagError('BAD_INPUT', `region: it lies outside the ${width}×${height} query image`);
  }
  const config = cropConfig();
  const windows = regionWindows(inside, { width, height }, config);
  if (windows.length > MAX_REGION_WINDOWS) {
    throw new DefectRagError(
      'BAD_INPUT',
      `region: it needs ${windows.length} windows of ${config.size} px; at most ${MAX_REGION_WINDOWS} are cut for one query (choose a smaller region)`,
    );
  }
  const raw = { width, height, channels: CHANNELS } as const;
  return Promise.all(
    windows.map((window) => {
      const padX = config.size - window.width;
      const padY = config.size - window.height;
      return sharp(data, { raw })
        .extract({ left: window.x, top: window.y, width: window.width, height: window.height })
        .extend({
          left: Math.floor(padX / 2),
          right: padX - Math.floor(padX / 2),
          top: Math.floor(padY / 2),
          bottom: padY - Math.floor(padY / 2),
          background: { r: FILL_COLOR[0], g: FILL_COLOR[1], b: FILL_COLOR[2] },
        })
        .png({ compressionLevel: 1 })
        .toBuffer();
    }),
  );
}

function regionPolygon({ box, polygon }: QueryRegion): Point[] {
  if ((box === undefined) === (polygon === undefined)) {
    throw new DefectRagError('BAD_INPUT', 'region: give exactly one of box or polygon');
  }
  if (box) {
    if (![box.x, box.y, box.width, box.height].every(Number.isFinite) || !(box.width > 0 && box.height > 0)) {
      throw new DefectRagError('BAD_INPUT', 'region.box: needs finite x, y and a positive width and height');
    }
    const right = box.x + box.width;
    const bottom = box.y + box.height;
    return [
      [box.x, box.y],
      [right, box.y],
      [right, bottom],
      [box.x, bottom],
    ];
  }
  if (polygon!.length < 3 || !polygon!.every(([x, y]) => Number.isFinite(x) && Number.isFinite(y))) {
    throw new DefectRagError('BAD_INPUT', 'region.polygon: needs at least 3 points with finite x and y');
  }
  return [...polygon!];
}

/**
 * Runs `decode` on the query image, refusing one with more than MAX_QUERY_IMAGE_PIXELS before it is
 * decoded. A failure is named as the query image's (IMAGE_TOO_LARGE, IMAGE_DECODE_FAILED) rather
 * than left to whoever reads it next.
 */
export async function decodeQueryImage<T>(
  image: Buffer | string,
  decode: (photo: sharp.Sharp) => Promise<T>,
): Promise<T> {
  try {
    const photo = sharp(image, { limitInputPixels: MAX_QUERY_IMAGE_PIXELS });
    const { width = 0, height = 0 } = await photo.metadata();
    if (width * height > MAX_QUERY_IMAGE_PIXELS) {
      throw new DefectRagError(
        'IMAGE_TOO_LARGE',
        `the query image has ${width}×${height} pixels; at most ${MAX_QUERY_IMAGE_PIXELS} are accepted`,
      );
    }
    return await decode(photo);
  } catch (error) {
    if (error instanceof DefectRagError) throw error;
    throw new DefectRagError(
      'IMAGE_DECODE_FAILED',
      `the query image cannot be decoded: ${(error as Error).message}`,
      {},
      { cause: error },
    );
  }
}
