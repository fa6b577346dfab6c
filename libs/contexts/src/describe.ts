import { UNKNOWN, type CropZone, type TaxonomyNormalizer } from '@defect-rag/taxonomy';

/**
 * The text of a crop with defects: the taxonomy's `damaged` template. `defectTypes` holds, for each
 * defect the crop shows, the damage types its label names (several for a combined label).
 *
 * - `{count}` is the number of defects; `{damage_type}` their type in singular or plural, or the
 *   taxonomy's `mixed` noun ("defects") when they are of several types or of none it knows;
 * - `{defects}` lists the crop's own defects, equal ones grouped: "2 scratches, dent".
 * With `enrich`, each known type's visual description follows as its own sentence.
 */
export function describeDamaged(
  defectTypes: readonly (readonly string[])[],
  zone: CropZone,
  normalizer: TaxonomyNormalizer,
  enrich: boolean,
): string {
  const { damaged, mixed } = normalizer.taxonomy.descriptions;
  const count = defectTypes.length;
  const types = [...new Set(defectTypes.flat())];
  const single = types.length === 1 ? normalizer.damageTypeInfo(types[0] ?? UNKNOWN) : undefined;
  const noun = single ?? mixed;
  const text = fill(damaged, {
    count: String(count),
    damage_type: count === 1 ? noun.name : noun.plural,
    vehicle_zone: normalizer.zoneName(zone.vehicle_zone),
    area: normalizer.areaName(zone.area),
    defects: listDefects(defectTypes, normalizer),
  });
  if (!enrich) return text;
  const visuals = types.flatMap((id) => {
    const visual = normalizer.damageTypeInfo(id)?.visual;
    return visual ? [`${visual.charAt(0).toUpperCase()}${visual.slice(1)}.`] : [];
  });
  return [text, ...visuals].join(' ');
}

/** The text of a crop without defects: the taxonomy's `clean` template, negative wording kept. */
export function describeClean(zone: CropZone, normalizer: TaxonomyNormalizer): string {
  return fill(normalizer.taxonomy.descriptions.clean, {
    vehicle_zone: normalizer.zoneName(zone.vehicle_zone),
    area: normalizer.areaName(zone.area),
  });
}

/**
 * The text of a window of an unlabelled photo: where it is, and that nobody has inspected it. It
 * claims neither damage nor its absence, so its text vector leans on neither side.
 */
export function describeUnlabelled(zone: CropZone, normalizer: TaxonomyNormalizer): string {
  return `Section of ${normalizer.zoneName(zone.vehicle_zone)} (${normalizer.areaName(zone.area)}), not inspected. Inspection grid section.`;
}

/** "scratch", or "2 scratches, dent, scratch and dent" for several, in the crop's order. */
function listDefects(defectTypes: readonly (readonly string[])[], normalizer: TaxonomyNormalizer): string {
  const { mixed } = normalizer.taxonomy.descriptions;
  const groups = new Map<string, { singular: string; plural: string; count: number }>();
  for (const types of defectTypes) {
    const nouns = types.map((id) => normalizer.damageTypeInfo(id) ?? mixed);
    const singular = nouns.map((noun) => noun.name).join(' and ');
    const group = groups.get(singular) ?? {
      singular,
      plural: nouns.map((noun) => noun.plural).join(' and '),
      count: 0,
    };
    group.count += 1;
    groups.set(singular, group);
  }
  return [...groups.values()]
    .map(({ singular, plural, count }) => (count === 1 ? singular : `${count} ${plural}`))
    .join(', ');
}

function fill(template: string, values: Record<string, string>): string {
  // The taxonomy loader has checked that templates use only known placeholders.
  return template.replace(/\{(\w+)\}/g, (placeholder, name: string) => values[name] ?? placeholder);
}
