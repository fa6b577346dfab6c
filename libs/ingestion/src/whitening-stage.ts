import type { StoredWhitening } from '@defect-rag/db';
import { applyWhiteningTo, fitWhitening } from '@defect-rag/embedding';
import type { Backend, RunRecorder } from '@defect-rag/runs';
import { RAW_IMAGE_VECTOR } from '@defect-rag/vector-store';

/**
 * Centring + PCA-whitening stored with a collection (`ingest --whiten <dimensions>`).
 *
 * A whitened collection keeps each point's model vector as `image_raw` and the whitened one as
 * `image`, which every search compares (the vector store writes upserted image vectors to
 * `image_raw` there). The transform is fitted on the raw vectors of the collection's crops (no
 * label read), stored in PostgreSQL (`collection_whitenings`), and applied by search to every
 * embedded query image. At the end of each ingestion into the collection this stage fits it the
 * first time, refits it once the collection holds more than REFIT_GROWTH times the crops it was
 * fitted with (rewriting every point's `image`), and otherwise whitens the points that have no
 * `image` yet (those this ingestion wrote). Until then a new point has no `image` and no image
 * search finds it.
 */
export const REFIT_GROWTH = 2;

/** The most crops a fit reads (the first in point order): the eigen-decomposition's cost bound. */
export const FIT_SAMPLE = 20_000;

/**
 * The stage of a run into a whitened collection (nothing for any other); returns whether it
 * refitted the transform, which changed every point's `image`.
 */
export async function whitenAfterRun(backend: Backend, collection: string, recorder: RunRecorder): Promise<boolean> {
  const dimension = await backend.vectorStore.whitenedDimension(collection);
  if (dimension === null) return false;
  const { whitened, refitted } = await recorder.stage('whitening', () =>
    whitenCollection(backend, collection, dimension),
  );
  await recorder.counts({ whitened, refitted: refitted ? 1 : 0 });
  return refitted;
}

export async function whitenCollection(
  backend: Backend,
  collection: string,
  dimension: number,
): Promise<{ whitened: number; refitted: boolean }> {
  const store = backend.vectorStore;
  const crops = await store.count(collection);
  let whitening = await backend.db.whitenings.get(collection);
  const refit = whitening === null || crops > REFIT_GROWTH * whitening.collectionCrops;
  if (refit) {
    const sample: Float32Array[] = [];
    for await (const page of store.scrollVectors(collection, {}, RAW_IMAGE_VECTOR)) {
      for (const { vector } of page) sample.push(Float32Array.from(vector));
      if (sample.length >= FIT_SAMPLE) break;
    }
    sample.length = Math.min(sample.length, FIT_SAMPLE);
    const fitted: StoredWhitening = { ...fitWhitening(sample, { dimensions: dimension }), collectionCrops: crops };
    await backend.db.whitenings.save(collection, fitted);
    whitening = fitted;
  }
  let whitened = 0;
  // Crops and photo points alike; after a refit every point, else those without a whitened vector.
  const pages = store.scrollVectors(collection, {}, RAW_IMAGE_VECTOR, {
    levels: 'all',
    ...(!refit && { lacking: 'image' }),
  });
  for await (const page of pages) {
    await store.setVectors(
      collection,
      'image',
      page.map(({ payload, vector }) => ({
        cropId: payload.crop_id,
        vector: applyWhiteningTo(whitening!, Float32Array.from(vector), dimension),
      })),
    );
    whitened += page.length;
  }
  return { whitened, refitted: refit };
}
