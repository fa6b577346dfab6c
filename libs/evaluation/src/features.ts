import { mapConcurrent } from '@defect-rag/dataset';
import sharp from 'sharp';

/** Where a crop's pixels and its source photo are. */
export interface FeatureSource {
  cropFile: string;
  sourceFile: string;
}

/** Bins per channel of the colour histogram (4³ = 64 bins). */
const BINS = 4;
/** A pixel counts as black (masked background, fill) when every channel is below this. */
const BLACK_BELOW = 8;
/** Crops are shrunk to this side before counting: colours, not detail, are what is measured. */
const SIDE = 64;

/**
 * The trivial-features baseline: what a retriever that knows nothing about damage or vehicles can
 * see (colour histogram, share of black pixels, the source photo's width and height). Each feature
 * is standardised over the given crops, and each of the three groups weighs the same, so a
 * difference between sources (masked dealer photos vs square close-ups) shows as strongly as it
 * really is. Returns one unit vector per source, in order.
 */
export async function trivialFeatures(sources: readonly FeatureSource[]): Promise<Float32Array[]> {
  const photoSizes = new Map<string, Promise<[number, number]>>();
  const sizeOf = (file: string) => {
    let size = photoSizes.get(file);
    if (!size) {
      size = sharp(file)
        .metadata()
        .then(({ width = 0, height = 0, orientation = 1 }) => (orientation >= 5 ? [height, width] : [width, height]));
      photoSizes.set(file, size);
    }
    return size;
  };
  const raw = await mapConcurrent(sources, 4, async ({ cropFile, sourceFile }) => {
    const { data } = await sharp(cropFile).removeAlpha().resize(SIDE, SIDE, { fit: 'fill' }).raw().toBuffer({
      resolveWithObject: true,
    });
    const histogram = new Float64Array(BINS ** 3);
    let black = 0;
    for (let p = 0; p < data.length; p += 3) {
      const [r, g, b] = [data[p]!, data[p + 1]!, data[p + 2]!];
      if (r < BLACK_BELOW && g < BLACK_BELOW && b < BLACK_BELOW) black++;
      const bin = ((r * BINS) >> 8) * BINS * BINS + ((g * BINS) >> 8) * BINS + ((b * BINS) >> 8);
      histogram[bin]!++;
    }
    const pixels = data.length / 3;
    const [width, height] = await sizeOf(sourceFile);
    return { histogram: histogram.map((count) => count / pixels), black: black / pixels, size: [width, height] };
  });
  const groups = [
    raw.map((features) => Array.from(features.histogram)),
    raw.map((features) => [features.black]),
    raw.map((features) => features.size),
  ];
  const standardised = groups.map(standardise);
  return raw.map((_, i) => {
    const vector = Float32Array.from(standardised.flatMap((group) => group[i]!));
    const norm = Math.hypot(...vector);
    return norm > 0 ? vector.map((value) => value / norm) : vector;
  });
}

/** z-scores per column, then scaled by 1/√columns so that every group has the same total variance. */
function standardise(rows: number[][]): number[][] {
  const columns = rows[0]?.length ?? 0;
  const weight = 1 / Math.sqrt(columns);
  const stats = Array.from({ length: columns }, (_, c) => {
    const values = rows.map((row) => row[c]!);
    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    const deviation = Math.sqrt(values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length);
    return { mean, deviation };
  });
  return rows.map((row) =>
    row.map((value, c) => {
      const { mean, deviation } = stats[c]!;
      return deviation > 0 ? ((value - mean) / deviation) * weight : 0;
    }),
  );
}
