import { DefectRagError } from '@defect-rag/runtime';

export type FusionStrategy = 'average' | 'weighted';

/**
 * `average`: both towers weigh the same (alpha 0.5). `weighted`: alpha is the image's weight, so
 * alpha 1 is the image vector alone and alpha 0 the text vector alone (see `fuse` for how each
 * kind of model combines them).
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

/**
 * Where a model's image and text vectors live. `shared`: one space (CLIP family), so an image and a
 * text vector can be compared and averaged. `separate`: an encoder pair (e.g. DINOv2 + a sentence
 * encoder) whose towers were trained apart, so only image↔image and text↔text comparisons mean
 * anything.
 */
export type VectorSpace = 'shared' | 'separate';

/**
 * The fused vector of an image vector and a text vector, unit length, for a model whose vectors
 * live in `space`:
 * - `shared`: `normalise(α · unit(image) + (1 − α) · unit(text))`, same dimension as both;
 * - `separate`: `[√α · unit(image), √(1 − α) · unit(text)]`, of dimension image + text. It is unit
 *   length already, and the cosine of two such vectors is exactly `α · cos(images) + (1 − α) · cos(texts)`.
 */
export function fuse(
  image: Float32Array,
  text: Float32Array,
  { strategy, alpha }: FusionOptions,
  space: VectorSpace,
): Float32Array {
  const imageWeight = fusionImageWeight({ strategy, alpha });
  if (space === 'shared' && image.length !== text.length) {
    throw new DefectRagError('BAD_INPUT', `Cannot fuse vectors of dimensions ${image.length} and ${text.length}.`);
  }
  const unitImage = Float32Array.from(image);
  const unitText = Float32Array.from(text);
  if (!normalizeInPlace(unitImage) || !normalizeInPlace(unitText)) {
    throw new DefectRagError('EMBEDDING_FAILED', 'Cannot fuse a zero or non-finite vector.');
  }
  if (space === 'separate') {
    const fused = new Float32Array(image.length + text.length);
    const imageScale = Math.sqrt(imageWeight);
    const textScale = Math.sqrt(1 - imageWeight);
    for (let i = 0; i < image.length; i++) fused[i] = imageScale * unitImage[i]!;
    for (let i = 0; i < text.length; i++) fused[image.length + i] = textScale * unitText[i]!;
    return fused;
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
