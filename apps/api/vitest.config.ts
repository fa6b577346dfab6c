import { projectTestConfig } from '../../vitest.shared';

export default projectTestConfig(import.meta.url, {
  // graphql 16 ships CommonJS (main) and ESM (module) builds without an `exports` map: Node gives
  // the dependencies (type-graphql, Apollo) the CommonJS one, vite would give this project's sources
  // the ESM one, and graphql refuses to mix the two. Everyone gets the CommonJS build, as under tsx.
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
});
