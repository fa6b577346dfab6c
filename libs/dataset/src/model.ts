import type { Problem } from '@defect-rag/runtime';
import type { Box, Part, Polygon } from './geometry';

/** One annotated damage region: a LabelMe shape, validated and clipped to the image. */
export interface Defect {
  /** Position of the shape in its LabelMe file, so a defect can be traced back to its source. */
  index: number;
  /** The label as written by the annotator (free text); the taxonomy normalises it later. */
  label: string;
  polygon: Polygon;
  /** Bounding box of the polygon, fractional pixels. */
  box: Box;
  /** Area of the polygon in px². */
  area: number;
}

/**
 * One image of a dataset. Sizes and every coordinate are in the displayed orientation: EXIF
 * orientation applied, as LabelMe shows the image when it is annotated (see `readDataset`).
 */
export interface DatasetImage {
  /** Stable id: the image's file stem plus a short hash of (dataset name, path). */
  id: string;
  /** Path relative to the dataset root, with `/` separators. */
  path: string;
  width: number;
  height: number;
  /** The EXIF orientation tag (1 when absent); 5–8 swap width and height. */
  orientation: number;
  format: string;
  /** True exactly when the image has a damage annotation file. */
  damaged: boolean;
  /**
   * False for a photo nobody has looked at: one without an annotation file in a dataset read as
   * unlabelled (`ReadDatasetOptions.unlabelled`), whose damage is unknown rather than none.
   */
  labelled: boolean;
  /** The damage annotation file, relative to the root; null for clean images. */
  annotation: string | null;
  defects: Defect[];
  /** Vehicle silhouette polygons from `poligonos.json`; empty when it has none for this image. */
  vehicle: Polygon[];
  /** Part polygons from `poligonos.json` (door, bumper…), used to derive the vehicle zone. */
  parts: Part[];
}

export interface Dataset {
  name: string;
  /** Absolute path of the dataset folder. */
  root: string;
  /** The usable images, sorted by path. Images that could not be read are only in `problems`. */
  images: DatasetImage[];
  problems: Problem[];
}
