import { partOverlaps, pixelBox, pixelRegion, type Box, type DatasetImage } from '@defect-rag/dataset';
import { labelCrop, type CropZone, type TaxonomyNormalizer } from '@defect-rag/taxonomy';
import type { CropRecord } from './metadata';

/** One annotated defect of a photo, in photo pixels, with the zone its polygon lies on. */
export interface PhotoDefect {
  label: string;
  /** Canonical damage type (`unknown` when the taxonomy has none for the label): the first of `types`. */
  type: string;
  /** Every damage type the label names, as for a crop's defects. */
  types: string[];
  zone: CropZone;
  box: Box;
  polygon: [x: number, y: number][];
}

/** A whole photo as a point of the index, beside its crops. */
export interface PhotoRecord {
  image_id: string;
  image: string;
  width: number;
  height: number;
  /** Null for an unlabelled photo: its damage is unknown. */
  has_damage: boolean | null;
  /** False for an unlabelled photo; left out (labelled) everywhere else, so labelled photos hash as before. */
  labelled?: boolean;
  defects: PhotoDefect[];
  /** The damage types of its defects, in order of appearance, without repeats; empty for clean photos. */
  damage_types: string[];
  /** The zones the photo's part polygons cover, most pixels first; empty without parts. */
  zones: CropZone[];
  /** The photo's crops in this plan (after balancing), in plan order. */
  crop_ids: string[];
  split: CropRecord['split'];
}

/**
 * Plans a photo's point from its polygons alone, like its crops: every defect labelled as a crop
 * showing it alone would be (`labelCrop`: its types, and the zone of the parts its own polygon lies
 * on), and the zones of the whole photo, which describe a clean photo.
 */
export function planPhoto(
  image: DatasetImage,
  crops: readonly CropRecord[],
  normalizer: TaxonomyNormalizer,
  split: CropRecord['split'],
): PhotoRecord {
  const defects = image.defects.map((defect): PhotoDefect => {
    const box = pixelBox(defect.box);
    const overlaps = partOverlaps(pixelRegion([defect.polygon], box), box, image.parts);
    const { defects: labelled, vehicle_zone, area } = labelCrop([{ label: defect.label }], overlaps, normalizer);
    return {
      label: defect.label,
      type: labelled[0]!.type,
      types: labelled[0]!.types,
      zone: { vehicle_zone, area },
      box,
      polygon: defect.polygon.map(([x, y]): [number, number] => [x, y]),
    };
  });
  return {
    image_id: image.id,
    image: image.path,
    width: image.width,
    height: image.height,
    has_damage: image.labelled ? image.damaged : null,
    ...(!image.labelled && { labelled: false }),
    defects,
    damage_types: [...new Set(defects.flatMap((defect) => defect.types))],
    zones: visibleZones(image, normalizer),
    crop_ids: crops.map((crop) => crop.crop_id),
    split,
  };
}

/** Each (zone, area) the photo's parts cover, most pixels first; unknown part labels are left out. */
function visibleZones(image: DatasetImage, normalizer: TaxonomyNormalizer): CropZone[] {
  const whole = { x: 0, y: 0, width: image.width, height: image.height };
  const totals = new Map<string, { zone: CropZone; pixels: number }>();
  for (const { label, overlap } of partOverlaps(null, whole, image.parts)) {
    const part = normalizer.part(label);
    if (!part) continue;
    const key = `${part.zone}/${part.area}`;
    const entry = totals.get(key) ?? { zone: { vehicle_zone: part.zone, area: part.area }, pixels: 0 };
    entry.pixels += overlap;
    totals.set(key, entry);
  }
  return [...totals.values()].sort((a, b) => b.pixels - a.pixels).map((entry) => entry.zone);
}
