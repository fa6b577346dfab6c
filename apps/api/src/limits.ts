import type { ApolloServerPlugin } from '@apollo/server';
import {
  getArgumentValues,
  getNamedType,
  getVariableValues,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { ApiContext } from './context';
import { apiError } from './errors';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

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
