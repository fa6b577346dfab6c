import type { VectorKind } from '@defect-rag/runtime';
import type { CropFilter, CropPayload, VectorStore } from '@defect-rag/vector-store';
import type { CropLabels } from './relevance';
import type { RetrievedCrop } from './scoring';

/** A stored crop of the dataset under evaluation, with its stored vectors (text and fused only with a text tower). */
export interface EvaluationCrop {
  labels: CropLabels;
  payload: CropPayload;
  vectors: { image: Float32Array; text?: Float32Array; fused?: Float32Array };
}

const READ_BATCH = 256;

/** Every stored crop that the filter matches, with its vectors, ordered by crop id. */
export async function loadCrops(store: VectorStore, collection: string, filter: CropFilter): Promise<EvaluationCrop[]> {
  const ids = (await store.scrollPayloads(collection, filter)).map((ref) => ref.cropId).sort();
  const crops: EvaluationCrop[] = [];
  for (let start = 0; start < ids.length; start += READ_BATCH) {
    for (const point of await store.getPoints(collection, ids.slice(start, start + READ_BATCH), {
      withVectors: true,
    })) {
      const { image, text, fused } = point.vectors!;
      crops.push({
        labels: labelsOf(point.payload),
        payload: point.payload,
        vectors: {
          image: Float32Array.from(image),
          ...(text && { text: Float32Array.from(text) }),
          ...(fused && { fused: Float32Array.from(fused) }),
        },
      });
    }
  }
  return crops;
}

export function labelsOf(payload: CropPayload): CropLabels {
  return {
    cropId: payload.crop_id,
    // The protocol reads labelled crops only (`labelled: true` in its filters).
    hasDamage: payload.has_damage === true,
    zone: payload.vehicle_zone,
    damageTypes: payload.damage_types,
  };
}

/** Finds the nearest train crops to a test crop, best first. */
export type Retriever = (query: EvaluationCrop) => Promise<RetrievedCrop[]>;

/** Searches a stored named vector in Qdrant, through its HNSW graph or exactly, with a query vector of the test crop. */
export function qdrantRetriever(
  store: VectorStore,
  collection: string,
  options: {
    using: VectorKind;
    queryVector: (crop: EvaluationCrop) => Float32Array;
    filter: CropFilter;
    limit: number;
    exact: boolean;
  },
): Retriever {
  const { using, queryVector, filter, limit, exact } = options;
  return async (query) => {
    const hits = await store.search(collection, { vector: queryVector(query), using, filter, limit, exact });
    return hits.map((hit) => ({ score: hit.score, crop: labelsOf(hit.payload) }));
  };
}

/**
 * Exact cosine search in memory over vectors that no index holds (re-fused weights, baselines);
 * `indexVector` and `queryVector` give unit vectors. Equal scores are ordered by crop id, so the
 * cut-off at `limit` is reproducible.
 */
export function memoryRetriever(
  train: readonly EvaluationCrop[],
  options: {
    indexVector: (crop: EvaluationCrop) => Float32Array;
    queryVector: (crop: EvaluationCrop) => Float32Array;
    limit: number;
  },
): Retriever {
  const index = train.map(options.indexVector);
  return async (query) => {
    const vector = options.queryVector(query);
    const scores = Float64Array.from(index, (row) => dot(vector, row));
    return topIndices(scores, train, options.limit).map((i) => ({ score: scores[i]!, crop: train[i]!.labels }));
  };
}

export function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let d = 0; d < a.length; d++) sum += a[d]! * b[d]!;
  return sum;
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
