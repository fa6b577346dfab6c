import { UNKNOWN } from '@defect-rag/taxonomy';

/** What the evaluation knows of a crop: the labels relevance is judged on. */
export interface CropLabels {
  cropId: string;
  hasDamage: boolean;
  zone: string;
  /** Canonical damage type ids; empty for clean crops. */
  damageTypes: readonly string[];
}

/**
 * When a retrieved train crop counts as relevant to a test crop:
 * - `damage`: both damaged or both clean (every query);
 * - `type`: they share a damage type (damaged queries with a known type only);
 * - `zone`: same vehicle zone (queries with a known zone only).
 * `unknown` types and zones never match anything, not even `unknown`: they mean "not known".
 */
export type Criterion = 'damage' | 'type' | 'zone';

export const CRITERIA: readonly Criterion[] = ['damage', 'type', 'zone'];

export function knownTypes(crop: CropLabels): string[] {
  return crop.damageTypes.filter((type) => type !== UNKNOWN);
}

/** Whether the criterion says anything about this query. */
export function appliesTo(criterion: Criterion, query: CropLabels): boolean {
  if (criterion === 'type') return query.hasDamage && knownTypes(query).length > 0;
  if (criterion === 'zone') return query.zone !== UNKNOWN;
  return true;
}

export function isRelevant(criterion: Criterion, query: CropLabels, candidate: CropLabels): boolean {
  if (criterion === 'damage') return candidate.hasDamage === query.hasDamage;
  if (criterion === 'zone') return query.zone !== UNKNOWN && candidate.zone === query.zone;
  return sharesType(knownTypes(query), candidate);
}

/** The query's damage types that the taxonomy flags as critical. */
export function criticalTypesOf(query: CropLabels, critical: ReadonlySet<string>): string[] {
  return query.damageTypes.filter((type) => critical.has(type));
}

/** A candidate is relevant for critical recall when it shows one of the query's critical types. */
export function sharesType(types: readonly string[], candidate: CropLabels): boolean {
  return types.some((type) => candidate.damageTypes.includes(type));
}
