import path from 'node:path';
import { describePhoto } from '@defect-rag/contexts';
import type { PhotoRecord } from '@defect-rag/crops';
import { embedPhotos, type Embedder, type FusionOptions, type PhotoView } from '@defect-rag/embedding';
import { isDefectRagError, type DefectRagError, type Problem } from '@defect-rag/runtime';
import type { TaxonomyNormalizer } from '@defect-rag/taxonomy';
import { photoPointKey, type CropPoint, type StoredCropRef } from '@defect-rag/vector-store';
import type { Backend, RunRecorder } from '@defect-rag/runs';

export interface PhotoIngestion {
  /** Photo points of the dataset in the index. */
  points: number;
  /** Photos embedded by this run. */
  embedded: number;
  /** Photos already stored with the same content. */
  unchanged: number;
  /** Photo points of photos no longer in the dataset, deleted. */
  removed: number;
  view: PhotoView;
}

/** What making photo points needs, in whichever process makes them. */
export interface PhotoPointContext {
  backend: Backend;
  embedder: Embedder;
  root: string;
  collection: string;
  datasetId: string;
  fusion: FusionOptions;
  normalizer: TaxonomyNormalizer;
  /** The damage types the taxonomy marks critical (`criticalTypesOf`). */
  criticalTypes: ReadonlySet<string>;
  view: PhotoView;
  contentHash: (photo: PhotoRecord) => string;
  /** Times the upserts (the run's `index` stage). */
  timed: <T>(stage: string, work: () => Promise<T>) => Promise<T>;
}

export interface PhotoIngestionContext extends PhotoPointContext {
  recorder: RunRecorder;
  signal?: AbortSignal;
  photos: readonly PhotoRecord[];
  resplit: (
    items: readonly { key: string; split: PhotoRecord['split'] }[],
    stored: ReadonlyMap<string, StoredCropRef>,
    changed: ReadonlySet<string>,
  ) => Promise<number>;
}

/** The photo points a run must make, and what the index holds: `planPhotoPoints`. */
export interface PhotoPointPlan {
  stored: ReadonlyMap<string, StoredCropRef>;
  planned: readonly { photo: PhotoRecord; key: string }[];
  /** Photos whose point is missing or stored with another content hash. */
  todo: readonly PhotoRecord[];
}

/**
 * Brings the dataset's photo points up to date, as crops are: a photo stored with the same content
 * hash is left alone (its split rewritten if it moved), the others are described, embedded and
 * upserted a batch at a time, and points of photos that are gone are deleted. A run killed
 * midway leaves whole points only, so the next run finishes the rest.
 */
export async function ingestPhotos(context: PhotoIngestionContext): Promise<PhotoIngestion> {
  const { embedder, recorder } = context;
  const plan = await planPhotoPoints(context);
  let embedded = 0;
  await recorder.progress('photos', 0, plan.todo.length);
  for (let start = 0; start < plan.todo.length; start += embedder.batchSize) {
    await recorder.checkCancelled(context.signal);
    const batch = plan.todo.slice(start, start + embedder.batchSize);
    await recorder.addProblems(await storePhotoPoints(context, batch));
    embedded += batch.length;
    await recorder.progress('photos', embedded, plan.todo.length);
  }
  return removeObsoletePhotoPoints(context, plan, embedded);
}

/** Which photo points are missing or changed; rewrites the split of unchanged ones that moved. */
export async function planPhotoPoints(context: PhotoIngestionContext): Promise<PhotoPointPlan> {
  const { backend, collection, datasetId } = context;
  const stored = new Map(
    (await backend.vectorStore.scrollPayloads(collection, { datasetId, level: 'photo' })).map((ref) => [
      ref.cropId,
      ref,
    ]),
  );
  const planned = context.photos.map((photo) => ({
    photo,
    key: photoPointKey(photo.image_id),
    contentHash: context.contentHash(photo),
  }));
  const todo = planned.filter((item) => stored.get(item.key)?.contentHash !== item.contentHash);
  await context.resplit(
    planned.map(({ key, photo }) => ({ key, split: photo.split })),
    stored,
    new Set(todo.map((item) => item.key)),
  );
  return { stored, planned, todo: todo.map((item) => item.photo) };
}

/** Deletes the points of photos no longer planned, once the todo is done; returns the run's photo figures. */
export async function removeObsoletePhotoPoints(
  context: PhotoIngestionContext,
  plan: PhotoPointPlan,
  embedded: number,
): Promise<PhotoIngestion> {
  const { backend, collection, datasetId } = context;
  const wanted = new Set(plan.planned.map((item) => item.key));
  const obsolete = [...plan.stored.keys()].filter((key) => !wanted.has(key));
  await backend.vectorStore.deletePoints(collection, { cropIds: obsolete });
  return {
    points: await backend.vectorStore.count(collection, { datasetId, level: 'photo' }),
    embedded,
    unchanged: plan.planned.length - plan.todo.length,
    removed: obsolete.length,
    view: context.view,
  };
}

/**
 * Describes, embeds and upserts the points of these photos (at most a model batch); a photo that
 * cannot be decoded makes no point and is returned as a problem instead.
 */
export async function storePhotoPoints(context: PhotoPointContext, photos: readonly PhotoRecord[]): Promise<Problem[]> {
  const batch = photos.map((photo) => ({
    photo,
    key: photoPointKey(photo.image_id),
    contentHash: context.contentHash(photo),
    file: path.join(context.root, photo.image),
    text: describePhoto(photo.defects, photo.zones, context.normalizer, photo.labelled !== false),
  }));
  const { vectors, problems } = await embedOrReport(context, batch);
  const points = batch.flatMap((item, i): CropPoint[] => {
    const vector = vectors[i];
    return vector ? [{ cropId: item.key, vectors: vector, payload: photoPayload(context, item) }] : [];
  });
  await context.timed('index', () => context.backend.vectorStore.upsert(context.collection, points));
  return problems;
}

const IMAGE_ERRORS = new Set<string>(['IMAGE_DECODE_FAILED', 'IMAGE_NOT_FOUND', 'IMAGE_TOO_LARGE']);

type PhotoToStore = { photo: PhotoRecord; key: string; contentHash: string; file: string; text: string };

/**
 * The batch's vectors; when a photo cannot be decoded, the batch again one photo at a time, and
 * each photo that fails becomes a problem (undefined in its place) instead of stopping the run.
 */
async function embedOrReport(context: PhotoPointContext, batch: readonly PhotoToStore[]) {
  const embed = (items: readonly PhotoToStore[]) => embedPhotos(context.embedder, items, context.fusion, context.view);
  const isImageError = (error: unknown): error is DefectRagError =>
    isDefectRagError(error) && IMAGE_ERRORS.has(error.code);
  try {
    return { vectors: await embed(batch), problems: [] };
  } catch (error) {
    if (!isImageError(error)) throw error;
  }
  const vectors = [];
  const problems: Problem[] = [];
  for (const item of batch) {
    try {
      vectors.push((await embed([item]))[0]);
    } catch (error) {
      if (!isImageError(error)) throw error;
      problems.push({
        item: item.photo.image,
        stage: 'embedding',
        code: error.code,
        message: `photo point not made: ${error.message}`,
      });
      vectors.push(undefined);
    }
  }
  return { vectors, problems };
}

function photoPayload(context: PhotoPointContext, item: PhotoToStore): CropPoint['payload'] {
  const { photo } = item;
  const main = photo.defects[0]?.zone ?? photo.zones[0] ?? { vehicle_zone: 'unknown', area: 'unknown' };
  const whole = { x: 0, y: 0, width: photo.width, height: photo.height };
  return {
    crop_id: item.key,
    level: 'photo',
    dataset_id: context.datasetId,
    image_id: photo.image_id,
    image: photo.image,
    file: photo.image,
    split: photo.split ?? null,
    has_damage: photo.has_damage,
    labelled: photo.labelled !== false,
    // The zone of its first defect, else the zone it shows most: what a zone filter matches.
    vehicle_zone: main.vehicle_zone,
    area: main.area,
    damage_types: photo.damage_types,
    // As a crop's, in the point's own pixels (the whole photo's).
    defects: photo.defects.map(({ label, type, box, polygon }) => ({
      label,
      type,
      box,
      polygon,
      visible_fraction: 1,
      critical: context.criticalTypes.has(type),
    })),
    text_description: item.text,
    grid_pos: null,
    box: whole,
    strategy: 'photo',
    model_id: context.embedder.modelId,
    content_hash: item.contentHash,
    photo: {
      width: photo.width,
      height: photo.height,
      zones: [
        ...new Set([
          ...photo.defects.map((defect) => defect.zone.vehicle_zone),
          ...photo.zones.map((zone) => zone.vehicle_zone),
        ]),
      ],
      defects: photo.defects.map(({ label, type, zone, box, polygon }) => ({
        label,
        type,
        zone: zone.vehicle_zone,
        area: zone.area,
        box,
        polygon,
        critical: context.criticalTypes.has(type),
      })),
      crop_ids: photo.crop_ids,
      view: context.view,
    },
  };
}
