/** A zone of the taxonomy as the search form lists it: under its parent, indented by its depth. */
export interface ZoneEntry {
  id: string;
  name: string;
  depth: number;
}

/**
 * The zones with each one's children right after it (in the taxonomy's order), so the form shows
 * the hierarchy: `side`, then `left side` and `right side` indented below it. A zone whose parent
 * is not in the list is shown at the top level.
 */
export function zonesAsTree(zones: readonly { id: string; name: string; parent?: string | null }[]): ZoneEntry[] {
  const ids = new Set(zones.map((zone) => zone.id));
  const isTop = (zone: (typeof zones)[number]) => !zone.parent || !ids.has(zone.parent);
  const entries: ZoneEntry[] = [];
  const visit = (zone: (typeof zones)[number], depth: number) => {
    entries.push({ id: zone.id, name: zone.name, depth });
    for (const child of zones) if (child.parent === zone.id && child.id !== zone.id) visit(child, depth + 1);
  };
  for (const zone of zones) if (isTop(zone)) visit(zone, 0);
  return entries;
}
