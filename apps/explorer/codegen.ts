import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * The types of the explorer's GraphQL operations (src/queries.ts), generated from the API's
 * schema: `npm run -w @defect-rag/explorer codegen`. `npm run lint` fails when they are stale.
 */
const config: CodegenConfig = {
  schema: '../api/schema.graphql',
  documents: ['src/**/*.ts', 'src/**/*.tsx', '!src/generated/**'],
  generates: {
    'src/generated/graphql.ts': {
      plugins: ['typescript-operations'],
      config: {
        // The JSON shapes as they travel: custom scalars as what the API serializes them to.
        scalars: {
          ID: 'string',
          DateTimeISO: 'string',
          JSONObject: 'Record<string, unknown>',
          // Sent as a multipart file (null inside the JSON), never read back.
          Upload: 'File',
        },
        strictScalars: true,
        skipTypename: true,
        enumType: 'string-literal',
        useTypeImports: true,
      },
    },
  },
};

export default config;
