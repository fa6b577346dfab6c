import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ERROR_CODES, readJsonFile } from '@defect-rag/runtime';
import type { CropConfig } from './config';

/** The phase-1 output file, read by phase 2 (contexts); the name the original pipeline used. */
export const PHASE1_METADATA_FILE = 'metadata_crops_phase1.json';

const boxSchema = z.object({
  x: z.number().int(),
  y: z.number().int(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});

export const cropStrategySchema = z.enum(['cluster', 'tile', 'grid']);
export type CropStrategy = z.infer<typeof cropStrategySchema>;

export const cropDefectSchema = z.object({
  /** The label as annotated. */
  label: z.string(),
  /** Canonical damage type from the taxonomy (`unknown` when it has none): the first of `types`. */
  type: z.string(),
  /** Every damage type the label names (several for a combined label such as "scratch and dent"). */
  types: z.array(z.string()).min(1),
  /** Bounding box of the visible part, in crop pixels. */
  box: boxSchema,
  /** The visible part of the polygon, [x, y] in crop pixels (absent from files written before it was recorded). */
  polygon: z.array(z.tuple([z.number(), z.number()])).default([]),
  /** Share of the defect's area inside the crop, (0, 1]. */
  visible_fraction: z.number().gt(0).max(1),
});
export type CropDefect = z.infer<typeof cropDefectSchema>;

export const cropRecordSchema = z.object({
  /** Stable id: `<image stem>_<strategy>_<hash of dataset, image path, window, crop config>`. */
  crop_id: z.string().regex(/^[A-Za-z0-9_-]+$/),
  /** Stable id of the source image (see `imageId` in @defect-rag/dataset). */
  image_id: z.string(),
  /** Source image path, relative to the dataset root. */
  image: z.string(),
  /** The crop file, relative to the output folder. */
  file: z.string(),
  /** Null for a window of an unlabelled photo: nobody has said whether it shows damage. */
  has_damage: z.boolean().nullable(),
  /** False for a window of an unlabelled photo; left out (labelled) everywhere else. */
  labelled: z.boolean().optional(),
  strategy: cropStrategySchema,
  /** The source pixels in the crop, in the displayed (EXIF-oriented) frame. */
  box: boxSchema,
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /**
   * Only for images smaller than the window: the source pixels sit at (left, top) in the crop and
   * the bands around them are `color`. Null everywhere else.
   */
  fill: z
    .object({
      color: z.tuple([z.number().int(), z.number().int(), z.number().int()]),
      left: z.number().int().min(0),
      top: z.number().int().min(0),
      right: z.number().int().min(0),
      bottom: z.number().int().min(0),
    })
    .nullable(),
  /** Every defect visible in the crop; empty for clean crops. */
  defects: z.array(cropDefectSchema),
  /** [row, col] of a clean or unlabelled crop in its image's grid; null for damage crops. */
  grid_pos: z.tuple([z.number().int(), z.number().int()]).nullable(),
  /** Share of a clean crop covered by the vehicle silhouette; null for damage crops. */
  mask_coverage: z.number().min(0).max(1).nullable(),
  /** The damage types of its defects, in order of appearance, without repeats; empty for clean crops. */
  damage_types: z.array(z.string()),
  vehicle_zone: z.string(),
  area: z.string(),
  /**
   * Pixels of the crop's reference region on each part, largest first. The reference region is
   * the whole crop for clean crops and the union of its visible defects for damage crops.
   */
  part_overlaps: z.array(z.object({ label: z.string(), overlap: z.number().int().positive() })),
  split: z.enum(['train', 'test']).nullable(),
});
export type CropRecord = z.infer<typeof cropRecordSchema>;

const problemSchema = z.object({
  item: z.string(),
  stage: z.enum(['dataset', 'crops', 'contexts', 'embedding', 'index', 'evaluate']),
  code: z.enum(ERROR_CODES),
  message: z.string(),
});

export const phase1MetadataSchema = z.object({
  dataset: z.object({ name: z.string(), root: z.string() }),
  config: z.object({
    size: z.number().int(),
    tile_overlap: z.number(),
    grid_overlap: z.number(),
    min_vehicle_coverage: z.number(),
    mask_background: z.boolean(),
    balance: z.boolean(),
    seed: z.number().int(),
    format: z.enum(['jpeg', 'png']),
    jpeg_quality: z.number().int(),
    split_file: z.string().nullable(),
  }),
  summary: z.object({
    images: z.number().int(),
    images_with_crops: z.number().int(),
    crops: z.number().int(),
    damage_crops: z.number().int(),
    clean_crops: z.number().int(),
    /** Windows of unlabelled photos (absent from files written before they existed). */
    unlabelled_crops: z.number().int().default(0),
    by_strategy: z.object({ cluster: z.number().int(), tile: z.number().int(), grid: z.number().int() }),
    /** Grid windows dropped because the vehicle covered too little of them. */
    grid_below_coverage: z.number().int(),
    /** Clean crops left out by the balance option. */
    clean_dropped_by_balance: z.number().int(),
  }),
  crops: z.array(cropRecordSchema),
  problems: z.array(problemSchema),
});
export type Phase1Metadata = z.infer<typeof phase1MetadataSchema>;
export type Phase1Summary = Phase1Metadata['summary'];

/** The `config` block of the metadata file, in the file's snake_case. */
export function configForMetadata(config: CropConfig, splitFile: string | null): Phase1Metadata['config'] {
  return {
    size: config.size,
    tile_overlap: config.tileOverlap,
    grid_overlap: config.gridOverlap,
    min_vehicle_coverage: config.minVehicleCoverage,
    mask_background: config.maskBackground,
    balance: config.balance,
    seed: config.seed,
    format: config.format,
    jpeg_quality: config.jpegQuality,
    split_file: splitFile,
  };
}

/** Reads and validates `<dir>/metadata_crops_phase1.json`. */
export async function readPhase1Metadata(dir: string): Promise<Phase1Metadata> {
  return readJsonFile(path.join(dir, PHASE1_METADATA_FILE), phase1MetadataSchema, { what: 'a phase-1 metadata file' });
}

/** Writes the metadata file (through a temporary file, so readers never see half of it). */
export async function writePhase1Metadata(dir: string, metadata: Phase1Metadata): Promise<string> {
  const file = path.join(dir, PHASE1_METADATA_FILE);
  await writeFile(`${file}.tmp`, `${JSON.stringify(metadata, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
  return file;
}
