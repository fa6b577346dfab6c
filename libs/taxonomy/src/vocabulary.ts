import { DefectRagError } from '@defect-rag/runtime';
import { labelKey } from './labels';
import { UNKNOWN, type DamageType, type Taxonomy } from './taxonomy';

/** The lookups a TaxonomyNormalizer needs, built once from a taxonomy. */
export interface Vocabulary {
  /** labelKey of every name, plural and synonym → damage type id. */
  damageTypeByKey: Map<string, string>;
  /** labelKey of every part label → zone and area ids. */
  partByKey: Map<string, { zone: string; area: string }>;
  damageTypes: Map<string, DamageType>;
  zoneNames: Map<string, string>;
  areaNames: Map<string, string>;
}

const PLACEHOLDERS = {
  damaged: ['count', 'damage_type', 'vehicle_zone', 'area', 'defects'],
  clean: ['vehicle_zone', 'area'],
} as const;

/**
 * Checks what a schema cannot: references between sections, the reserved `unknown` ids, template
 * placeholders, and that no two vocabulary entries fold to the same label with different meanings
 * (`rayón` under two types would make the result depend on file order).
 */
export function validateTaxonomy(taxonomy: Taxonomy): Vocabulary {
  const fail = (key: string, message: string) => invalidTaxonomy(taxonomy, key, message);

  const damageTypes = new Map<string, DamageType>();
  const damageTypeByKey = new Map<string, string>();
  taxonomy.damageTypes.forEach((type, index) => {
    const at = `damage_types[${index}]`;
    if (type.id === UNKNOWN) throw fail(`${at}.id`, `'${UNKNOWN}' is reserved for labels the taxonomy does not know`);
    if (damageTypes.has(type.id)) throw fail(`${at}.id`, `duplicate damage type id '${type.id}'`);
    damageTypes.set(type.id, type);
    for (const term of [type.id, type.name, type.plural, ...type.synonyms]) {
      const key = labelKey(term);
      if (key === '') throw fail(at, `'${term}' has no letters left after folding`);
      const owner = damageTypeByKey.get(key);
      if (owner !== undefined && owner !== type.id) {
        throw fail(at, `'${term}' would also match damage type '${owner}'; keep it in one type only`);
      }
      damageTypeByKey.set(key, type.id);
    }
  });

  const zoneNames = new Map(taxonomy.zones.map(({ id, name }) => [id, name]));
  const areaNames = new Map(taxonomy.areas.map(({ id, name }) => [id, name]));
  if (!zoneNames.has(UNKNOWN)) throw fail('zones', `needs an '${UNKNOWN}' zone (used when no part overlaps a crop)`);
  if (!areaNames.has(UNKNOWN)) throw fail('areas', `needs an '${UNKNOWN}' area (used when no part overlaps a crop)`);
  checkZoneParents(taxonomy, zoneNames, fail);

  const partByKey = new Map<string, { zone: string; area: string }>();
  const partLabelByKey = new Map<string, string>();
  for (const { label, zone, area } of taxonomy.parts) {
    const at = `parts.${label}`;
    if (!zoneNames.has(zone))
      throw fail(`${at}.zone`, `unknown zone '${zone}' (zones: ${[...zoneNames.keys()].join(', ')})`);
    if (!areaNames.has(area))
      throw fail(`${at}.area`, `unknown area '${area}' (areas: ${[...areaNames.keys()].join(', ')})`);
    const key = labelKey(label);
    if (key === '') throw fail(at, 'the label has no letters left after folding');
    const existing = partByKey.get(key);
    if (existing && (existing.zone !== zone || existing.area !== area)) {
      throw fail(at, `'${label}' and '${partLabelByKey.get(key)}' are the same label with different zone/area`);
    }
    partByKey.set(key, { zone, area });
    partLabelByKey.set(key, label);
  }

  for (const template of ['damaged', 'clean'] as const) {
    const allowed: readonly string[] = PLACEHOLDERS[template];
    for (const [, name] of taxonomy.descriptions[template].matchAll(/\{([^{}]*)\}/g)) {
      if (!allowed.includes(name ?? '')) {
        throw fail(
          `descriptions.${template}`,
          `unknown placeholder {${name}} (allowed: ${allowed.map((p) => `{${p}}`).join(' ')})`,
        );
      }
    }
  }

  return { damageTypeByKey, partByKey, damageTypes, zoneNames, areaNames };
}

/** Every parent is another known zone (never `unknown`), and following parents never comes back to a zone. */
function checkZoneParents(
  taxonomy: Taxonomy,
  zoneNames: ReadonlyMap<string, string>,
  fail: (key: string, message: string) => DefectRagError,
): void {
  const parentOf = new Map(taxonomy.zones.map(({ id, parent }) => [id, parent]));
  for (const { id, parent } of taxonomy.zones) {
    if (parent === null) continue;
    const at = `zones.${id}.parent`;
    if (id === UNKNOWN || parent === UNKNOWN)
      throw fail(at, `'${UNKNOWN}' (no known part) can neither have nor be a parent zone`);
    if (!zoneNames.has(parent)) throw fail(at, `unknown zone '${parent}' (zones: ${[...zoneNames.keys()].join(', ')})`);
    const path = [id];
    for (let next: string | null = parent; next !== null; next = parentOf.get(next) ?? null) {
      path.push(next);
      if (next === id) throw fail(at, `the parents form a cycle: ${path.join(' → ')}`);
    }
  }
}

function invalidTaxonomy(taxonomy: Taxonomy, key: string, message: string): DefectRagError {
  const file = taxonomy.sources.at(-1) ?? '(taxonomy built in code)';
  const merged = taxonomy.sources.length > 1 ? ' (merged onto the default taxonomy)' : '';
  return new DefectRagError('TAXONOMY_INVALID', `Invalid taxonomy ${file}${merged}: ${key}: ${message}`, { file, key });
}
