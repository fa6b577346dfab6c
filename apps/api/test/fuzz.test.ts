import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import {
  buildSchema,
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isObjectType,
  isScalarType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleDatasetOrSkip } from '@defect-rag/testing';
import type { ApiServer } from '../src';
import { startSmallApi, type SmallApi } from './helpers';

const sample = sampleDatasetOrSkip();
const schema = buildSchema(readFileSync(path.join(import.meta.dirname, '..', 'schema.graphql'), 'utf8'));

/** How long the property runs against the live API; a bound, not a target (fast-check stops there). */
const FUZZ_MS = 20_000;
/** An answer slower than this is a hang: a request must never block the server. */
const ANSWER_MS = 5_000;

/** Every code a client may see: data or one of these, never INTERNAL_SERVER_ERROR or a 5xx. */
const TYPED_CODES = new Set([
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'CONFLICT',
  'PAYLOAD_TOO_LARGE',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'QUERY_TOO_COMPLEX',
  'TIMEOUT',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

const name = fc.stringMatching(/^[_A-Za-z][_0-9A-Za-z]{0,8}$/);
const awkwardNumber = fc.constantFrom('1e309', '-1e309', '2147483648', '-0', '0.0000001', '9007199254740993', '1.5');
const awkwardString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '/',
    '/etc/passwd',
    '../../..',
    '\u0000',
    'a'.repeat(5_000),
    '00000000-0000-0000-0000-000000000000',
  ),
);

/** A GraphQL literal of any shape, unrelated to the type expected. */
const anyLiteral: fc.Arbitrary<string> = fc.letrec<{ literal: string }>((tie) => ({
  literal: fc.oneof(
    { depthSize: 'small' },
    fc.integer().map(String),
    awkwardNumber,
    fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
    awkwardString.map((text) => JSON.stringify(text)),
    fc.constantFrom('true', 'false', 'null', 'FUSED', 'NOPE', '$undeclared'),
    fc.array(tie('literal'), { maxLength: 3 }).map((items) => `[${items.join(', ')}]`),
    fc
      .array(fc.tuple(name, tie('literal')), { maxLength: 3 })
      .map((fields) => `{ ${fields.map(([key, value]) => `${key}: ${value}`).join(', ')} }`),
  ),
})).literal;

/** A literal of the argument's type, with values at and beyond its limits; sometimes any literal at all. */
function typedLiteral(type: GraphQLInputType, depth = 0): fc.Arbitrary<string> {
  const inner = getNullableType(type);
  const typed = (): fc.Arbitrary<string> => {
    if (isListType(inner))
      return fc.array(typedLiteral(inner.ofType, depth + 1), { maxLength: 4 }).map((items) => `[${items.join(', ')}]`);
    if (isEnumType(inner)) return fc.constantFrom(...inner.getValues().map((value) => value.name));
    if (isInputObjectType(inner)) {
      const fields = Object.values(inner.getFields());
      if (depth > 3) return fc.constant('{}');
      return fc
        .subarray(fields)
        .chain((chosen) =>
          fc.tuple(
            ...chosen.map((field) => typedLiteral(field.type, depth + 1).map((value) => `${field.name}: ${value}`)),
          ),
        )
        .map((pairs) => `{ ${pairs.join(', ')} }`);
    }
    if (isScalarType(inner)) {
      switch (inner.name) {
        case 'Int':
          return fc.oneof(fc.integer({ min: -5, max: 200 }).map(String), awkwardNumber);
        case 'Float':
          return fc.oneof(
            fc.double({ min: -2, max: 2, noNaN: true }).map((n) => n.toFixed(3)),
            awkwardNumber,
          );
        case 'Boolean':
          return fc.constantFrom('true', 'false');
        default:
          return awkwardString.map((text) => JSON.stringify(text));
      }
    }
    return anyLiteral;
  };
  return fc.oneof({ weight: 8, arbitrary: typed() }, { weight: 1, arbitrary: anyLiteral }, fc.constant('null'));
}

/** A field with arguments (some, all or none, typed or not) and, for objects, a selection. */
function fieldSelection(field: GraphQLField<unknown, unknown>, depth: number): fc.Arbitrary<string> {
  const args = fc
    .subarray([...field.args])
    .chain((chosen) =>
      fc.tuple(...chosen.map((arg) => typedLiteral(arg.type).map((value) => `${arg.name}: ${value}`))),
    );
  const type = getNamedType(field.type);
  const selection = isObjectType(type) && depth < 6 ? selectionSet(type, depth + 1) : fc.constant('');
  return fc
    .tuple(fc.option(name, { freq: 5 }), args, selection)
    .map(
      ([alias, chosen, sub]) =>
        `${alias ? `${alias}: ` : ''}${field.name}${chosen.length ? `(${chosen.join(', ')})` : ''} ${sub}`,
    );
}

function selectionSet(type: GraphQLObjectType, depth: number): fc.Arbitrary<string> {
  const fields = Object.values(type.getFields());
  const one = fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom(...fields).chain((field) => fieldSelection(field, depth)) },
    { weight: 1, arbitrary: fc.constantFrom('__typename', 'nope', '...on Query { model { id } }') },
  );
  return fc.array(one, { minLength: 1, maxLength: 4 }).map((items) => `{ ${items.join(' ')} }`);
}

/** A request body: mostly schema-shaped operations, also broken text and random variables. */
const request: fc.Arbitrary<{ query: unknown; variables?: unknown }> = fc.oneof(
  { weight: 6, arbitrary: selectionSet(schema.getQueryType()!, 0).map((set) => ({ query: `query ${set}` })) },
  { weight: 2, arbitrary: selectionSet(schema.getMutationType()!, 0).map((set) => ({ query: `mutation ${set}` })) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom(
          'query($q: SimilarityQuery!) { searchSimilar(query: $q) { score crop { id vehicleZone } } }',
          'query($q: SimilarityQuery!, $f: RagContextFormat!) { ragContext(query: $q, format: $f) { context } }',
          'query($id: ID!) { crop(id: $id) { id imageUrl } run(id: $id) { id } }',
          'query($first: Int!, $after: String) { runs(first: $first, after: $after) { totalCount } }',
        ),
        fc.jsonValue({ maxDepth: 3 }),
      )
      .map(([query, variables]) => ({ query, variables })),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map((query) => ({ query })) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((query) => ({ query })) },
);

describe.skipIf(!sample)('fuzzing the GraphQL surface of a live API', () => {
  let small: SmallApi;
  let api: ApiServer;

  beforeAll(async () => {
    small = await startSmallApi(sample!, 'fuzzed');
    api = small.api;
  }, 240_000);

  afterAll(async () => {
    await small?.stop();
  });

  it(`answers every random document with data or a typed error, never a 5xx or a hang (${FUZZ_MS / 1000} s)`, async () => {
    let runs = 0;
    const slowest = { ms: 0 };
    const outcomes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(request, async (body) => {
        runs++;
        const started = performance.now();
        const response = await fetch(`${api.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(ANSWER_MS),
        });
        const answer = (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
        slowest.ms = Math.max(slowest.ms, performance.now() - started);
        expect(response.status).toBeLessThan(500);
        expect(answer.data !== undefined || answer.errors !== undefined).toBe(true);
        // The request and the whole answer in the message: a rare failure in CI must be reproducible from it.
        for (const error of answer.errors ?? [])
          expect(TYPED_CODES, JSON.stringify({ body, errors: answer.errors })).toContain(error.extensions?.code);
        const outcome = answer.errors?.[0]?.extensions?.code ?? 'data';
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }),
      {
        numRuns: 1_000_000,
        interruptAfterTimeLimit: FUZZ_MS,
        markInterruptAsFailure: false,
        seed: Date.now() % 2 ** 31,
      },
    );
    console.log(
      `fuzzed ${runs} requests in ${FUZZ_MS / 1000} s; slowest answer ${slowest.ms.toFixed(0)} ms; ${JSON.stringify(Object.fromEntries(outcomes))}`,
    );
    expect(runs).toBeGreaterThan(50);
    // Enough of them get past parsing and validation to exercise the resolvers.
    expect(
      (outcomes.get('data') ?? 0) + (outcomes.get('BAD_USER_INPUT') ?? 0) + (outcomes.get('NOT_FOUND') ?? 0),
    ).toBeGreaterThan(runs / 10);
    // The API still answers.
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
  }, 120_000);
});
