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
import { workspaceRoot } from '@defect-rag/runtime';
import { sampleDatasetOrSkip } from '@defect-rag/testing';
import type { ApiServer } from '../src';
import { startSmallApi, type SmallApi } from './helpers';

const sample = sampleDatasetOrSkip();
const schema = buildSchema(readFileSync(path.join(import.meta.dirname, '..', 'schema.graphql'), 'utf8'));

/**
 * Requests per run: enough for the rare shapes (cyclic fragments, odd multipart parts) to come up
 * in every CI run, few enough to take well under a minute. FUZZ_RUNS asks for more.
 */
const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 3_000);
/** FUZZ_SEED replays a run: the seed is printed at the start of each one, and with any failure. */
const FUZZ_SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;
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
  // Any UTF-16 code units: lone surrogates, control characters, the BOM, right-to-left marks.
  fc.string16bits({ maxLength: 20 }),
  fc.fullUnicodeString({ maxLength: 20 }),
  fc.constantFrom('\ud800', 'a\udc00b', '\udbff\ud800', '\u0000\u0001\u001f\u007f', '\ufeff', '\u202e', 'rayón 🚗'),
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
const body: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
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
  { weight: 3, arbitrary: nullableVariables() },
  { weight: 3, arbitrary: fragmentDocument() },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map((query) => ({ query })) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((query) => ({ query })) },
);

/** Operations whose variables are nullable, set to null, to a value, or to anything. */
function nullableVariables(): fc.Arbitrary<Record<string, unknown>> {
  const value = (typed: fc.Arbitrary<unknown>) =>
    fc.oneof(
      { weight: 3, arbitrary: fc.constant(null) },
      { weight: 3, arbitrary: typed },
      fc.jsonValue({ maxDepth: 2 }),
    );
  const text = awkwardString;
  const filter = fc.record(
    {
      zones: fc.array(text, { maxLength: 3 }),
      areas: fc.array(text, { maxLength: 3 }),
      damageTypes: fc.array(text, { maxLength: 3 }),
      split: text,
      datasetId: fc.oneof(text, fc.uuid()),
      hasDamage: fc.boolean(),
    },
    { requiredKeys: [] },
  );
  return fc.oneof(
    fc.record({ n: value(fc.integer({ min: -2, max: 120 })), a: value(text) }).map((variables) => ({
      query:
        'query($n: Int, $a: String) { datasets(first: $n, after: $a) { totalCount } runs(first: $n, after: $a) { totalCount } }',
      variables,
    })),
    fc.record({ f: value(filter), n: value(fc.integer({ min: -2, max: 120 })), a: value(text) }).map((variables) => ({
      query: 'query($f: CropFilter, $n: Int, $a: String) { crops(filter: $f, first: $n, after: $a) { totalCount } }',
      variables,
    })),
    fc
      .record({
        q: fc.record(
          {
            text,
            limit: value(fc.integer({ min: -1, max: 60 })),
            filter: value(filter),
            excludePhotoIds: value(fc.array(text, { maxLength: 2 })),
          },
          { requiredKeys: ['text'] },
        ),
        f: value(fc.constantFrom('TEXT', 'MARKDOWN', 'JSON', 'NOPE')),
        k: value(fc.integer({ min: -1, max: 30 })),
      })
      .map((variables) => ({
        query:
          'query($q: SimilarityQuery!, $f: RagContextFormat, $k: Int) { ragContext(query: $q, format: $f, normalReferences: $k) { context } searchSimilar(query: $q) { score } }',
        variables,
      })),
    fc
      .record({
        id: value(fc.oneof(fc.uuid(), text)),
        a: value(fc.oneof(text, fc.bigInt({ min: 0n, max: 10n ** 20n }).map(String))),
      })
      .map((variables) => ({
        query: 'query($id: ID!, $a: String) { run(id: $id) { problems(after: $a) { totalCount } } }',
        variables,
      })),
  );
}

/**
 * Documents of fragments on Query spreading each other: nested, repeated (a fan-out of up to 30
 * spreads per fragment, the 1.4 KB document that once stopped the server), cyclic or unknown.
 */
function fragmentDocument(): fc.Arbitrary<Record<string, unknown>> {
  const query = schema.getQueryType()!;
  return fc
    .integer({ min: 1, max: 7 })
    .chain((count) =>
      fc.tuple(
        fc.array(
          fc.tuple(
            fc.option(selectionSet(query, 4), { freq: 2 }),
            // Spreads of any fragment, earlier (nesting), later or itself (cycles), or one not defined.
            fc.array(fc.integer({ min: 0, max: count }), { maxLength: 4 }),
            fc.integer({ min: 1, max: 30 }),
          ),
          { minLength: count, maxLength: count },
        ),
        fc.integer({ min: 0, max: count - 1 }),
        // Valid half the time (a chain F0 → F1 → …, each fragment used, no cycle), so that the
        // depth and cost limits see fan-outs too, not only validation.
        fc.boolean(),
      ),
    )
    .map(([fragments, anyStart, valid]) => {
      const start = valid ? 0 : anyStart;
      const definitions = fragments.map(([selection, anySpreads, times], index) => {
        const later = (target: number) => index + 1 + (target % Math.max(1, fragments.length - index - 1));
        const spreads = !valid ? anySpreads : index + 1 < fragments.length ? [index + 1, ...anySpreads.map(later)] : [];
        const spread = spreads.map((target) => `...F${target} `.repeat(times)).join('');
        const own = selection ? selection.slice(1, -1) : '__typename';
        return `fragment F${index} on Query { ${own} ${spread}}`;
      });
      return { query: `{ ...F${start} } ${definitions.join(' ')}` };
    });
}

/** `extensions` of any shape, persisted queries among them; on a few requests only. */
const extensions = fc.oneof(
  { weight: 8, arbitrary: fc.constant(null) },
  fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.record({
      persistedQuery: fc.record(
        {
          version: fc.jsonValue({ maxDepth: 0 }),
          sha256Hash: fc.oneof(fc.hexaString({ minLength: 64, maxLength: 64 }), awkwardString),
        },
        { requiredKeys: [] },
      ),
    }),
  ),
);

/** A multipart upload (the GraphQL multipart request spec) with odd parts: operations, map and files as they come. */
const multipart = fc.record({
  operations: fc.oneof(
    fc.constant(
      JSON.stringify({
        query: 'query($q: SimilarityQuery!) { searchSimilar(query: $q) { score } }',
        variables: { q: { image: null, text: 'dent' } },
      }),
    ),
    body.map((value) => JSON.stringify(value)),
    fc.string({ maxLength: 40 }),
  ),
  map: fc.oneof(
    fc.constant(JSON.stringify({ 0: ['variables.q.image'] })),
    fc.constantFrom(
      '{"0":["variables.nope.deeper"]}',
      '{"1":["variables.q.image"]}',
      '{"0":[]}',
      '[]',
      '"x"',
      'not json',
      '{"0":["variables.q.image"],"1":["variables.q.image"]}',
    ),
    fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify(value)),
  ),
  files: fc.array(
    fc.tuple(
      fc.constantFrom('0', '1', 'x', ''),
      fc.uint8Array({ maxLength: 64 }),
      fc.constantFrom('a.jpg', '', '../../etc/passwd', 'x\u0000.png'),
    ),
    { maxLength: 3 },
  ),
  preflight: fc.boolean(),
});

type MultipartParts = typeof multipart extends fc.Arbitrary<infer T> ? T : never;

/** One request as an attacker sends it: a JSON POST, a GET, or a multipart upload. */
type FuzzRequest =
  | { kind: 'post'; body: Record<string, unknown> }
  | { kind: 'get'; body: Record<string, unknown>; preflight: boolean }
  | ({ kind: 'multipart' } & MultipartParts);

const request: fc.Arbitrary<FuzzRequest> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc
      .tuple(body, extensions)
      .map(([value, ext]) => ({ kind: 'post' as const, body: ext === null ? value : { ...value, extensions: ext } })),
  },
  {
    weight: 3,
    arbitrary: fc.tuple(body, extensions, fc.boolean()).map(([value, ext, preflight]) => ({
      kind: 'get' as const,
      body: ext === null ? value : { ...value, extensions: ext },
      preflight,
    })),
  },
  { weight: 1, arbitrary: multipart.map((parts) => ({ kind: 'multipart' as const, ...parts })) },
);

/** Sends one request; its status and body as text. */
async function send(url: string, fuzz: FuzzRequest): Promise<{ status: number; text: string }> {
  const signal = AbortSignal.timeout(ANSWER_MS);
  let response: Response;
  if (fuzz.kind === 'post') {
    response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(fuzz.body),
      signal,
    });
  } else if (fuzz.kind === 'get') {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(fuzz.body))
      search.set(key, typeof value === 'string' ? value : JSON.stringify(value));
    response = await fetch(`${url}/graphql?${search}`, {
      headers: fuzz.preflight ? { 'apollo-require-preflight': 'true' } : {},
      signal,
    });
  } else {
    const form = new FormData();
    form.append('operations', fuzz.operations);
    form.append('map', fuzz.map);
    for (const [field, bytes, name] of fuzz.files) form.append(field, new Blob([bytes]), name);
    response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: fuzz.preflight ? { 'apollo-require-preflight': 'true' } : {},
      body: form,
      signal,
    });
  }
  return { status: response.status, text: await response.text() };
}

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

  it(`answers ${FUZZ_RUNS} random requests with data or a typed error, never a 5xx or a hang`, async () => {
    console.log(`fuzz seed ${FUZZ_SEED} (replay with FUZZ_SEED=${FUZZ_SEED})`);
    let runs = 0;
    const slowest = { ms: 0 };
    const outcomes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(request, async (fuzz) => {
        runs++;
        const started = performance.now();
        const { status, text } = await send(api.url, fuzz);
        slowest.ms = Math.max(slowest.ms, performance.now() - started);
        // The request and the whole answer in the message: a rare failure in CI must be reproducible from it.
        const context = JSON.stringify({ seed: FUZZ_SEED, request: fuzz, status, answer: text.slice(0, 2_000) });
        expect(status, context).toBeLessThan(500);
        let answer: { data?: unknown; errors?: { extensions?: { code?: string } }[] };
        try {
          answer = JSON.parse(text) as typeof answer;
        } catch {
          throw new Error(`not a JSON answer: ${context}`);
        }
        expect(answer.data !== undefined || answer.errors !== undefined, context).toBe(true);
        for (const error of answer.errors ?? []) expect(TYPED_CODES, context).toContain(error.extensions?.code);
        // No internal address or path in an error (data may hold paths: a dataset's root is one).
        const errors = JSON.stringify(answer.errors ?? []);
        for (const internal of ['127.0.0.1', 'node_modules', workspaceRoot])
          expect(errors, context).not.toContain(internal);
        const outcome = answer.errors?.[0]?.extensions?.code ?? 'data';
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }),
      { numRuns: FUZZ_RUNS, seed: FUZZ_SEED },
    );
    console.log(
      `fuzzed ${runs} requests; slowest answer ${slowest.ms.toFixed(0)} ms; ${JSON.stringify(Object.fromEntries(outcomes))}`,
    );
    expect(runs).toBeGreaterThanOrEqual(FUZZ_RUNS);
    // Enough of them get past parsing and validation to exercise the resolvers.
    expect(
      (outcomes.get('data') ?? 0) + (outcomes.get('BAD_USER_INPUT') ?? 0) + (outcomes.get('NOT_FOUND') ?? 0),
    ).toBeGreaterThan(runs / 10);
    // The API still answers.
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
  }, 600_000);
});
