import root from '../../eslint.config.mjs';

export default [
  ...root,
  {
    // The root's TypeScript rules, for the .tsx files only this project has.
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      // The explorer is a client of the public HTTP API, never of the code behind it.
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@defect-rag/*'], message: 'the explorer talks to the API over HTTP only' }] },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-empty-function': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  // This file extends the root's config by path, which the boundary rule would read as a project import.
  { files: ['eslint.config.mjs'], rules: { '@nx/enforce-module-boundaries': 'off' } },
];
