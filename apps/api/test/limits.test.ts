import { ApolloServer } from '@apollo/server';
import { buildSchema, GraphQLError, parse, Kind, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { ApiContext } from '../src/context';
import { WithinDeadline } from '../src/deadline';
import {
  malformedStringAt,
  MAX_QUERY_COST,
  MAX_QUERY_DEPTH,
  operationCost,
  operationDepth,
  queryLimitsPlugin,
} from '../src/limits';

/** A cyclic schema, which the depth limit is for: `node { next { next { … } } }` can go on forever. */
const typeDefs = `type Query { node: Node, nodes(first: Int = 10): [Node!]! } type Node { id: ID!, next: Node }`;
const resolvers = { Query: { node: () => ({ id: '1' }) }, Node: { next: () => null } };

function nested(levels: number): string {
  let selection = 'id';
  for (let level = 2; level < levels; level++) selection = `next { ${selection} }`;
  return `{ node { ${selection} } }`;
}

async function run(query: string) {
  const server = new ApolloServer<ApiContext>({ typeDefs, resolvers, plugins: [queryLimitsPlugin()] });
  const response = await server.executeOperation({ query }, { contextValue: {} as ApiContext });
  await server.stop();
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  return { status: response.http.status, ...response.body.singleResult };
}

describe('query limits', () => {
  it('counts the depth of nested fields through fragments, and not introspection', () => {
    const document = parse(
      `query { node { ...N } __schema { types { fields { type { name } } } } } fragment N on Node { next { ... on Node { next { id } } } }`,
    );
    const operation = document.definitions.find(
      (definition) => definition.kind === Kind.OPERATION_DEFINITION,
    ) as OperationDefinitionNode;
    expect(operationDepth(operation, document)).toBe(4);
  });

  it(`runs a query ${MAX_QUERY_DEPTH} levels deep and refuses one deeper with QUERY_TOO_COMPLEX, before it runs`, async () => {
    expect((await run(nested(MAX_QUERY_DEPTH))).errors).toBeUndefined();
    const deep = await run(nested(MAX_QUERY_DEPTH + 1));
    expect(deep.status).toBe(400);
    expect(deep.data).toBeUndefined();
    expect(deep.errors).toMatchObject([
      {
        message: `the query is ${MAX_QUERY_DEPTH + 1} levels deep; at most ${MAX_QUERY_DEPTH} are allowed`,
        extensions: { code: 'QUERY_TOO_COMPLEX' },
      },
    ]);
  });

  it('visits each fragment once: 30 spreads over 6 levels (30^6 fields) are costed at once, and refused', async () => {
    const fragments = ['fragment F0 on Query { node { id } }'];
    for (let level = 1; level <= 6; level++)
      fragments.push(`fragment F${level} on Query { ${`...F${level - 1} `.repeat(30)}}`);
    const document = parse(`{ ...F6 } ${fragments.join(' ')}`);
    const operation = document.definitions[0] as OperationDefinitionNode;
    expect(operationDepth(operation, document)).toBe(2);
    // Each spread of F5 alone costs more than the limit: the count stops there rather than going on to 30^6.
    expect(operationCost(buildSchema(typeDefs), operation, document, {})).toBeGreaterThan(MAX_QUERY_COST);
    expect((await run(`{ ...F6 } ${fragments.join(' ')}`)).errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
  });

  it('finds lone surrogates anywhere in the variables, keys included, and passes paired ones', () => {
    expect(malformedStringAt({ q: { filter: { zones: ['ok', 'bad\ud800'] } } })).toBe('$q.filter.zones.1');
    expect(malformedStringAt({ ['\udc00']: 1 })).toBeUndefined();
    expect(malformedStringAt({ q: { ['k\udc00']: 1 } })).toBe('$q');
    expect(malformedStringAt({ text: 'rayón 🚗', n: 3, none: null })).toBeUndefined();
  });

  it('refuses subscriptions with a typed error, and takes a null variable as not given', async () => {
    const subscription = await run('subscription { x }');
    expect(subscription.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const server = new ApolloServer<ApiContext>({
      typeDefs,
      resolvers: {
        Query: {
          nodes: (_: unknown, { first }: { first: number }) => Array.from({ length: first }, (_, i) => ({ id: i })),
        },
      },
      plugins: [queryLimitsPlugin()],
    });
    const response = await server.executeOperation(
      { query: 'query($n: Int) { nodes(first: $n) { id } }', variables: { n: null } },
      { contextValue: {} as ApiContext },
    );
    await server.stop();
    if (response.body.kind !== 'single') throw new Error('expected a single result');
    expect(response.body.singleResult.errors).toBeUndefined();
    expect((response.body.singleResult.data as { nodes: unknown[] }).nodes).toHaveLength(10);
  });

  it('costs a field 1 by default, so a wide query is refused too', async () => {
    const aliases = Array.from({ length: 5_001 }, (_, i) => `a${i}: node { id }`).join(' ');
    const wide = await run(`{ ${aliases} }`);
    expect(wide.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
  });
});

describe('WithinDeadline', () => {
  const context = (deadline: AbortSignal) =>
    ({ context: { deadline, timeoutMs: 5 } as ApiContext }) as Parameters<typeof WithinDeadline>[0];

  it('fails a resolver still running at the deadline with TIMEOUT', async () => {
    const never = new Promise(() => {});
    const error = await Promise.resolve(WithinDeadline(context(AbortSignal.timeout(5)), () => never)).catch(
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(GraphQLError);
    expect((error as GraphQLError).extensions.code).toBe('TIMEOUT');
  });

  it('passes on what a resolver returns in time', async () => {
    expect(await WithinDeadline(context(AbortSignal.timeout(1_000)), async () => 'done')).toBe('done');
  });
});
