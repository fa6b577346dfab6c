import type { Taxonomy } from './taxonomy';

/**
 * The zones a filter on `zoneIds` matches: each zone and every zone below it (`side` →
 * `side`, `left_side`, `right_side`). Ids the taxonomy does not know are kept as they are, so they
 * still match crops stored with them.
 */
export function zonesWithin(taxonomy: Taxonomy, zoneIds: readonly string[]): string[] {
  const children = childrenByZone(taxonomy);
  const found = new Set<string>();
  const visit = (zone: string) => {
    if (found.has(zone)) return;
    found.add(zone);
    for (const child of children.get(zone) ?? []) visit(child);
  };
  zoneIds.forEach(visit);
  return [...found];
}

/** The zones whose parent is `zoneId`, in the taxonomy's order. */
export function childZones(taxonomy: Taxonomy, zoneId: string): string[] {
  return childrenByZone(taxonomy).get(zoneId) ?? [];
}

/**
 * Per-zone crop counts with each parent's count including its children's (a crop has one zone, so
 * the sums are exact). Parents without crops of their own appear when their children have some.
 * Most first, ties in the taxonomy's order.
 */
export function rollUpZoneCounts(
  taxonomy: Taxonomy,
  counts: readonly { value: string; count: number }[],
): { value: string; count: number }[] {
  const own = new Map(counts.map(({ value, count }) => [value, count]));
  const order = new Map(taxonomy.zones.map(({ id }, index) => [id, index]));
  const zones = new Set([...own.keys(), ...counts.flatMap(({ value }) => ancestors(taxonomy, value))]);
  return [...zones]
    .map((zone) => ({
      value: zone,
      count: zonesWithin(taxonomy, [zone]).reduce((sum, within) => sum + (own.get(within) ?? 0), 0),
    }))
    .filter(({ count }) => count > 0)
    .sort(
      (a, b) =>
        b.count - a.count ||
        (order.get(a.value) ?? Infinity) - (order.get(b.value) ?? Infinity) ||
        (a.value < b.value ? -1 : 1),
    );
}

function ancestors(taxonomy: Taxonomy, zoneId: string): string[] {
  const parentOf = new Map(taxonomy.zones.map(({ id, parent }) => [id, parent]));
  const found: string[] = [];
  // The taxonomy was checked for cycles when it was loaded.
  for (let parent = parentOf.get(zoneId) ?? null; parent !== null; parent = parentOf.get(parent) ?? null)
    found.push(parent);
  return found;
}

function childrenByZone(taxonomy: Taxonomy): Map<string, string[]> {
  const children = new Map<string, string[]>();
  for (const { id, parent } of taxonomy.zones) {
    if (parent !== null) children.set(parent, [...(children.get(parent) ?? []), id]);
  }
  return children;
}
