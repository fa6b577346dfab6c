import { createHash } from 'node:crypto';
import { fuse, type VectorSpace } from '@defect-rag/embedding';
import { mulberry32, type VectorKind } from '@defect-rag/runtime';
import { UNKNOWN, type Taxonomy } from '@defect-rag/taxonomy';
import type { SearchSpec } from './protocol';
import { knownTypes, type CropLabels } from './relevance';
import type { EvaluationCrop } from './retrieval';

/**
 * The text a user would type for the test crop: a template over its damage types and zone, built
 * from its labels alone. The crop's stored description is never read (it would leak the very
 * labels the query is judged on, word for word).
 */
export function queryPrompt(labels: CropLabels, taxonomy: Taxonomy): string {
  const zone = taxonomy.zones.find((candidate) => candidate.id === labels.zone)?.name;
  const where = labels.zone !== UNKNOWN && zone ? `the ${zone} of a car` : 'a car';
  if (!labels.hasDamage) return `a photo of clean undamaged bodywork on ${where}`;
  const names = knownTypes(labels).map((type) => taxonomy.damageTypes.find((t) => t.id === type)?.name ?? type);
  return `a photo of ${names.length > 0 ? names.join(' and ') : 'damage'} on ${where}`;
}

/**
 * The text a user would type to a model without a text tower, which reads text as labels (label
 * prototypes): the test crop's known damage types and its zone, in the taxonomy's names. Empty when
 * its labels name nothing (a clean crop of an unknown zone).
 */
export function labelPrompt(labels: CropLabels, taxonomy: Taxonomy): string {
  const zone =
    labels.zone !== UNKNOWN ? taxonomy.zones.find((candidate) => candidate.id === labels.zone)?.name : undefined;
  const types = labels.hasDamage
    ? knownTypes(labels).map((type) => taxonomy.damageTypes.find((t) => t.id === type)?.name ?? type)
    : [];
  return [types.join(' and '), zone].filter((part) => part !== undefined && part !== '').join(' on the ');
}

/** Dimension of the random baseline's vectors: enough that chance similarities stay small. */
const RANDOM_DIMENSION = 64;

/** A unit vector drawn from the crop id alone: what retrieval with no information at all reaches. */
export function randomVector(cropId: string): Float32Array {
  const seed = createHash('sha256').update(cropId).digest().readUInt32LE(0);
  const next = mulberry32(seed);
  // Box–Muller gives a direction uniform on the sphere.
  const vector = Float32Array.from({ length: RANDOM_DIMENSION }, () => {
    const u = Math.max(next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
  });
  return unit(vector);
}

export function unit(vector: Float32Array): Float32Array {
  const norm = Math.hypot(...vector);
  return norm > 0 ? vector.map((value) => value / norm) : vector;
}

export interface SearchSpecInput {
  /**
   * What a user has at query time, by the vectors it compares:
   * - `image`: the test crop's image, against the image index (and the fused index);
   * - `text`: a prompt written from a template of the test crop's damage type and zone (never its
   *   stored description), against the text index (and the fused index);
   * - `fused`: image and prompt fused with a weight α, against the index fused with the same α.
   */
  modes: readonly VectorKind[];
  alphas: readonly number[];
  /** Image weight of the index's own fused vectors. */
  indexAlpha: number;
  hasTextTower: boolean;
  /**
   * `separate` for an encoder pair: its image and text vectors cannot be compared with each other
   * or with half of a fused vector, so the image → fused and prompt → fused searches are left out.
   */
  space: VectorSpace;
  /** The prompt's text vector for a test crop; without a text tower, its label prototype. */
  prompt: (crop: EvaluationCrop) => Float32Array;
  /** Without a text tower: the prompts that named no label the train crops carry (queried with the mean train vector). */
  prototypeFallbacks?: number;
  /** The trivial-features vector of any crop. */
  trivial: (crop: EvaluationCrop) => Float32Array;
}

/**
 * Every configuration the evaluation runs: the model's queries (image-only models: image → image
 * alone), the two baselines, and the stored-description upper bound outside the ranking.
 */
export function searchSpecs(input: SearchSpecInput): SearchSpec[] {
  const text = (crop: EvaluationCrop) => crop.vectors.text!;
  const image = (crop: EvaluationCrop) => crop.vectors.image;
  const specs: SearchSpec[] = [];
  const model = (
    mode: VectorKind,
    label: string,
    vectors: string,
    queryVector: SearchSpec['queryVector'],
    index: SearchSpec['index'],
    alpha: number | null = null,
  ) => specs.push({ role: 'model', mode, alpha, label, vectors, queryVector, index });

  if (input.modes.includes('image')) {
    model('image', 'image → image', 'the test crop’s image vector against stored image vectors', image, {
      stored: 'image',
    });
    if (input.hasTextTower && input.space === 'shared') {
      model(
        'image',
        'image → fused',
        `the test crop’s image vector against stored fused vectors (α = ${input.indexAlpha})`,
        image,
        { stored: 'fused' },
      );
    }
  }
  if (input.hasTextTower && input.modes.includes('text')) {
    model('text', 'prompt → text', 'a templated prompt’s text vector against stored text vectors', input.prompt, {
      stored: 'text',
    });
    if (input.space === 'shared') {
      model(
        'text',
        'prompt → fused',
        `a templated prompt’s text vector against stored fused vectors (α = ${input.indexAlpha})`,
        input.prompt,
        { stored: 'fused' },
      );
    }
  }
  if (!input.hasTextTower && input.modes.includes('text')) {
    const fallbacks = input.prototypeFallbacks ?? 0;
    model(
      'text',
      'prompt → image (label prototypes)',
      'the normalised mean image vector of the train crops with the damage types and zone a prompt names (label prototypes), ' +
        'against stored image vectors' +
        (fallbacks > 0
          ? ` (${fallbacks} prompts name no label a train crop carries: the mean of every train crop)`
          : ''),
      input.prompt,
      { stored: 'image' },
    );
  }
  if (input.hasTextTower && input.modes.includes('fused')) {
    for (const alpha of input.alphas) {
      const refused = (crop: EvaluationCrop) =>
        fuse(crop.vectors.image, text(crop), { strategy: 'weighted', alpha }, input.space);
      const stored = alpha === input.indexAlpha;
      model(
        'fused',
        `image+prompt α=${alpha}`,
        `α · image + (1 − α) · prompt against ${stored ? 'stored fused vectors' : `image and text vectors re-fused with α = ${alpha}`}`,
        (crop) => fuse(crop.vectors.image, input.prompt(crop), { strategy: 'weighted', alpha }, input.space),
        stored ? { stored: 'fused' } : { computed: refused },
        alpha,
      );
    }
  }
  const baseline = (label: string, vectors: string, vector: (crop: EvaluationCrop) => Float32Array) =>
    specs.push({
      role: 'baseline',
      mode: null,
      alpha: null,
      label,
      vectors,
      queryVector: vector,
      index: { computed: vector },
    });
  baseline('baseline: random vectors', 'a random unit vector per crop', (crop) => randomVector(crop.labels.cropId));
  baseline(
    'baseline: trivial features',
    'colour histogram, share of black pixels and source photo size, standardised',
    input.trivial,
  );
  if (input.hasTextTower) {
    specs.push({
      role: 'upper-bound',
      mode: null,
      alpha: null,
      label: 'upper bound: stored description → text',
      vectors: 'the test crop’s own stored description (written from its labels) against stored text vectors',
      queryVector: text,
      index: { stored: 'text' },
    });
  }
  return specs;
}
