import { z } from 'zod';
import { DefectRagError } from '@defect-rag/runtime';

/**
 * Checks a value against a schema (ranges, lengths, id formats, explicit null to undefined).
 * BAD_INPUT naming each field and its problem otherwise.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, name = 'input'): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${[name, ...issue.path].join('.')}: ${issue.message}`);
  throw new DefectRagError('BAD_INPUT', problems.join('; '));
}

/** An optional input: GraphQL gives null or omits it; the pipeline wants undefined. */
export function optional<S extends z.ZodType>(schema: S) {
  return schema.nullish().transform((value) => value ?? undefined);
}

export const MAX_QUERY_TEXT_LENGTH = 2000;
const MAX_FILTER_VALUES = 50;
export const MAX_PAGE_SIZE = 100;

export const uuid = (what: string) => z.uuid({ error: `not a valid ${what} id` });

/** A list of filter values (zones, areas, damage types). */
export const filterValues = optional(z.array(z.string().min(1).max(200)).max(MAX_FILTER_VALUES));
/** A short identifier such as a split or a model id. */
export const shortText = optional(z.string().min(1).max(200));

export const pageSize = z.int().min(1, `must be 1…${MAX_PAGE_SIZE}`).max(MAX_PAGE_SIZE, `must be 1…${MAX_PAGE_SIZE}`);
/** The `after` of a list whose ids are UUIDs. */
export const uuidCursor = optional(z.uuid({ error: 'not a cursor of this list' }));
