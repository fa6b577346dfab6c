import type { ApolloServerPlugin } from '@apollo/server';
import {
  getArgumentValues,
  getNamedType,
  getVariableValues,
  GraphQLError,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  parse,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { MAX_PAGE_SIZE } from '@defect-rag/interface';
import type { ApiContext } from './context';
import { apiError } from './errors';

export const DEFAULT_PAGE_SIZE = 20;
export { MAX_PAGE_SIZE };

/**
 * The data types have no cycles today, so no query goes deeper than 7 (runs → edges → node →
 * problems → edges → node → field); the limit is for cyclic types added later. Introspection is
 * left out: graphql-js bounds its cycles itself (MaxIntrospectionDepthRule).
 */
export const MAX_QUERY_DEPTH = 10;
/**
 * Every field costs 1, a list of `first`/`limit` items that many times its selection, a search 10
 * more. A full 100-crop search costs about 3,500; 100 runs with 100 problems each, about 80,000.
 */
export const MAX_QUERY_COST = 5_000;
export const SEARCH_COST = 10;

/**
 * Bounds on a document, checked before GraphQL validates it. Validation is not linear: graphql-js
 * compares every pair of fields that answer under the same name (OverlappingFieldsCanBeMerged), so
 * a 78 KB document of one field repeated 6,000 times blocked the event loop for 17 s, before the
 * depth and cost limits could run and with no timeout able to fire. Within these bounds the worst
 * document validates in about 0.1 s on one core. The introspection query has 183 tokens and 72
 * fields; the explorer's largest query about 60 fields.
 */
export const MAX_QUERY_LENGTH = 20_000;
/** graphql-js `parse` stops at this many tokens (Apollo's GRAPHQL_PARSE_FAILED). */
export const MAX_QUERY_TOKENS = 2_000;
/** Fields, fragment spreads and inline fragments, counted once parsed, before validation. */
export const MAX_QUERY_SELECTIONS = 500;

/**
 * Why a request's document is refused before Apollo parses and validates it (QUERY_TOO_COMPLEX), or
 * undefined. Apollo's plugin hooks cannot refuse a request between parsing and validation, so the
 * selections are counted on a parse of our own, only for documents long enough to hold more than
 * MAX_QUERY_SELECTIONS (each takes at least 2 characters, `a,`): everyday queries are not parsed twice.
 */
export function documentRefusal(query: unknown): string | undefined {
  if (typeof query !== 'string' || query.length <= 2 * MAX_QUERY_SELECTIONS) return undefined;
  if (query.length > MAX_QUERY_LENGTH)
    return `the query document is ${query.length} characters long; at most ${MAX_QUERY_LENGTH} are allowed`;
  let document: DocumentNode;
  try {
    document = parse(query, { maxTokens: MAX_QUERY_TOKENS });
  } catch {
    return undefined; // Apollo's parse fails the same way and answers GRAPHQL_PARSE_FAILED.
  }
  const selections = selectionCount(document);
  if (selections <= MAX_QUERY_SELECTIONS) return undefined;
  return `the query has ${selections} fields and fragments; at most ${MAX_QUERY_SELECTIONS} are allowed`;
}

/** Counts selections in a parsed document without recursion (the parser bounds its size, not its depth). */
export function selectionCount(document: DocumentNode): number {
  let count = 0;
  const pending: SelectionSetNode[] = [];
  for (const definition of document.definitions) {
    if ('selectionSet' in definition && definition.selectionSet) pending.push(definition.selectionSet);
  }
  for (let set = pending.pop(); set; set = pending.pop()) {
    count += set.selections.length;
    for (const selection of set.selections)
      if ('selectionSet' in selection && selection.selectionSet) pending.push(selection.selectionSet);
  }
  return count;
}

/** A field's cost from its arguments and the cost of its selection; set with type-graphql's `complexity` option. */
export type FieldCost = (field: { args: Record<string, unknown>; childComplexity: number }) => number;

/** Out-of-range sizes are costed at the maximum: the resolver refuses them with a clearer BAD_USER_INPUT. */
export const pageComplexity: FieldCost = ({ args, childComplexity }) =>
  1 + Math.min((args.first as number | undefined) ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE) * childComplexity;

/**
 * Refuses, before anything runs: subscriptions (this API has none; graphql-js would fail them with
 * an untyped error), variables holding strings with lone surrogates (BAD_USER_INPUT: Qdrant and
 * PostgreSQL refuse such text, and no label or id has one), operations deeper than MAX_QUERY_DEPTH
 * or costlier than MAX_QUERY_COST (QUERY_TOO_COMPLEX). Introspection fields count for neither. A
 * variable set to null is dropped, so an argument with a default gets its default (GraphQL would
 * refuse null for it during execution, with an untyped error).
 */
export function queryLimitsPlugin(): ApolloServerPlugin<ApiContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request, schema }) {
          if (!operation) return;
          if (operation.operation === 'subscription')
            throw apiError('BAD_USER_INPUT', 'subscriptions are not supported; poll run(id) for progress instead');
          const variables = request.variables ?? {};
          const malformed = malformedStringAt(variables);
          if (malformed !== undefined)
            throw apiError(
              'BAD_USER_INPUT',
              `variable ${malformed} holds a string that is not well-formed Unicode (a lone surrogate)`,
            );
          for (const [name, value] of Object.entries(variables)) if (value === null) delete variables[name];
          const depth = operationDepth(operation, document);
          if (depth > MAX_QUERY_DEPTH) {
            throw apiError(
              'QUERY_TOO_COMPLEX',
              `the query is ${depth} levels deep; at most ${MAX_QUERY_DEPTH} are allowed`,
            );
          }
          const cost = operationCost(schema, operation, document, variables);
          if (cost !== undefined && cost > MAX_QUERY_COST) {
            throw apiError(
              'QUERY_TOO_COMPLEX',
              `the query costs more than ${MAX_QUERY_COST}, which is the most allowed (ask for fewer items or fields per request)`,
            );
          }
        },
      };
    },
  };
}

/** Where in `value` (a variable's path, `$name.field.0`) a string or key has a lone surrogate, if anywhere. */
export function malformedStringAt(variables: Record<string, unknown>): string | undefined {
  const pending: [string, unknown][] = Object.entries(variables).map(([name, value]) => [`$${name}`, value]);
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [at, value] = next;
    if (typeof value === 'string') {
      if (!isWellFormed(value)) return at;
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        if (!isWellFormed(key)) return at;
        pending.push([`${at}.${key}`, item]);
      }
    }
  }
  return undefined;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  return fragments;
}

/**
 * A function of a fragment's selection computed once per fragment: a fragment spread K times in
 * each of n nested fragments would otherwise be visited K^n times (30 spreads, 6 levels: a 1.4 KB
 * document that kept the server busy for more than 10 minutes). A spread met again while its
 * fragment is being computed (a cycle; validation refuses those first) counts as `cyclic`.
 */
function memoised<T>(
  fragments: Map<string, FragmentDefinitionNode>,
  compute: (fragment: FragmentDefinitionNode) => T,
  cyclic: T,
): (name: string) => T | undefined {
  const known = new Map<string, T>();
  return (name) => {
    const fragment = fragments.get(name);
    if (!fragment) return undefined;
    const value = known.get(name);
    if (value !== undefined) return value;
    known.set(name, cyclic);
    const computed = compute(fragment);
    known.set(name, computed);
    return computed;
  };
}

/** Levels of nested fields, following fragments (each computed once). */
export function operationDepth(operation: OperationDefinitionNode, document: DocumentNode): number {
  const depthOf = (selectionSet: SelectionSetNode): number => {
    let deepest = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value.startsWith('__')) continue;
        deepest = Math.max(deepest, 1 + (selection.selectionSet ? depthOf(selection.selectionSet) : 0));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        deepest = Math.max(deepest, depthOf(selection.selectionSet));
      } else {
        deepest = Math.max(deepest, fragmentDepth(selection.name.value) ?? 0);
      }
    }
    return deepest;
  };
  const fragmentDepth = memoised(fragmentsOf(document), (fragment) => depthOf(fragment.selectionSet), 0);
  return depthOf(operation.selectionSet);
}

/**
 * The operation's cost: per field its `complexity` (a number, or a FieldCost of its arguments and
 * selection), 1 plus its selection's cost by default; each fragment is costed once, and a selection
 * stops being added up once it costs more than `limit`. Undefined when the variables or arguments do
 * not fit the operation: execution refuses those with their proper error.
 */
export function operationCost(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  document: DocumentNode,
  inputs: Record<string, unknown>,
  limit = MAX_QUERY_COST,
): number | undefined {
  const variables = getVariableValues(schema, operation.variableDefinitions ?? [], inputs);
  if (variables.errors) return undefined;
  const costOf = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType): number => {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (total > limit) break;
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value.startsWith('__') || !(isObjectType(parent) || isInterfaceType(parent))) continue;
        const field = parent.getFields()[selection.name.value];
        if (!field) continue;
        const type = getNamedType(field.type);
        const childComplexity =
          selection.selectionSet && isCompositeType(type) ? costOf(selection.selectionSet, type) : 0;
        total += fieldCost(field, getArgumentValues(field, selection, variables.coerced), childComplexity);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (type && isCompositeType(type)) total += costOf(selection.selectionSet, type);
      } else {
        total += fragmentCost(selection.name.value) ?? 0;
      }
    }
    return total;
  };
  // A fragment always names its type, so its cost does not depend on where it is spread.
  const fragmentCost = memoised(
    fragmentsOf(document),
    (fragment) => {
      const type = schema.getType(fragment.typeCondition.name.value);
      return type && isCompositeType(type) ? costOf(fragment.selectionSet, type) : 0;
    },
    0,
  );
  const root = schema.getRootType(operation.operation);
  if (!root) return undefined;
  try {
    return costOf(operation.selectionSet, root);
  } catch (error) {
    // getArgumentValues: an argument execution would refuse (null for a non-null one, say).
    if (error instanceof GraphQLError) return undefined;
    throw error;
  }
}

function fieldCost(
  field: GraphQLField<unknown, unknown>,
  args: Record<string, unknown>,
  childComplexity: number,
): number {
  const complexity = field.extensions.complexity as FieldCost | number | undefined;
  if (typeof complexity === 'function') return complexity({ args, childComplexity });
  return (complexity ?? 1) + childComplexity;
}
