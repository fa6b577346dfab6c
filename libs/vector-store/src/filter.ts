import type { Schemas } from '@qdrant/js-client-rest';

/**
 * Which crops a search, count or deletion considers. Every field narrows the set (AND); a list
 * matches crops with ANY of its values, and an empty list is the same as leaving it out.
 */
export interface CropFilter {
  hasDamage?: boolean;
  zones?: readonly string[];
  areas?: readonly string[];
  /** A crop matches when any of its damage types is listed. */
  damageTypes?: readonly string[];
  datasetId?: string;
  split?: string;
  imageIds?: readonly string[];
}

type Condition = Schemas['FieldCondition'];

export function toQdrantFilter(filter: CropFilter): Schemas['Filter'] | undefined {
  const must: Condition[] = [];
  const anyOf = (key: string, values: readonly string[] | undefined) => {
    if (values && values.length > 0) must.push({ key, match: { any: [...values] } });
  };
  if (filter.hasDamage !== undefined) must.push({ key: 'has_damage', match: { value: filter.hasDamage } });
  anyOf('vehicle_zone', filter.zones);
  anyOf('area', filter.areas);
  anyOf('damage_types', filter.damageTypes);
  anyOf('image_id', filter.imageIds);
  if (filter.datasetId !== undefined) must.push({ key: 'dataset_id', match: { value: filter.datasetId } });
  if (filter.split !== undefined) must.push({ key: 'split', match: { value: filter.split } });
  return must.length > 0 ? { must } : undefined;
}
