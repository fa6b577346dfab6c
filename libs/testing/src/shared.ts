import { existsSync } from 'node:fs';
import path from 'node:path';
import { sharedDir } from '@defect-rag/runtime';

/**
 * Test data lives in `../shared` beside the checkout and is never copied into the repository.
 * Returns the absolute path of `relative` inside it, or null (with a message saying why the tests
 * that need it are skipped). Under CI=true a missing folder is a failure, since CI always has it.
 */
export function sharedPathOrSkip(relative: string): string | null {
  const root = sharedDir();
  const full = root && path.join(root, relative);
  if (full && existsSync(full)) return full;
  const reason = `../shared/${relative} is absent`;
  if (process.env.CI === 'true') throw new Error(`${reason}: CI must run with ../shared beside the checkout`);
  console.warn(`[skip] ${reason}; tests that need it are skipped.`);
  return null;
}

export function sampleDatasetOrSkip(): string | null {
  return sharedPathOrSkip('datasets/vehicle-damage-sample');
}
