import type { Schemas } from '@qdrant/js-client-rest';
import type { PointLevel } from '@defect-rag/runtime';

/**
 * Which crops a search, count or deletion considers. Every field narrows the set (AND); a list
 * matches crops with ANY of its values, and an empty list is the same as leaving it out.
 */
export interface CropFilter {
  /** Damaged or clean: points of unlabelled photos (damage unknown) match neither. */
  hasDamage?: boolean;
  /** Points of labelled photos, or of unlabelled ones (`labelled: false` in their payload). */
  labelled?: boolean;
  zones?: readonly string[];
  areas?: readonly string[];
  /** A crop matches when any of its damage types is listed. */
  damageTypes?: readonly string[];
  datasetId?: string;
  split?: string;
  imageIds?: readonly string[];
  /** Crops when left out, so that every search, count and scroll written before photo points keeps to crops. */
  level?: PointLevel;
}

type Condition = Schemas['FieldCondition'];

/**
 * The Qdrant filter of `filter`. `levels: 'all'` leaves points of both levels in when `filter.level`
 * is left out (deleting a dataset's points removes its photos too).
 */
export function toQdrantFilter(filter: CropFilter, levels: 'default' | 'all' = 'default'): Schemas['Filter'] {
  const must: Condition[] = [];
  const mustNot: Condition[] = [];
  const anyOf = (key: string, values: readonly string[] | undefined) => {
    if (values && values.length > 0) must.push({ key, match: { any: [...values] } });
  };
  if (filter.hasDamage !== undefined) must.push({ key: 'has_damage', match: { value: filter.hasDamage } });
  // Points written before the field existed have no `labelled` and are labelled: "not false".
  if (filter.labelled === false) must.push({ key: 'labelled', match: { value: false } });
  else if (filter.labelled === true) mustNot.push({ key: 'labelled', match: { value: false } });
  anyOf('vehicle_zone', filter.zones);
  anyOf('area', filter.areas);
  anyOf('damage_types', filter.damageTypes);
  anyOf('image_id', filter.imageIds);
  if (filter.datasetId !== undefined) must.push({ key: 'dataset_id', match: { value: filter.datasetId } });
  if (filter.split !== undefined) must.push({ key: 'split', match: { value: filter.split } });
  // Points stored before photo points existed have no `level`: "not a photo" keeps them as crops.
  if (filter.level === 'photo') must.push({ key: 'level', match: { value: 'photo' } });
  else if (filter.level === 'crop' || levels === 'default') mustNot.push({ key: 'level', match: { value: 'photo' } });
  return { ...(must.length > 0 && { must }), ...(mustNot.length > 0 && { must_not: mustNot }) };
}
