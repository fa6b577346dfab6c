import { foldLabel, labelKey, splitCombinedLabel } from './labels';
import { UNKNOWN, type DamageType, type Taxonomy } from './taxonomy';
import { validateTaxonomy, type Vocabulary } from './vocabulary';

/** A label the taxonomy could not resolve, with how many lookups hit it. */
export interface UnknownLabel {
  kind: 'damage' | 'part';
  /** The label as it was given (not folded), so users can find it in their files. */
  label: string;
  count: number;
}

/**
 * Turns free-text labels into the taxonomy's canonical ids. Labels it cannot resolve come back as
 * `unknown` and are counted, so callers can report them (or fail with `--strict`) instead of
 * losing them.
 */
export class TaxonomyNormalizer {
  private readonly vocabulary: Vocabulary;
  private readonly unknown = new Map<string, UnknownLabel>();

  constructor(readonly taxonomy: Taxonomy) {
    this.vocabulary = validateTaxonomy(taxonomy);
  }

  /** The canonical damage type of a label: the first one a combined label names, or `unknown`. */
  damageType(label: string): string {
    return this.damageTypes(label)[0] ?? UNKNOWN;
  }

  /**
   * Every damage type a label names, in the label's order and without repeats: `Rotura/Fractura` →
   * `['fracture']`, `rayón y abolladura` → `['scratch', 'dent']`, `xyz` → `['unknown']`. The whole
   * label is tried first, so a synonym such as `cristal roto` wins over its words. A combined label
   * with an unrecognised part keeps the parts it knows and is still counted as unknown.
   */
  damageTypes(label: string): string[] {
    const whole = this.vocabulary.damageTypeByKey.get(labelKey(label));
    if (whole !== undefined) return [whole];
    const found: string[] = [];
    let missing = false;
    for (const piece of splitCombinedLabel(foldLabel(label))) {
      const id = this.vocabulary.damageTypeByKey.get(labelKey(piece));
      if (id === undefined) missing = true;
      else if (!found.includes(id)) found.push(id);
    }
    if (missing || found.length === 0) this.countUnknown('damage', label);
    return found.length > 0 ? found : [UNKNOWN];
  }

  /** The zone and area of a part label, or null (counted as unknown) when the taxonomy lacks it. */
  part(label: string): { zone: string; area: string } | null {
    const mapping = this.vocabulary.partByKey.get(labelKey(label));
    if (mapping) return { ...mapping };
    this.countUnknown('part', label);
    return null;
  }

  /** Labels that did not resolve so far, most frequent first. */
  unknownLabels(): UnknownLabel[] {
    return [...this.unknown.values()]
      .map((entry) => ({ ...entry }))
      .sort((a, b) => a.kind.localeCompare(b.kind) || b.count - a.count || a.label.localeCompare(b.label));
  }

  damageTypeInfo(id: string): DamageType | undefined {
    return this.vocabulary.damageTypes.get(id);
  }

  /** The words a description uses for a zone id; the `unknown` zone's name for ids it lacks. */
  zoneName(id: string): string {
    return this.vocabulary.zoneNames.get(id) ?? this.vocabulary.zoneNames.get(UNKNOWN) ?? UNKNOWN;
  }

  areaName(id: string): string {
    return this.vocabulary.areaNames.get(id) ?? this.vocabulary.areaNames.get(UNKNOWN) ?? UNKNOWN;
  }

  private countUnknown(kind: UnknownLabel['kind'], label: string): void {
    const key = `${kind}\u0000${label}`;
    const entry = this.unknown.get(key);
    if (entry) entry.count += 1;
    else this.unknown.set(key, { kind, label, count: 1 });
  }
}
