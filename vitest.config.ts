import { defineConfig } from 'vitest/config';

/**
 * `npx vitest run apps/api/test/fuzz.test.ts` from the repository root runs the file under its own
 * project's config, as `nx test` does: the api's needs its `graphql` alias (see apps/api/vitest.config.ts),
 * without which a test there fails with "Cannot use GraphQLObjectType from another module or realm".
 */
export default defineConfig({
  test: { projects: ['apps/*/vitest.config.ts', 'libs/*/vitest.config.ts'] },
});
