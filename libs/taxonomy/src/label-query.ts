import { DefectRagError } from '@defect-rag/runtime';
import { foldLabel, labelKey } from './labels';
import { UNKNOWN, type Taxonomy } from './taxonomy';
import { validateTaxonomy } from './vocabulary';

/** What a text query names, in the taxonomy's ids: damage types and vehicle zones. */
export interface LabelQuery {
  damageTypes: string[];
  zones: string[];
}

/** Words that join the names in a query ("rayón en la puerta", "dent on the front"): skipped. */
const JOINING_WORDS = new Set(
  'a al and at con de del e el en la las los on or of in the with y o un una near cerca por'.split(' '),
);

/** Longest run of words tried as one name (`deep scratch`, `left side`, `front left door`). */
const MAX_NAME_WORDS = 4;

/**
 * Reads a text query as the taxonomy's damage types and zones, for models without a text tower
 * (their text queries are answered by label prototypes). Every damage-type name, plural and
 * synonym (Spanish and English) counts, and so do zone ids, zone names and part labels (a part
 * stands for its zone). Longest names win (`deep scratch` over `scratch`); joining words are
 * skipped. A word the taxonomy does not know is BAD_INPUT listing the vocabulary, so the user
 * sees what can be asked instead of a silently partial search.
 */
export function parseLabelQuery(taxonomy: Taxonomy, text: string): LabelQuery {
  const vocabulary = validateTaxonomy(taxonomy);
  const zoneByKey = new Map<string, string>();
  for (const [key, { zone }] of vocabulary.partByKey) zoneByKey.set(key, zone);
  for (const [id, name] of vocabulary.zoneNames) {
    if (id === UNKNOWN) continue;
    zoneByKey.set(labelKey(id), id);
    zoneByKey.set(labelKey(name), id);
  }
  const words = foldLabel(text)
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word !== '');
  const found: LabelQuery = { damageTypes: [], zones: [] };
  const unknown: string[] = [];
  for (let start = 0; start < words.length;) {
    let matched = 0;
    for (let size = Math.min(MAX_NAME_WORDS, words.length - start); size > 0 && matched === 0; size--) {
      const key = labelKey(words.slice(start, start + size).join(' '));
      const type = vocabulary.damageTypeByKey.get(key);
      const zone = zoneByKey.get(key);
      if (type !== undefined && type !== UNKNOWN) add(found.damageTypes, type);
      else if (zone !== undefined && zone !== UNKNOWN) add(found.zones, zone);
      else continue;
      matched = size;
    }
    if (matched === 0 && !JOINING_WORDS.has(words[start]!)) unknown.push(words[start]!);
    start += Math.max(matched, 1);
  }
  if (unknown.length > 0 || found.damageTypes.length + found.zones.length === 0) {
    const types = taxonomy.damageTypes.map((type) => type.name).join(', ');
    const zones = [...vocabulary.zoneNames].filter(([id]) => id !== UNKNOWN).map(([, name]) => name);
    throw new DefectRagError(
      'BAD_INPUT',
      `${unknown.length > 0 ? `the taxonomy does not know ${unknown.map((word) => `"${word}"`).join(', ')}` : 'the text names no damage type or zone'}: ` +
        `a model without a text tower answers text by the labels it names. Damage types: ${types} ` +
        `(and their synonyms); zones: ${zones.join(', ')} (and part names)`,
    );
  }
  return found;
}

function add(list: string[], id: string): void {
  if (!list.includes(id)) list.push(id);
}
