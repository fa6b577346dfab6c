import { fuse } from '@defect-rag/embedding';
import type { CropFilter, CropPayload, VectorName, VectorStore } from '@defect-rag/vector-store';
import type { CropLabels } from './relevance';
import type { RetrievedCrop } from './scoring';

export const QUERY_MODES = ['image', 'text', 'fused'] as const;

export type QueryMode = (typeof QUERY_MODES)[number];

/** A stored crop of the split under evaluation, with its three vectors. */
export interface EvaluationCrop {
  labels: CropLabels;
  vectors: Record<VectorName, Float32Array>;
}

const READ_BATCH = 256;

/** Every stored crop that the filter matches, with its vectors. */
export async function loadCrops(store: VectorStore, collection: string, filter: CropFilter): Promise<EvaluationCrop[]> {
  const ids = (await store.scrollPayloads(collection, filter)).map((ref) => ref.cropId).sort();
  const crops: EvaluationCrop[] = [];
  for (let start = 0; start < ids.length; start += READ_BATCH) {
    for (const point of await store.getPoints(collection, ids.slice(start, start + READ_BATCH), {
      withVectors: true,
    })) {
      const { fused, image, text } = point.vectors!;
      crops.push({
        labels: labelsOf(point.payload),
        vectors: { fused: Float32Array.from(fused), image: Float32Array.from(image), text: Float32Array.from(text) },
      });
    }
  }
  return crops;
}

export function labelsOf(payload: CropPayload): CropLabels {
  return {
    cropId: payload.crop_id,
    hasDamage: payload.has_damage,
    zone: payload.vehicle_zone,
    damageTypes: payload.damage_types,
  };
}

/**
 * The vectors a (mode, alpha) configuration compares. Stored vectors are Qdrant named vectors,
 * searched through HNSW and exactly. A fusion weight the index does not hold re-fuses each crop's
 * stored image and text vectors, on the query side and the index side alike (as if the index had
 * been built with that weight); no HNSW graph holds those, so they are only searched exactly, in
 * memory.
 */
export interface VectorSpace {
  /** Configurations that compare the same vectors share their results. */
  key: string;
  stored: VectorName | null;
  /** Image weight of re-fused vectors. */
  alpha: number | null;
  description: string;
}

/**
 * `fuse` with alpha 1 is the image vector and with alpha 0 the text vector (both renormalised,
 * which cosine ignores), and the index's own fusion weight is its `fused` vector.
 */
export function vectorSpaceFor(mode: QueryMode, alpha: number | null, indexAlpha: number): VectorSpace {
  const stored = (name: VectorName): VectorSpace => ({
    key: name,
    stored: name,
    alpha: null,
    description: `stored ${name} vectors`,
  });
  if (mode === 'image' || alpha === 1) return stored('image');
  if (mode === 'text' || alpha === 0) return stored('text');
  if (alpha === null || alpha === indexAlpha) return stored('fused');
  return {
    key: `fused@${alpha}`,
    stored: null,
    alpha,
    description: `image and text vectors re-fused with α = ${alpha}`,
  };
}

/** Finds the nearest train crops to a test crop, best first. */
export type Retriever = (query: EvaluationCrop) => Promise<RetrievedCrop[]>;

/** Searches a stored named vector in Qdrant, through its HNSW graph or exactly. */
export function qdrantRetriever(
  store: VectorStore,
  collection: string,
  options: { using: VectorName; filter: CropFilter; limit: number; exact: boolean },
): Retriever {
  const { using, filter, limit, exact } = options;
  return async (query) => {
    const hits = await store.search(collection, { vector: query.vectors[using], using, filter, limit, exact });
    return hits.map((hit) => ({ score: hit.score, crop: labelsOf(hit.payload) }));
  };
}

/**
 * Exact cosine search over the train crops' image and text vectors re-fused with `alpha`; equal
 * scores are ordered by crop id, so the cut-off at `limit` is reproducible.
 */
export function memoryRetriever(train: readonly EvaluationCrop[], alpha: number, limit: number): Retriever {
  const refuse = (crop: EvaluationCrop) => fuse(crop.vectors.image, crop.vectors.text, { strategy: 'weighted', alpha });
  const dimension = train[0]?.vectors.image.length ?? 0;
  const matrix = new Float32Array(train.length * dimension);
  train.forEach((crop, i) => matrix.set(refuse(crop), i * dimension));
  return async (query) => {
    const vector = refuse(query);
    const scores = new Float64Array(train.length);
    for (let i = 0; i < train.length; i++) {
      let dot = 0;
      for (let d = 0, offset = i * dimension; d < dimension; d++) dot += vector[d]! * matrix[offset + d]!;
      scores[i] = dot;
    }
    return topIndices(scores, train, limit).map((i) => ({ score: scores[i]!, crop: train[i]!.labels }));
  };
}

/** Indices of the `limit` best scores, best first, ties by crop id; one pass, insertion into a short sorted list. */
function topIndices(scores: Float64Array, crops: readonly EvaluationCrop[], limit: number): number[] {
  const better = (a: number, b: number) =>
    scores[a]! > scores[b]! || (scores[a] === scores[b] && crops[a]!.labels.cropId < crops[b]!.labels.cropId);
  const best: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    if (best.length === limit && !better(i, best[limit - 1]!)) continue;
    let at = best.length;
    while (at > 0 && better(i, best[at - 1]!)) at--;
    best.splice(at, 0, i);
    if (best.length > limit) best.pop();
  }
  return best;
}
