/**
 * How free-text labels are compared. Labels and the taxonomy's vocabulary go through the same
 * `labelKey`, so matching is a map lookup and two vocabulary entries that would collide are found
 * when the taxonomy is loaded, not when a label happens to hit them.
 */

/** Lower case, accents folded (`daño` → `dano`), `_` and `-` read as spaces, spaces collapsed. */
export function foldLabel(label: string): string {
  return label.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/[_-]+/g, ' ').replace(/\s+/g, ' ').trim();
}

/**
 * A folded label with each word's plural ending removed. Not a real stemmer: it only has to map a
 * word and its plural to the same key, for English and Spanish (`scratch`/`scratches`,
 * `rayón`/`rayones`, `abolladura`/`abolladuras`, `hole`/`holes`). Dropping a final `s` and then a
 * final `e` does that; `ss` is kept (`glass`/`glasses`).
 */
export function labelKey(label: string): string {
  return foldLabel(label).split(' ').map(singularKey).join(' ');
}

function singularKey(word: string): string {
  let key = word;
  if (key.length > 3 && key.endsWith('s') && !key.endsWith('ss')) key = key.slice(0, -1);
  if (key.length > 3 && key.endsWith('e')) key = key.slice(0, -1);
  return key;
}

/**
 * Splits a combined label (`Rotura/Fractura`, `rayón y abolladura`, `dent, scratch`) into its
 * parts. Works on a folded label.
 */
export function splitCombinedLabel(folded: string): string[] {
  return folded
    .split(/\s*[/,;+&|]\s*|\s+(?:y|e|and|o|or|con|with)\s+/)
    .map((part) => part.trim())
    .filter((part) => part !== '');
}
