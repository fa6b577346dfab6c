import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { validateInputArgument } from './validation';
import { DatasetResolver } from './resolvers/dataset-resolver';
import { IndexResolver } from './resolvers/index-resolver';
import { CropPhotoResolver, PhotoResolver } from './resolvers/photo-resolver';
import { CropLabelsResolver, LabelResolver, PhotoLabelsResolver } from './resolvers/label-resolver';
import { RunResolver } from './resolvers/run-resolver';
import { SearchResolver } from './resolvers/search-resolver';

let schema: Promise<GraphQLSchema> | undefined;

/** The executable schema, built once per process from the resolver classes. */
export function buildApiSchema(): Promise<GraphQLSchema> {
  schema ??= buildSchema({
    resolvers: [
      SearchResolver,
      IndexResolver,
      DatasetResolver,
      RunResolver,
      PhotoResolver,
      CropPhotoResolver,
      LabelResolver,
      PhotoLabelsResolver,
      CropLabelsResolver,
    ],
    validateFn: validateInputArgument,
  });
  return schema;
}

export const SCHEMA_FILE_HEADER =
  '# Generated from apps/api/src by `npm run -w @defect-rag/api schema`; do not edit.\n\n';

/** The schema as SDL, sorted so that the committed file changes only when the schema does. */
export async function printApiSchema(): Promise<string> {
  return `${SCHEMA_FILE_HEADER}${printSchema(lexicographicSortSchema(await buildApiSchema()))}\n`;
}
