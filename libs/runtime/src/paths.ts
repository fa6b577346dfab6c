import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the folder holding `nx.json`, found from this file's location. */
export const workspaceRoot: string = findUp(path.dirname(fileURLToPath(import.meta.url)), 'nx.json');

function findUp(start: string, marker: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(path.join(dir, marker))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

/**
 * The `shared/` folder beside the checkout (datasets, tokenizer and preprocessing goldens). It is
 * never copied into the repository; tests and benchmarks read it in place. Null when absent.
 */
export function sharedDir(): string | null {
  const candidates = [process.env.DEFECT_RAG_SHARED_DIR, path.resolve(workspaceRoot, '..', 'shared')];
  for (const candidate of candidates) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  return null;
}

export function sampleDatasetDir(): string | null {
  const shared = sharedDir();
  const dir = shared && path.join(shared, 'datasets', 'vehicle-damage-sample');
  return dir && existsSync(dir) ? dir : null;
}
