import { seededRandom } from '@defect-rag/dataset';
import { DefectRagError } from '@defect-rag/runtime';
import { MatMul, transpose } from './matmul';

/**
 * onnxruntime's threads for the products: the 2 cores the training is sized for. Fixed, because
 * the split of the work decides the sums' last bits (see ./matmul.ts).
 */
const MATMUL_THREADS = 2;

/** One training vector: a base model's unit image vector and the labels it carries (damage types, "clean"). */
export interface LabelledVector {
  vector: Float32Array;
  labels: readonly string[];
}

export interface AdapterTrainingOptions {
  /** Seeds the initial projection; the same seed and vectors give byte-identical projections. */
  seed: number;
  /** Dimensions of the learned part (default 128). */
  dimensions?: number;
  /** Softmax temperature of the supervised-contrastive loss (default 0.3). */
  temperature?: number;
  /** Full-batch Adam steps (default 100). */
  steps?: number;
  learningRate?: number;
  /** Weight of the base vector kept beside the learned part (default 1; 0 leaves the learned part alone). */
  baseWeight?: number;
}

export interface TrainedProjection {
  /** Rows of `inputDim` values: the base vector times `baseWeight` (identity rows), then the learned rows. */
  matrix: Float32Array;
  inputDim: number;
  outputDim: number;
  /** What was trained and how it ended, for the model's config. */
  figures: {
    vectors: number;
    labels: Record<string, number>;
    dimensions: number;
    temperature: number;
    steps: number;
    learningRate: number;
    baseWeight: number;
    initialLoss: number;
    finalLoss: number;
  };
}

/**
 * Learns a linear map W (d × D) of the base vectors with the supervised-contrastive loss (Khosla et
 * al. 2020) on cosine similarities: each vector's positives are the others sharing a label with it,
 * which is the evaluation's own relevance (a crop is relevant when it shares a damage type). Full
 * batch, Adam, fixed loop order and a fixed onnxruntime thread count: deterministic for a seed on a
 * given CPU. The map returned is
 * `[baseWeight · I ; W / s]` (s the mean norm of W·x over the training vectors, so that both parts
 * weigh alike): kNN keeps the base vector's appearance while the learned part pulls same-label
 * vectors together. Measured alternatives (learned part alone, other sizes) are in docs/similarity.md.
 */
export async function trainProjection(
  data: readonly LabelledVector[],
  options: AdapterTrainingOptions,
): Promise<TrainedProjection> {
  const { seed, dimensions: d = 128, temperature: tau = 0.3, steps = 100, learningRate = 0.01 } = options;
  const baseWeight = options.baseWeight ?? 1;
  const n = data.length;
  if (n < 2) throw new DefectRagError('BAD_INPUT', `an adapter needs at least two labelled vectors, got ${n}.`);
  const D = data[0]!.vector.length;
  const names = [...new Set(data.flatMap((item) => item.labels))].sort();
  if (names.length < 2)
    throw new DefectRagError('BAD_INPUT', `an adapter needs at least two labels, got ${names.join(', ') || 'none'}.`);
  if (names.length > 31)
    throw new DefectRagError('BAD_INPUT', `an adapter takes at most 31 labels, got ${names.length}.`);
  const masks = Int32Array.from(data, (item) =>
    item.labels.reduce((mask, label) => mask | (1 << names.indexOf(label)), 0),
  );
  const X = new Float64Array(n * D);
  data.forEach((item, i) => {
    if (item.vector.length !== D)
      throw new DefectRagError('BAD_INPUT', `vector ${i} has ${item.vector.length} values, not ${D}.`);
    X.set(item.vector, i * D);
  });
  const positives = Float64Array.from(masks, (mask, i) => {
    let count = 0;
    for (let j = 0; j < n; j++) if (j !== i && (masks[j]! & mask) !== 0) count++;
    return count;
  });
  const anchors = positives.reduce((sum, count) => sum + (count > 0 ? 1 : 0), 0);

  const random = seededRandom(`adapter:${seed}`);
  const W = Float64Array.from({ length: d * D }, () => gaussian(random) / Math.sqrt(D));
  const m = new Float64Array(d * D);
  const v = new Float64Array(d * D);
  let U: Float64Array = new Float64Array(n * d);
  const norms = new Float64Array(n);
  const G = new Float64Array(n * n);
  const H = new Float64Array(n * n);
  const dZ = new Float64Array(n * d);

  // The four dense products of a step (Z = X·Wᵀ, S = U·Uᵀ, dU = H·U, dW = dZᵀ·X) run on
  // onnxruntime; the transposes they need are linear in the matrices' size and stay here.
  const matmul = await MatMul.open(MATMUL_THREADS);
  const forward = async (): Promise<number> => {
    U = await matmul.product(X, n, transpose(W, d, D), d);
    for (let i = 0; i < n; i++) {
      let norm = 0;
      for (let r = 0; r < d; r++) norm += U[i * d + r]! ** 2;
      norms[i] = Math.sqrt(norm) || 1e-12;
      for (let r = 0; r < d; r++) U[i * d + r]! /= norms[i]!;
    }
    const S = await matmul.product(U, n, transpose(U, n, d), n);
    // G = softmax over the others of each anchor minus its positives' share; the loss on the side.
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const row = i * n;
      let max = -Infinity;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        G[row + j] = S[row + j]! / tau;
        if (G[row + j]! > max) max = G[row + j]!;
      }
      let total = 0;
      for (let j = 0; j < n; j++) if (j !== i) total += Math.exp(G[row + j]! - max);
      const logTotal = Math.log(total) + max;
      const count = positives[i]!;
      for (let j = 0; j < n; j++) {
        if (j === i || count === 0) {
          G[row + j] = 0;
          continue;
        }
        const positive = (masks[i]! & masks[j]!) !== 0;
        if (positive) loss -= (G[row + j]! - logTotal) / count / anchors;
        G[row + j] = (Math.exp(G[row + j]! - logTotal) - (positive ? 1 / count : 0)) / anchors;
      }
    }
    return loss;
  };

  let initialLoss: number;
  let finalLoss: number;
  try {
    initialLoss = await forward();
    finalLoss = initialLoss;
    const [beta1, beta2, epsilon] = [0.9, 0.999, 1e-8];
    for (let step = 1; step <= steps; step++) {
      if (step > 1) finalLoss = await forward();
      // dU = (G + Gᵀ) U / τ, then through the normalisation, then dW = dZᵀ X.
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) H[i * n + j] = (G[i * n + j]! + G[j * n + i]!) / tau;
      const dU = await matmul.product(H, n, U, d);
      for (let i = 0; i < n; i++) {
        let along = 0;
        for (let r = 0; r < d; r++) along += U[i * d + r]! * dU[i * d + r]!;
        for (let r = 0; r < d; r++) dZ[i * d + r] = (dU[i * d + r]! - U[i * d + r]! * along) / norms[i]!;
      }
      const grad = await matmul.product(transpose(dZ, n, d), d, X, D);
      const correction1 = 1 - beta1 ** step;
      const correction2 = 1 - beta2 ** step;
      for (let k = 0; k < W.length; k++) {
        m[k] = beta1 * m[k]! + (1 - beta1) * grad[k]!;
        v[k] = beta2 * v[k]! + (1 - beta2) * grad[k]! * grad[k]!;
        W[k]! -= (learningRate * (m[k]! / correction1)) / (Math.sqrt(v[k]! / correction2) + epsilon);
      }
    }
    if (steps > 0) finalLoss = await forward();
  } finally {
    await matmul.release();
  }

  // The learned part is scaled to unit length on average, so that it weighs like the unit base vector.
  const scale = 1 / (norms.reduce((sum, norm) => sum + norm, 0) / n);
  const keep = baseWeight > 0 ? D : 0;
  const outputDim = keep + d;
  const matrix = new Float32Array(outputDim * D);
  for (let r = 0; r < keep; r++) matrix[r * D + r] = baseWeight;
  for (let r = 0; r < d; r++) for (let c = 0; c < D; c++) matrix[(keep + r) * D + c] = W[r * D + c]! * scale;
  return {
    matrix,
    inputDim: D,
    outputDim,
    figures: {
      vectors: n,
      labels: Object.fromEntries(
        names.map((name, b) => [name, masks.filter((mask) => (mask & (1 << b)) !== 0).length]),
      ),
      dimensions: d,
      temperature: tau,
      steps,
      learningRate,
      baseWeight,
      initialLoss,
      finalLoss,
    },
  };
}

/** A standard normal draw (Box–Muller) from a uniform generator. */
function gaussian(random: () => number): number {
  const u = Math.max(random(), Number.MIN_VALUE);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
