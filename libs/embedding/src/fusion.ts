import { DefectRagError } from '@defect-rag/runtime';

export type FusionStrategy = 'average' | 'weighted';

/**
 * `average`: the mean of the two unit vectors. `weighted`: `alpha · image + (1 − alpha) · text`,
 * so alpha 1 is the image vector and alpha 0 the text vector. Both are renormalised.
 */
export interface FusionOptions {
  strategy: FusionStrategy;
  /** Weight of the image vector, in [0, 1]; only for `weighted`. */
  alpha?: number;
}

/** Scales `vector` in place to unit length and returns it; false when it has no length. */
export function normalizeInPlace(vector: Float32Array): boolean {
  let sum = 0;
  for (const value of vector) sum += value * value;
  if (!(sum > 0) || !Number.isFinite(sum)) return false;
  const inverse = 1 / Math.sqrt(sum);
  for (let i = 0; i < vector.length; i++) vector[i]! *= inverse;
  return true;
}

/** The fused vector of an image vector and a text vector (any length, same dimension), unit length. */
export function fuse(image: Float32Array, text: Float32Array, { strategy, alpha }: FusionOptions): Float32Array {
  const imageWeight = fusionImageWeight({ strategy, alpha });
  if (image.length !== text.length) {
    throw new DefectRagError('BAD_INPUT', `Cannot fuse vectors of dimensions ${image.length} and ${text.length}.`);
  }
  const unitImage = Float32Array.from(image);
  const unitText = Float32Array.from(text);
  if (!normalizeInPlace(unitImage) || !normalizeInPlace(unitText)) {
    throw new DefectRagError('EMBEDDING_FAILED', 'Cannot fuse a zero or non-finite vector.');
  }
  const fused = new Float32Array(image.length);
  for (let i = 0; i < fused.length; i++) fused[i] = imageWeight * unitImage[i]! + (1 - imageWeight) * unitText[i]!;
  if (!normalizeInPlace(fused)) {
    throw new DefectRagError('EMBEDDING_FAILED', 'The image and text vectors cancel out: the fused vector is zero.');
  }
  return fused;
}

/** The image weight a fusion option stands for (0.5 for average); throws BAD_INPUT on an inconsistent option. */
export function fusionImageWeight({ strategy, alpha }: FusionOptions): number {
  if (strategy === 'average') {
    if (alpha !== undefined) throw new DefectRagError('BAD_INPUT', 'alpha only applies to the weighted fusion.');
    return 0.5;
  }
  if (strategy !== 'weighted')
    throw new DefectRagError('BAD_INPUT', `Unknown fusion strategy ${JSON.stringify(strategy)}.`);
  if (alpha === undefined || !(alpha >= 0 && alpha <= 1)) {
    throw new DefectRagError('BAD_INPUT', `The weighted fusion needs alpha in [0, 1], got ${alpha}.`);
  }
  return alpha;
}
