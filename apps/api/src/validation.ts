import { z } from 'zod';
import { DefectRagError } from '@defect-rag/runtime';
import { optional } from '@defect-rag/interface';

/**
 * The checks of an input class, declared on its fields with `@Check(schema)` next to `@Field` (and
 * across fields with `@CheckInput`), so each input is declared once: GraphQL's type on the field,
 * what GraphQL cannot say (ranges, lengths, id formats) in the check beside it.
 */
interface InputChecks {
  fields: Map<string, z.ZodType>;
  rules: { holds: (input: never) => boolean; field: string; message: string }[];
}
const inputChecks = new Map<object, InputChecks>();

function checksOf(inputClass: object): InputChecks {
  let checks = inputChecks.get(inputClass);
  if (!checks) inputChecks.set(inputClass, (checks = { fields: new Map(), rules: [] }));
  return checks;
}

/** A field's check; its output replaces the value (explicit nulls become undefined, as the pipeline expects). */
export function Check(schema: z.ZodType): PropertyDecorator {
  return (prototype, field) => void checksOf(prototype.constructor).fields.set(String(field), schema);
}

/** A rule across fields of an input class, reported on `field`. */
export function CheckInput<T>(holds: (input: T) => boolean, field: keyof T & string, message: string): ClassDecorator {
  return (inputClass) =>
    void checksOf(inputClass).rules.push({ holds: holds as (input: never) => boolean, field, message });
}

/**
 * type-graphql's `validateFn`: runs the checks of every input class in an argument, nested inputs and
 * lists included, and throws one BAD_INPUT naming each field and its problem.
 */
export function validateInputArgument(value: unknown): void {
  const problems: string[] = [];
  checkValue(value, '', problems);
  if (problems.length > 0) throw new DefectRagError('BAD_INPUT', problems.join('; '));
}

function checkValue(value: unknown, path: string, problems: string[]): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => checkValue(item, `${path}${index}.`, problems));
    return;
  }
  const checks = value !== null && typeof value === 'object' ? inheritedChecks(value.constructor) : undefined;
  if (!checks) return;
  const input = value as Record<string, unknown>;
  for (const [field, schema] of checks.fields) {
    const parsed = schema.safeParse(input[field]);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        problems.push(`${path}${[field, ...issue.path].join('.')}: ${issue.message}`);
    } else if (parsed.data === undefined) delete input[field];
    else input[field] = parsed.data;
  }
  for (const [field, nested] of Object.entries(input)) {
    if (nested === null) delete input[field];
    else checkValue(nested, `${path}${field}.`, problems);
  }
  if (problems.length > 0) return;
  for (const rule of checks.rules)
    if (!rule.holds(input as never)) problems.push(`${path}${rule.field}: ${rule.message}`);
}

/**
 * The checks of an input class and of the input classes it extends (their fields are its fields
 * too), merged once per class: the decorators have all run when the first request comes.
 */
const mergedChecks = new Map<unknown, InputChecks | undefined>();
function inheritedChecks(inputClass: unknown): InputChecks | undefined {
  if (!mergedChecks.has(inputClass)) mergedChecks.set(inputClass, mergeChecks(inputClass));
  return mergedChecks.get(inputClass);
}

function mergeChecks(inputClass: unknown): InputChecks | undefined {
  const chain: InputChecks[] = [];
  // A null-prototype object has no constructor; a base class's prototype is Function.prototype.
  for (
    let ancestor = inputClass;
    typeof ancestor === 'function' && ancestor !== Function.prototype;
    ancestor = Object.getPrototypeOf(ancestor)
  ) {
    const checks = inputChecks.get(ancestor);
    if (checks) chain.unshift(checks);
  }
  if (chain.length <= 1) return chain[0];
  return {
    fields: new Map(chain.flatMap((checks) => [...checks.fields])),
    rules: chain.flatMap((checks) => checks.rules),
  };
}

/** A path on the server. */
export const serverPath = optional(z.string().min(1).max(4096));
/** Problem ids are PostgreSQL bigints: a cursor beyond the largest is no cursor of the list. */
const MAX_BIGINT = 9_223_372_036_854_775_807n;
/** The `after` of the problems list (numeric ids). */
export const problemCursor = optional(
  z.string().refine((cursor) => /^\d{1,19}$/.test(cursor) && BigInt(cursor) <= MAX_BIGINT, 'not a cursor of this list'),
);
