import type { ApolloServerPlugin } from '@apollo/server';
import {
  getArgumentValues,
  getNamedType,
  getVariableValues,
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
export function documentRefusal(body: unknown): string | undefined {
  const query = (body as { query?: unknown } | null)?.query;
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
 * Refuses operations deeper than MAX_QUERY_DEPTH or costlier than MAX_QUERY_COST with
 * QUERY_TOO_COMPLEX, before anything runs. Introspection fields count for neither.
 */
export function queryLimitsPlugin(): ApolloServerPlugin<ApiContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request, schema }) {
          if (!operation) return;
          const depth = operationDepth(operation, document);
          if (depth > MAX_QUERY_DEPTH) {
            throw apiError(
              'QUERY_TOO_COMPLEX',
              `the query is ${depth} levels deep; at most ${MAX_QUERY_DEPTH} are allowed`,
            );
          }
          const cost = operationCost(schema, operation, document, request.variables ?? {});
          if (cost !== undefined && cost > MAX_QUERY_COST) {
            throw apiError(
              'QUERY_TOO_COMPLEX',
              `the query costs ${cost}; at most ${MAX_QUERY_COST} is allowed (ask for fewer items or fields per request)`,
            );
          }
        },
      };
    },
  };
}

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  return fragments;
}

/** Levels of nested fields, following fragments. Validation has already refused cyclic fragments. */
export function operationDepth(operation: OperationDefinitionNode, document: DocumentNode): number {
  const fragments = fragmentsOf(document);
  const depthOf = (selectionSet: SelectionSetNode): number => {
    let deepest = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value.startsWith('__')) continue;
        deepest = Math.max(deepest, 1 + (selection.selectionSet ? depthOf(selection.selectionSet) : 0));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        deepest = Math.max(deepest, depthOf(selection.selectionSet));
      } else {
        const fragment = fragments.get(selection.name.value);
        if (fragment) deepest = Math.max(deepest, depthOf(fragment.selectionSet));
      }
    }
    return deepest;
  };
  return depthOf(operation.selectionSet);
}

/**
 * The operation's cost: per field its `complexity` (a number, or a FieldCost of its arguments and
 * selection), 1 plus its selection's cost by default. Undefined when the variables do not fit the
 * operation: execution refuses those with their proper error.
 */
export function operationCost(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  document: DocumentNode,
  inputs: Record<string, unknown>,
): number | undefined {
  const variables = getVariableValues(schema, operation.variableDefinitions ?? [], inputs);
  if (variables.errors) return undefined;
  const fragments = fragmentsOf(document);
  const costOf = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType): number => {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value.startsWith('__') || !(isObjectType(parent) || isInterfaceType(parent))) continue;
        const field = parent.getFields()[selection.name.value];
        if (!field) continue;
        const type = getNamedType(field.type);
        const childComplexity =
          selection.selectionSet && isCompositeType(type) ? costOf(selection.selectionSet, type) : 0;
        total += fieldCost(field, getArgumentValues(field, selection, variables.coerced), childComplexity);
      } else {
        const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
        if (!fragment) continue;
        const type = fragment.typeCondition ? schema.getType(fragment.typeCondition.name.value) : parent;
        if (type && isCompositeType(type)) total += costOf(fragment.selectionSet, type);
      }
    }
    return total;
  };
  const root = schema.getRootType(operation.operation);
  return root ? costOf(operation.selectionSet, root) : undefined;
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
