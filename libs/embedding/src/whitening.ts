/**
 * Centring and PCA-whitening of image vectors, fitted on a collection's own vectors (no label).
 *
 * Why: the frozen ImageNet features are all post-ReLU, so every pair of crops has a cosine of
 * 0.8–0.95 and the few directions of largest variance (colour, "is there a car panel") decide
 * the ranking. Centring removes the shared mean; whitening divides each principal direction by
 * its standard deviation (to the power `2 · power`: power 0.5 is full whitening), so rarer
 * directions — where the damage type lives — count as much as the dominant ones; keeping the
 * first `dimensions` directions drops the noisiest ones. The same transform must be applied to
 * the indexed vectors and to every query: `applyWhitening` is the only way to use it.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { DefectRagError } from '@defect-rag/runtime';

export interface Whitening {
  inputDimension: number;
  /** Rows of `projection`: the kept principal directions. */
  outputDimension: number;
  /** Exponent of the eigenvalues: each direction is divided by λ^power. */
  power: number;
  /** How many vectors it was fitted on. */
  fittedOn: number;
  mean: Float32Array;
  /** outputDimension × inputDimension, row-major: direction i scaled by λᵢ^−power. */
  projection: Float32Array;
}

export interface WhiteningOptions {
  /** Directions kept, at most; default all the data has (min(n − 1, d)). */
  dimensions?: number;
  /** Default 0.5 (full whitening). */
  power?: number;
}

/** Eigenvalues below this share of the largest are numerical noise, not directions. */
const RELATIVE_FLOOR = 1e-9;

export function fitWhitening(vectors: readonly Float32Array[], options: WhiteningOptions = {}): Whitening {
  const n = vectors.length;
  const d = vectors[0]?.length ?? 0;
  const power = options.power ?? 0.5;
  if (n < 3 || d === 0) throw new DefectRagError('BAD_INPUT', `whitening needs at least 3 vectors, got ${n}`);
  if (vectors.some((vector) => vector.length !== d)) {
    throw new DefectRagError('BAD_INPUT', 'whitening: vectors of different dimensions');
  }
  const mean = new Float64Array(d);
  for (const vector of vectors) for (let j = 0; j < d; j++) mean[j]! += vector[j]! / n;
  const centred = new Matrix(vectors.map((vector) => Array.from(vector, (value, j) => value - mean[j]!)));

  // The covariance's eigenvectors, from whichever of XᵀX (d × d) and XXᵀ (n × n) is smaller:
  // XXᵀ u = μ u gives Xᵀu / √μ, a unit eigenvector of XᵀX with the same μ.
  const gram = n < d;
  const small = gram ? centred.mmul(centred.transpose()) : centred.transpose().mmul(centred);
  const decomposition = new EigenvalueDecomposition(small, { assumeSymmetric: true });
  const values = decomposition.realEigenvalues;
  const order = values.map((_, i) => i).sort((a, b) => values[b]! - values[a]! || a - b);
  const floor = values[order[0]!]! * RELATIVE_FLOOR;
  const kept = order.filter((i) => values[i]! > floor).slice(0, options.dimensions ?? d);
  const directions = decomposition.eigenvectorMatrix;

  const projection = new Float32Array(kept.length * d);
  kept.forEach((index, row) => {
    const mu = values[index]!;
    const direction = new Float64Array(d);
    if (gram) {
      for (let s = 0; s < n; s++) {
        const u = directions.get(s, index);
        for (let j = 0; j < d; j++) direction[j]! += (centred.get(s, j) * u) / Math.sqrt(mu);
      }
    } else {
      for (let j = 0; j < d; j++) direction[j] = directions.get(j, index);
    }
    // A fixed sign (largest component positive), so the same vectors give the same bytes.
    let largest = 0;
    for (let j = 0; j < d; j++) if (Math.abs(direction[j]!) > Math.abs(direction[largest]!)) largest = j;
    const sign = direction[largest]! < 0 ? -1 : 1;
    const scale = sign / Math.pow(mu / (n - 1), power);
    for (let j = 0; j < d; j++) projection[row * d + j] = direction[j]! * scale;
  });
  return {
    inputDimension: d,
    outputDimension: kept.length,
    power,
    fittedOn: n,
    mean: Float32Array.from(mean),
    projection,
  };
}

/** The whitened, L2-normalised vector: the same for an indexed vector and for a query. */
export function applyWhitening(whitening: Whitening, vector: Float32Array): Float32Array {
  const { inputDimension: d, outputDimension: k, mean, projection } = whitening;
  if (vector.length !== d) {
    throw new DefectRagError('BAD_INPUT', `whitening expects vectors of ${d} values, got ${vector.length}`);
  }
  const centred = Float64Array.from(vector, (value, j) => value - mean[j]!);
  const out = new Float32Array(k);
  let norm = 0;
  for (let i = 0; i < k; i++) {
    let sum = 0;
    for (let j = 0; j < d; j++) sum += projection[i * d + j]! * centred[j]!;
    out[i] = sum;
    norm += sum * sum;
  }
  const scale = 1 / Math.max(Math.sqrt(norm), 1e-12);
  for (let i = 0; i < k; i++) out[i]! *= scale;
  return out;
}

/**
 * `applyWhitening` padded with zeros to `dimension` values: a collection's whitened vectors have
 * one size for good, while a fit on fewer vectors than that keeps fewer directions (zeros change
 * no cosine).
 */
export function applyWhiteningTo(whitening: Whitening, vector: Float32Array, dimension: number): Float32Array {
  const whitened = applyWhitening(whitening, vector);
  if (whitened.length > dimension) {
    throw new DefectRagError('BAD_INPUT', `a whitening to ${whitened.length} dimensions does not fit in ${dimension}`);
  }
  const out = new Float32Array(dimension);
  out.set(whitened);
  return out;
}
