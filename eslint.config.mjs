import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

/** Below the jobs (ingestion, search, evaluation): what a job, and a tool, may import besides jobs. */
const BELOW_JOBS = ['type:runs', 'type:stage', 'type:store', 'type:util', 'type:testing'];
/** What the shells (apps, and the edges they share: GraphQL checks, MCP) may import: never a stage or store. */
const SHELLS_MAY_IMPORT = ['type:edge', 'type:host', 'type:job', 'type:runs', 'type:util', 'type:testing'];

export default [
  {
    ignores: [
      '**/node_modules',
      '**/dist',
      '**/.data',
      '**/generated',
      '**/vitest.config.ts',
      'apps/explorer/dist',
      '.nx',
      'test-output',
    ],
  },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts', '**/*.mjs'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            // apps → edges → run-manager (host) → jobs → runs → stages and stores → runtime (CONTRIBUTING.md).
            // An edge (GraphQL's shared checks, the MCP server) is a shell like the resolvers: it parses,
            // calls the jobs and shapes the answer, never reaching past them to stages or stores.
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: SHELLS_MAY_IMPORT },
            { sourceTag: 'type:edge', onlyDependOnLibsWithTags: SHELLS_MAY_IMPORT },
            {
              sourceTag: 'type:host',
              onlyDependOnLibsWithTags: ['type:job', 'type:runs', 'type:store', 'type:util', 'type:testing'],
            },
            { sourceTag: 'type:job', onlyDependOnLibsWithTags: ['type:job', ...BELOW_JOBS] },
            {
              sourceTag: 'type:runs',
              onlyDependOnLibsWithTags: ['type:stage', 'type:store', 'type:util', 'type:testing'],
            },
            { sourceTag: 'type:stage', onlyDependOnLibsWithTags: ['type:stage', 'type:util', 'type:testing'] },
            { sourceTag: 'type:store', onlyDependOnLibsWithTags: ['type:util', 'type:testing'] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:store', 'type:util'] },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'] },
            {
              sourceTag: 'type:tool',
              onlyDependOnLibsWithTags: ['type:host', 'type:job', ...BELOW_JOBS],
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // `.catch(() => {})` on best-effort cleanup is deliberate, and `!` after a checked index is
      // how noUncheckedIndexedAccess code says "known present".
      '@typescript-eslint/no-empty-function': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // libs/testing (real servers, ../shared) is for tests and tools only: the tags above let a
    // project depend on it, and this keeps it out of what the project ships.
    files: ['libs/*/src/**/*.ts', 'apps/*/src/**/*.ts', 'apps/*/src/**/*.tsx'],
    ignores: ['libs/testing/src/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@defect-rag/testing', message: 'only tests and tools may import @defect-rag/testing' },
            { name: '@defect-rag/runs/testing', message: 'only tests and tools may import @defect-rag/runs/testing' },
          ],
        },
      ],
    },
  },
];
