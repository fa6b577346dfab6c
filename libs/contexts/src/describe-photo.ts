import type { CropZone, TaxonomyNormalizer } from '@defect-rag/taxonomy';

/** A photo's defect as its description needs it: the damage types its label names and its zone. */
export interface PhotoDefectContext {
  types: readonly string[];
  zone: CropZone;
}

/**
 * The text of a whole photo, for the same text tower and fusion as its crops.
 *
 * - with defects, all of them grouped by type and zone, largest group first (then in order of
 *   appearance): "3 defects: 2 scratches on front (bumper), dent on side (door).";
 * - without, the negative wording of clean crops (what separates them in the vector space) and
 *   the zones the photo shows: "Clean vehicle. No defects visible. Visible zones: front (bumper,
 *   headlamp), side (door).";
 * - unlabelled (`labelled` false), neither claim: "Vehicle, not inspected. Visible zones: …".
 */
export function describePhoto(
  defects: readonly PhotoDefectContext[],
  zones: readonly CropZone[],
  normalizer: TaxonomyNormalizer,
  labelled = true,
): string {
  const { mixed } = normalizer.taxonomy.descriptions;
  const place = (zone: CropZone) => `${normalizer.zoneName(zone.vehicle_zone)} (${normalizer.areaName(zone.area)})`;
  if (defects.length > 0) {
    const groups = new Map<string, { singular: string; plural: string; where: string; count: number }>();
    for (const { types, zone } of defects) {
      const nouns = types.map((id) => normalizer.damageTypeInfo(id) ?? mixed);
      const singular = nouns.map((noun) => noun.name).join(' and ');
      const where = place(zone);
      const key = `${singular} on ${where}`;
      const group = groups.get(key) ?? {
        singular,
        plural: nouns.map((noun) => noun.plural).join(' and '),
        where,
        count: 0,
      };
      group.count += 1;
      groups.set(key, group);
    }
    const list = [...groups.values()]
      .sort((a, b) => b.count - a.count)
      .map(({ singular, plural, where, count }) => `${count === 1 ? singular : `${count} ${plural}`} on ${where}`);
    const count = defects.length === 1 ? `1 ${mixed.name}` : `${defects.length} ${mixed.plural}`;
    return `${count}: ${list.join(', ')}.`;
  }
  const areasByZone = new Map<string, string[]>();
  for (const zone of zones) {
    const name = normalizer.zoneName(zone.vehicle_zone);
    areasByZone.set(name, [...(areasByZone.get(name) ?? []), normalizer.areaName(zone.area)]);
  }
  const visible = [...areasByZone].map(([zone, areas]) => `${zone} (${[...new Set(areas)].join(', ')})`);
  const shown = visible.length > 0 ? ` Visible zones: ${visible.join(', ')}.` : '';
  return labelled ? `Clean vehicle. No defects visible.${shown}` : `Vehicle, not inspected.${shown}`;
}
