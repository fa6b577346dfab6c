import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { DefectRagError } from '@defect-rag/runtime';
import { dominantClass, rawLabelClassifier, type DefectClassifier } from './classify';
import type { Dataset } from './model';
import { stratifiedSample } from './random';

export const SPLIT_FILE = 'split.json';

export const splitNameSchema = z.enum(['train', 'test']);
export type SplitName = z.infer<typeof splitNameSchema>;

/** `split.json`: which images are test images, and why (their stratum). */
export const splitFileSchema = z.object({
  dataset: z.string(),
  seed: z.number().int(),
  test_fraction: z.number().gt(0).lt(1),
  counts: z.object({ images: z.number().int(), train: z.number().int(), test: z.number().int() }),
  strata: z.array(z.object({ stratum: z.string(), train: z.number().int(), test: z.number().int() })),
  images: z.array(z.object({ image: z.string(), image_id: z.string(), split: splitNameSchema, stratum: z.string() })),
});
export type SplitFile = z.infer<typeof splitFileSchema>;

export interface SplitOptions {
  /** Share of the images that go to test; default 0.2 (the original 80/20). */
  testFraction?: number;
  seed?: number;
  /** Names the dominant damage type and zone used as strata; raw labels without it. */
  classifier?: DefectClassifier;
}

/**
 * Image-level split (crops of one image never straddle train and test), stratified by
 * damaged/clean, dominant damage type and zone. The same dataset, fraction and seed always give the
 * same split.
 */
export function splitDataset(
  dataset: Dataset,
  { testFraction = 0.2, seed = 42, classifier = rawLabelClassifier }: SplitOptions = {},
): SplitFile {
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new DefectRagError('BAD_INPUT', `test fraction must be between 0 and 1 (exclusive), got ${testFraction}`);
  }
  if (!Number.isInteger(seed)) throw new DefectRagError('BAD_INPUT', `seed must be an integer, got ${seed}`);
  const strata = dataset.images.map((image) => {
    const { damageType, zone } = dominantClass(image, classifier);
    return { image, stratum: image.damaged ? `damaged/${damageType ?? 'none'}/${zone}` : `clean/${zone}` };
  });
  const testCount = Math.round(strata.length * testFraction);
  const test = new Set(stratifiedSample(strata, (entry) => entry.stratum, testCount, `split:${seed}`));
  const images = strata.map((entry) => ({
    image: entry.image.path,
    image_id: entry.image.id,
    split: test.has(entry) ? ('test' as const) : ('train' as const),
    stratum: entry.stratum,
  }));
  const byStratum = new Map<string, { stratum: string; train: number; test: number }>();
  for (const { stratum, split } of images) {
    const counts = byStratum.get(stratum) ?? { stratum, train: 0, test: 0 };
    counts[split]++;
    byStratum.set(stratum, counts);
  }
  return {
    dataset: dataset.name,
    seed,
    test_fraction: testFraction,
    counts: { images: images.length, train: images.length - test.size, test: test.size },
    strata: [...byStratum.values()].sort((a, b) => a.stratum.localeCompare(b.stratum)),
    images,
  };
}

/** Reads and validates a `split.json`. */
export async function readSplitFile(file: string): Promise<SplitFile> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new DefectRagError(
      'SPLIT_INVALID',
      `cannot read split file ${file}: ${(error as Error).message}`,
      { file },
      { cause: error },
    );
  }
  const parsed = splitFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new DefectRagError('SPLIT_INVALID', `${file} is not a split file: ${z.prettifyError(parsed.error)}`, {
      file,
    });
  }
  return parsed.data;
}

/**
 * `sha256:<hex>` of which image is in which split (paths and split names, sorted), not of the
 * file's bytes: an adapted model records it, and an evaluation compares it with its own split to
 * say whether the model was trained on photos it is scored on.
 */
export function splitHash(split: SplitFile): string {
  const lines = split.images.map((entry) => `${entry.image}\t${entry.split}`).sort();
  return `sha256:${createHash('sha256').update(lines.join('\n')).digest('hex')}`;
}
