import { z } from 'zod';

/** The id every lookup falls back to: unknown damage type, zone and area. */
export const UNKNOWN = 'unknown';

export interface DamageType {
  /** Canonical id, stored in metadata and used in search filters: `scratch`, `deep_scratch`. */
  id: string;
  /** English words written into descriptions. */
  name: string;
  plural: string;
  /** Critical types are weighted in evaluation (critical recall). */
  critical: boolean;
  /** A short visual description, added to crop descriptions when enrichment is on. */
  visual: string;
  /** Other labels (Spanish and English) that mean this type. */
  synonyms: string[];
}

/** A zone (`front`, `left_side`) or area (`bumper`, `door`): id in metadata, name in descriptions. */
export interface NamedId {
  id: string;
  name: string;
}

/**
 * A vehicle zone. A zone with a `parent` is a part of it (`left_side` of `side`): crops keep the
 * most specific zone, and a filter or a count on the parent includes its children.
 */
export interface Zone extends NamedId {
  parent: string | null;
}

export interface PartMapping {
  /** A part label as annotated in poligonos.json (`front_left_door`, `headlamp`). */
  label: string;
  zone: string;
  area: string;
}

export interface DescriptionTemplates {
  /** Placeholders: {count} {damage_type} {vehicle_zone} {area} {defects}. */
  damaged: string;
  /** Placeholders: {vehicle_zone} {area}. */
  clean: string;
  /** The noun for a crop with several damage types, or only unknown ones. */
  mixed: { name: string; plural: string };
}

/**
 * A loaded, validated taxonomy. Lists keep the file's order, which is also the tie-break order
 * (see `zoneOfCrop`).
 */
export interface Taxonomy {
  /** The files it was read from: the default, then the override when there is one. */
  sources: string[];
  damageTypes: DamageType[];
  zones: Zone[];
  areas: NamedId[];
  parts: PartMapping[];
  descriptions: DescriptionTemplates;
}

const text = z.string().trim().min(1);
const id = z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be lower_snake_case');

export const damageTypeSchema = z.strictObject({
  id,
  name: text,
  plural: text,
  critical: z.boolean(),
  visual: text,
  synonyms: z.array(text).default([]),
});

const partSchema = z.strictObject({ zone: id, area: id });

/** A zone is its name alone, or its name and the zone it belongs to. */
const zoneSchema = z.union([text, z.strictObject({ name: text, parent: id })]);

const descriptionsSchema = z.strictObject({
  damaged: text,
  clean: text,
  mixed: z.strictObject({ name: text, plural: text }),
});

/** The shipped default file: every section present. */
export const taxonomyFileSchema = z.strictObject({
  damage_types: z.array(damageTypeSchema).min(1),
  zones: z.record(id, zoneSchema),
  areas: z.record(id, text),
  parts: z.record(text, partSchema),
  descriptions: descriptionsSchema,
});

/**
 * An override file: every section optional, and a damage type that already exists needs only its
 * `id` and the fields it changes. New damage types are checked against the full schema on merge.
 */
export const taxonomyOverrideSchema = z.strictObject({
  damage_types: z
    .array(
      z.strictObject({
        id,
        name: text.optional(),
        plural: text.optional(),
        critical: z.boolean().optional(),
        visual: text.optional(),
        synonyms: z.array(text).optional(),
      }),
    )
    .optional(),
  zones: z.record(id, zoneSchema).optional(),
  areas: z.record(id, text).optional(),
  parts: z.record(text, partSchema).optional(),
  descriptions: z
    .strictObject({
      damaged: text.optional(),
      clean: text.optional(),
      mixed: z.strictObject({ name: text, plural: text }).partial().optional(),
    })
    .optional(),
});

export type TaxonomyFile = z.infer<typeof taxonomyFileSchema>;
export type TaxonomyOverride = z.infer<typeof taxonomyOverrideSchema>;
