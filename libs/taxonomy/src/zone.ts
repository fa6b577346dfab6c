import type { TaxonomyNormalizer } from './normalizer';
import { UNKNOWN } from './taxonomy';

/** How much of a crop's reference region (px²) one part polygon covers. */
export interface PartOverlap {
  label: string;
  overlap: number;
}

export interface CropZone {
  vehicle_zone: string;
  area: string;
}

/**
 * The zone and area of a crop from the parts that overlap it.
 *
 * Overlaps are summed per zone first, because a part label can appear several times (COCO parts
 * made of several polygons) and several parts map to one zone (a door and a mirror are both the
 * left side): the zone with the largest total wins, then, among that zone's parts, the area with
 * the largest total. Equal totals go to the zone (area) listed first in the taxonomy, so the
 * result never depends on the order of `overlaps`. Unknown part labels are counted by the
 * normalizer and ignored here. No part with a positive overlap gives `unknown` / `unknown`.
 */
export function zoneOfCrop(overlaps: readonly PartOverlap[], normalizer: TaxonomyNormalizer): CropZone {
  const totals = new Map<string, { total: number; areas: Map<string, number> }>();
  for (const { label, overlap } of overlaps) {
    const part = normalizer.part(label);
    if (!part || !(overlap > 0)) continue;
    const zone = totals.get(part.zone) ?? { total: 0, areas: new Map<string, number>() };
    zone.total += overlap;
    zone.areas.set(part.area, (zone.areas.get(part.area) ?? 0) + overlap);
    totals.set(part.zone, zone);
  }
  const { zones, areas } = normalizer.taxonomy;
  const zone = largest(new Map([...totals].map(([id, { total }]) => [id, total])), zones);
  const area = zone === undefined ? undefined : largest(totals.get(zone)?.areas ?? new Map(), areas);
  if (zone === undefined || area === undefined) return { vehicle_zone: UNKNOWN, area: UNKNOWN };
  return { vehicle_zone: zone, area };
}

/** The id with the largest total; ties go to the id that comes first in `order`. */
function largest(totals: Map<string, number>, order: readonly { id: string }[]): string | undefined {
  let best: string | undefined;
  for (const { id } of order) {
    const total = totals.get(id);
    if (total !== undefined && (best === undefined || total > (totals.get(best) ?? 0))) best = id;
  }
  return best;
}

/** What the taxonomy says of a crop: each defect's damage types, the crop's types, zone and area. */
export interface CropLabels<D> extends CropZone {
  /** The defects as given, each with `types` (every type its label names) and `type` (the first). */
  defects: (D & { type: string; types: string[] })[];
  /** The damage types of all its defects, in order of appearance, without repeats; empty for clean crops. */
  damage_types: string[];
}

/**
 * Labels a crop once, from its defects' labels and its part overlaps: phase 1 labels every crop it
 * plans with this, and phase 2 writes descriptions from the result (relabelling only when it is
 * given another taxonomy).
 */
export function labelCrop<D extends { label: string }>(
  defects: readonly D[],
  overlaps: readonly PartOverlap[],
  normalizer: TaxonomyNormalizer,
): CropLabels<D> {
  const typed = defects.map((defect) => {
    const types = normalizer.damageTypes(defect.label);
    return { ...defect, type: types[0] ?? UNKNOWN, types };
  });
  return {
    defects: typed,
    damage_types: [...new Set(typed.flatMap((defect) => defect.types))],
    ...zoneOfCrop(overlaps, normalizer),
  };
}
