import path from 'node:path';
import { polygonArea, polygonBox, type Polygon } from './geometry';
import type { DatasetImage, Defect } from './model';
import { DEFAULT_ANNOTATION_PATTERN } from './read-dataset';

/** What the dataset side needs of an analyst's label (stored by `@defect-rag/db`, checked on entry). */
export interface AnalystShape {
  /** The image id (`DatasetImage.id`). */
  photoId: string;
  kind: 'DEFECT' | 'NO_DAMAGE';
  /** Canonical damage type id; a DEFECT's LabelMe label. */
  damageType: string | null;
  /** In the image's displayed pixels, inside it, at least 3 points: a DEFECT's outline. */
  polygon: readonly (readonly [number, number])[] | null;
}

/**
 * The effective annotation of every image: its LabelMe defects, then its analysts' DEFECT polygons
 * in the order given. The one place where stored labels meet a dataset: ingestion, the relabel run
 * and `labels export` all see images through it.
 *
 * An image with any analyst label is a labelled photo: with a defect it is damaged (its crops are
 * cut as phase 1 cuts damage), with only "no damage" marks it keeps what its files say (clean
 * when it has no annotation file).
 */
export function withAnalystLabels(images: readonly DatasetImage[], labels: readonly AnalystShape[]): DatasetImage[] {
  const byPhoto = new Map<string, AnalystShape[]>();
  for (const label of labels) byPhoto.set(label.photoId, [...(byPhoto.get(label.photoId) ?? []), label]);
  return images.map((image) => {
    const own = byPhoto.get(image.id);
    if (!own) return image;
    // An image with analyst labels is labelled, even in an unlabelled dataset.
    return labelledImage(image, own);
  });
}

function labelledImage(image: DatasetImage, labels: readonly AnalystShape[]): DatasetImage {
  let next = image.defects.reduce((max, defect) => Math.max(max, defect.index + 1), 0);
  const added: Defect[] = labels.flatMap((label) => {
    if (label.kind !== 'DEFECT' || !label.polygon || !label.damageType) return [];
    const polygon: Polygon = label.polygon;
    return [{ index: next++, label: label.damageType, polygon, box: polygonBox(polygon), area: polygonArea(polygon) }];
  });
  // Only "no damage here" marks: a photo whose damage was unknown becomes a labelled clean photo.
  if (added.length === 0) return { ...image, labelled: true };
  return { ...image, labelled: true, damaged: true, defects: [...image.defects, ...added] };
}

/** The dataset-relative path of an image's damage file, as `readDataset` finds it: `annotations/<stem>…`. */
export function annotationPathOf(imagePath: string, pattern = DEFAULT_ANNOTATION_PATTERN): string {
  const stem = path.posix.basename(imagePath, path.posix.extname(imagePath));
  return `annotations/${pattern.replace('{stem}', stem)}`;
}

/**
 * A LabelMe file of an image: the shapes of its original file (`original`, its text; kept as
 * written, unknown fields included), then one polygon per analyst DEFECT label.
 */
export function mergedLabelMe(
  image: Pick<DatasetImage, 'path' | 'width' | 'height'>,
  original: string | null,
  labels: readonly (AnalystShape & { id: string; author: string; createdAt: Date })[],
): Record<string, unknown> {
  const base = original === null ? {} : (JSON.parse(original) as Record<string, unknown>);
  const shapes = Array.isArray(base.shapes) ? (base.shapes as unknown[]) : [];
  return {
    version: '5.0.1',
    flags: {},
    imageData: null,
    ...base,
    imagePath: typeof base.imagePath === 'string' ? base.imagePath : `../${image.path}`,
    imageWidth: image.width,
    imageHeight: image.height,
    shapes: [
      ...shapes,
      ...labels.flatMap((label) =>
        label.kind === 'DEFECT' && label.polygon && label.damageType
          ? [
              {
                label: label.damageType,
                points: label.polygon.map(([x, y]) => [x, y]),
                group_id: null,
                shape_type: 'polygon',
                flags: {},
                description: `defect-rag analyst label ${label.id} by ${label.author}, ${label.createdAt.toISOString()}`,
              },
            ]
          : [],
      ),
    ],
  };
}
