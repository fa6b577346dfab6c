import type { PhotoView } from '@defect-rag/embedding';
import { summarizeScores, type SearchMetrics } from './protocol';
import { randomVector } from './queries';
import { dot, memoryRetriever, type EvaluationCrop, type Retriever } from './retrieval';
import type { Criterion } from './relevance';
import { RelevantCounts, scoreQuery, type RetrievedCrop } from './scoring';

/**
 * One way of answering a question at one level with the model's image vectors (or a baseline's).
 * A photo's labels are its own: damaged when it has a defect, the damage types of all its defects,
 * and its zone (that of its first defect, else the zone it shows most).
 */
export interface LevelConfiguration {
  label: string;
  /** What asks: a test photo's vector, or the crops of a test photo, or a test crop. */
  query: 'photo' | 'photo crops' | 'crop';
  /** What answers: train photos or train crops; `query` and `index` say whose labels judge. */
  index: 'photos' | 'crops';
  role: 'model' | 'baseline';
  metrics: SearchMetrics;
}

export interface LevelComparison {
  /** How the photo points' image vectors saw the photos. */
  view: PhotoView;
  /** Photos with at least one crop, on both sides, so that both levels answer the same questions. */
  testPhotos: number;
  trainPhotos: number;
  configurations: LevelConfiguration[];
}

export interface LevelInput {
  trainCrops: readonly EvaluationCrop[];
  testCrops: readonly EvaluationCrop[];
  trainPhotos: readonly EvaluationCrop[];
  testPhotos: readonly EvaluationCrop[];
  view: PhotoView;
  ks: readonly number[];
  critical: ReadonlySet<string>;
  /** The criteria judged: without clean photos, has_damage is not. */
  judged: readonly Criterion[];
  /** Trivial image statistics of a photo (its whole image). */
  trivial: (photo: EvaluationCrop) => Float32Array;
}

/**
 * "Crops or whole photos?" answered on the dataset's own photos with the same model, exactly, in
 * memory:
 * - per photo: each test photo asks for train photos like it, either with its photo vector
 *   (photo level) or with its crops (crop level: a train photo scores its best crop-to-crop
 *   similarity), judged on photo labels; with random and trivial-feature baselines;
 * - across levels: a photo vector against train crops, and a crop against train photos, judged
 *   on the labels of both sides as crops are.
 */
export async function compareLevels(input: LevelInput): Promise<LevelComparison> {
  const { ks, critical, judged } = input;
  const limit = Math.max(...ks);
  const withCrops = (photos: readonly EvaluationCrop[], crops: readonly EvaluationCrop[]) => {
    const cropsOf = groupByPhoto(crops);
    return photos.filter((photo) => cropsOf.has(photo.payload.image_id));
  };
  const trainPhotos = withCrops(input.trainPhotos, input.trainCrops);
  const testPhotos = withCrops(input.testPhotos, input.testCrops);
  const image = (item: EvaluationCrop) => item.vectors.image;
  const random = (item: EvaluationCrop) => randomVector(item.labels.cropId);
  const memory = (index: readonly EvaluationCrop[], vector: (item: EvaluationCrop) => Float32Array) =>
    memoryRetriever(index, { indexVector: vector, queryVector: vector, limit });
  const measure = async (
    queries: readonly EvaluationCrop[],
    index: readonly EvaluationCrop[],
    retriever: Retriever,
  ): Promise<SearchMetrics> => {
    const counts = new RelevantCounts(index.map((item) => item.labels));
    const scores = [];
    for (const query of queries)
      scores.push(scoreQuery(query.labels, await retriever(query), ks, counts, critical, judged));
    return summarizeScores(scores, ks);
  };
  const configuration = async (
    label: string,
    query: LevelConfiguration['query'],
    role: LevelConfiguration['role'],
    queries: readonly EvaluationCrop[],
    index: readonly EvaluationCrop[],
    retriever: Retriever,
  ): Promise<LevelConfiguration> => ({
    label,
    query,
    index: index === trainPhotos ? 'photos' : 'crops',
    role,
    metrics: await measure(queries, index, retriever),
  });
  const { trainCrops, testCrops } = input;
  return {
    view: input.view,
    testPhotos: testPhotos.length,
    trainPhotos: trainPhotos.length,
    configurations: [
      await configuration('photo → photos', 'photo', 'model', testPhotos, trainPhotos, memory(trainPhotos, image)),
      await configuration(
        'photo crops → photos (best crop)',
        'photo crops',
        'model',
        testPhotos,
        trainPhotos,
        bestCropRetriever(trainCrops, trainPhotos, testCrops, limit),
      ),
      await configuration(
        'baseline: random vectors, photo → photos',
        'photo',
        'baseline',
        testPhotos,
        trainPhotos,
        memory(trainPhotos, random),
      ),
      await configuration(
        'baseline: trivial features, photo → photos',
        'photo',
        'baseline',
        testPhotos,
        trainPhotos,
        memory(trainPhotos, input.trivial),
      ),
      await configuration('photo → crops', 'photo', 'model', testPhotos, trainCrops, memory(trainCrops, image)),
      await configuration('crop → photos', 'crop', 'model', testCrops, trainPhotos, memory(trainPhotos, image)),
    ],
  };
}

/** Crops by the photo (`image_id`) they come from. */
function groupByPhoto(crops: readonly EvaluationCrop[]): Map<string, EvaluationCrop[]> {
  const groups = new Map<string, EvaluationCrop[]>();
  for (const crop of crops) groups.set(crop.payload.image_id, [...(groups.get(crop.payload.image_id) ?? []), crop]);
  return groups;
}

/**
 * Ranks train photos for a test photo by their best crop: the highest cosine between any crop of
 * the test photo and any crop of the train photo. Ties by photo key, as memoryRetriever orders them.
 */
export function bestCropRetriever(
  trainCrops: readonly EvaluationCrop[],
  trainPhotos: readonly EvaluationCrop[],
  testCrops: readonly EvaluationCrop[],
  limit: number,
): Retriever {
  const photoOf = new Map(trainPhotos.map((photo) => [photo.payload.image_id, photo]));
  const queryCrops = groupByPhoto(testCrops);
  return async (query) => {
    const best = new Map<string, number>();
    for (const asking of queryCrops.get(query.payload.image_id) ?? []) {
      for (const crop of trainCrops) {
        if (!photoOf.has(crop.payload.image_id)) continue;
        const score = dot(asking.vectors.image, crop.vectors.image);
        if (score > (best.get(crop.payload.image_id) ?? -Infinity)) best.set(crop.payload.image_id, score);
      }
    }
    return [...best]
      .map(([imageId, score]): RetrievedCrop => ({ score, crop: photoOf.get(imageId)!.labels }))
      .sort((a, b) => b.score - a.score || (a.crop.cropId < b.crop.cropId ? -1 : 1))
      .slice(0, limit);
  };
}
