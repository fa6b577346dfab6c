import { z } from 'zod';
import { DefectRagError } from '@defect-rag/runtime';
import { MAX_PAGE_SIZE } from './limits';

/**
 * Checks arguments GraphQL's types cannot express (ranges, lengths, id formats) and normalises
 * explicit nulls to undefined, as the pipeline expects. BAD_INPUT naming the argument otherwise.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`);
  throw new DefectRagError('BAD_INPUT', problems.join('; '));
}

/** An optional argument: GraphQL gives null or omits it; the pipeline wants undefined. */
export function optional<S extends z.ZodType>(schema: S) {
  return schema.nullish().transform((value) => value ?? undefined);
}

export const MAX_QUERY_TEXT_LENGTH = 2000;
const MAX_FILTER_VALUES = 50;

export const uuid = (what: string) => z.uuid({ error: `not a valid ${what} id` });

const filterValues = optional(z.array(z.string().min(1).max(200)).max(MAX_FILTER_VALUES));

export const cropFilterSchema = z.object({
  hasDamage: optional(z.boolean()),
  zones: filterValues,
  areas: filterValues,
  damageTypes: filterValues,
  datasetId: optional(z.string().min(1).max(200)),
  split: optional(z.string().min(1).max(200)),
});

/** Page arguments; `cursor` is the format of the list's ids. */
export function pageSchema(cursor: z.ZodType<string>) {
  return z.object({
    first: z.int().min(1, `must be 1…${MAX_PAGE_SIZE}`).max(MAX_PAGE_SIZE, `must be 1…${MAX_PAGE_SIZE}`),
    after: optional(cursor),
  });
}

export const uuidCursor = z.uuid({ error: 'not a cursor of this list' });
export const problemCursor = z.string().regex(/^\d{1,19}$/, 'not a cursor of this list');
