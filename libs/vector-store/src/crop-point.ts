import { z } from 'zod';
import { POINT_LEVELS } from '@defect-rag/runtime';

const boxSchema = z.object({ x: z.number(), y: z.number(), width: z.number(), height: z.number() });

/** One annotated defect of a photo, in photo pixels, with the zone its polygon lies on. */
const photoDefectSchema = z.object({
  label: z.string(),
  type: z.string(),
  zone: z.string(),
  area: z.string(),
  box: boxSchema,
  polygon: z.array(z.tuple([z.number(), z.number()])),
  /** Photo points written before the critical flag read as false until ingested again. */
  critical: z.boolean().default(false),
});

/** What only a photo point carries. */
const photoSchema = z.object({
  width: z.number(),
  height: z.number(),
  /** The zones the photo shows, most of the photo first. */
  zones: z.array(z.string()),
  defects: z.array(photoDefectSchema),
  /** The photo's crop points (their `image_id` is this photo's). */
  crop_ids: z.array(z.string()),
  /** How the image vector saw the photo (see `PhotoView` in @defect-rag/embedding). */
  view: z.enum(['tiles', 'resized']),
});

/**
 * What every point carries besides its vectors, with the snake_case keys it is stored under.
 * Payloads read back from Qdrant are parsed with this schema: the collection may have been written
 * by another version of the pipeline, so this is where their shape is checked.
 */
export const cropPayloadSchema = z.object({
  /** A crop's id, or a photo point's `photo:<image_id>` (see `photoPointKey`). */
  crop_id: z.string(),
  /** Points written before photo points existed are crops. */
  level: z.enum(POINT_LEVELS).default('crop'),
  dataset_id: z.string(),
  /** The photo: a crop names its photo by it, and a photo point is `photo:<image_id>`. */
  image_id: z.string(),
  /** The source image, relative to the dataset root. */
  image: z.string(),
  /** The crop's own image file. */
  file: z.string(),
  /** Qdrant drops a key set to null by a payload update (setSplit), so a missing split reads as none. */
  split: z.string().nullable().default(null),
  /** Null for a window or photo nobody has labelled: whether it shows damage is unknown. */
  has_damage: z.boolean().nullable(),
  /** False for the points of unlabelled photos; points written before it existed are labelled. */
  labelled: z.boolean().default(true),
  vehicle_zone: z.string(),
  area: z.string(),
  damage_types: z.array(z.string()),
  defects: z.array(
    z.object({
      label: z.string(),
      type: z.string(),
      box: boxSchema,
      // Points written before polygons and the critical flag were stored read as none and false;
      // re-ingesting rewrites them (the crop records, which carry the polygons, are part of the content hash).
      polygon: z.array(z.tuple([z.number(), z.number()])).default([]),
      visible_fraction: z.number(),
      critical: z.boolean().default(false),
    }),
  ),
  text_description: z.string(),
  /** Row and column of a clean or unlabelled window in its grid; null for damage crops. */
  grid_pos: z.tuple([z.number(), z.number()]).nullable(),
  /** The crop window in source-image pixels. */
  box: boxSchema,
  strategy: z.string(),
  model_id: z.string(),
  /** Set by the pipeline from everything that went into the point, to tell changed crops apart. */
  content_hash: z.string(),
  /** Photo points only. */
  photo: photoSchema.optional(),
});

export type CropPayload = z.infer<typeof cropPayloadSchema>;
export type PhotoPayload = z.infer<typeof photoSchema>;
export type PhotoDefect = z.infer<typeof photoDefectSchema>;

/**
 * The key (`crop_id`) of a photo's point: crop ids never hold a `:`, so it cannot collide with a
 * crop's, and its point id is a UUID of it like any crop's.
 */
export function photoPointKey(imageId: string): string {
  return `photo:${imageId}`;
}

export type Vector = Float32Array | readonly number[];

/**
 * The embeddings of one crop, each of its named vector's size in the collection. A model with both towers
 * gives all three; an image-only model gives `image` alone (its collection has no other vectors).
 */
export interface CropVectors {
  fused?: Vector;
  image: Vector;
  text?: Vector;
}

export interface CropPoint {
  cropId: string;
  vectors: CropVectors;
  payload: CropPayload;
}

/** A point read back; `vectors` only when asked for. */
export interface StoredCropPoint {
  cropId: string;
  payload: CropPayload;
  vectors?: { image: number[]; text?: number[]; fused?: number[] };
}

/** The fields a re-run needs to tell which crops are already stored and whether they changed. */
export interface StoredCropRef {
  cropId: string;
  imageId: string;
  contentHash: string;
  split: CropPayload['split'];
}

export const storedCropRefSchema = cropPayloadSchema
  .pick({ crop_id: true, image_id: true, content_hash: true, split: true })
  .transform((ref): StoredCropRef => ({
    cropId: ref.crop_id,
    imageId: ref.image_id,
    contentHash: ref.content_hash,
    split: ref.split,
  }));
