import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig, type ViteUserConfig } from 'vitest/config';

const workspaceRoot = path.dirname(fileURLToPath(import.meta.url));

/**
 * The vitest settings every project shares. Besides the console output, each project writes a JSON
 * report to test-output/vitest/<project>.json, which tools/test-summary.ts adds up into the one
 * closing line `N passed, N failed, N skipped` that CI reads.
 */
export function projectTestConfig(projectConfigUrl: string, overrides: ViteUserConfig = {}): ViteUserConfig {
  const projectDir = path.dirname(fileURLToPath(projectConfigUrl));
  const name = path.relative(workspaceRoot, projectDir).replaceAll(path.sep, '-');
  return mergeConfig(
    defineConfig({
      test: {
        include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
        reporters: ['default', 'json'],
        outputFile: { json: path.join(workspaceRoot, 'test-output', 'vitest', `${name}.json`) },
        testTimeout: 30_000,
        hookTimeout: 180_000,
        passWithNoTests: true,
      },
    }),
    overrides,
  );
}
