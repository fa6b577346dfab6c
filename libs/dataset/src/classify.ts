import { partOverlaps, pixelBox, pixelRegion, polygonBox, unionBox, type PartOverlap, type Polygon } from './geometry';
import type { DatasetImage } from './model';

/**
 * How labels and regions are named. The dataset library knows only raw labels; the pipeline passes
 * one backed by the taxonomy, so analysis and split speak the same canonical names as the crops.
 */
export interface DefectClassifier {
  /** The canonical damage type of a free-text label. */
  damageType(label: string): string;
  /** The vehicle zone of a region, from how many of its pixels fall on each part (largest first). */
  zone(overlaps: PartOverlap[]): string;
}

/** Raw labels as types, and the most-overlapped part label as the zone. */
export const rawLabelClassifier: DefectClassifier = {
  damageType: (label) => label,
  zone: (overlaps) => overlaps[0]?.label ?? 'unknown',
};

/** How many pixels of the union of `polygons` fall on each of the image's parts. */
export function regionPartOverlaps(polygons: readonly Polygon[], image: Pick<DatasetImage, 'parts'>): PartOverlap[] {
  if (polygons.length === 0 || image.parts.length === 0) return [];
  const window = pixelBox(unionBox(polygons.map(polygonBox)));
  return partOverlaps(pixelRegion(polygons, window), window, image.parts);
}

/**
 * What an image is mostly about, for stratifying: the damage type covering the largest area and
 * the zone of all its damage (damaged), or the zone of its vehicle silhouette, or of the whole frame without one (clean).
 */
export function dominantClass(
  image: DatasetImage,
  classifier: DefectClassifier,
): { damageType: string | null; zone: string } {
  if (!image.damaged) {
    const { width, height } = image;
    const frame: Polygon = [
      [0, 0],
      [width, 0],
      [width, height],
      [0, height],
    ];
    const vehicle = image.vehicle.length > 0 ? image.vehicle : [frame];
    return { damageType: null, zone: classifier.zone(regionPartOverlaps(vehicle, image)) };
  }
  const areaByType = new Map<string, number>();
  for (const defect of image.defects) {
    const type = classifier.damageType(defect.label);
    areaByType.set(type, (areaByType.get(type) ?? 0) + defect.area);
  }
  const [damageType = null] = [...areaByType]
    .sort(([a, areaA], [b, areaB]) => areaB - areaA || a.localeCompare(b))
    .map(([type]) => type);
  const zone = classifier.zone(
    regionPartOverlaps(
      image.defects.map((d) => d.polygon),
      image,
    ),
  );
  return { damageType, zone };
}
