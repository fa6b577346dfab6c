import path from 'node:path';
import { openBackend, type Backend } from '@defect-rag/pipeline';
import { createLogger, loadConfig } from '@defect-rag/runtime';

/**
 * Runs a command against the backend (embedded or configured servers, database, models) and
 * closes it afterwards, also when the command fails.
 */
export async function withBackend<T>(
  work: (backend: Backend) => Promise<T>,
  overrides: { modelDir?: string } = {},
): Promise<T> {
  const loaded = loadConfig();
  // `--model DIR` makes that folder the one model of this command.
  const modelDir = overrides.modelDir && path.resolve(overrides.modelDir);
  const config = modelDir ? { ...loaded, modelDir, modelDirs: [modelDir] } : loaded;
  const backend = await openBackend(config, createLogger(config.logLevel, config.logFormat));
  try {
    return await work(backend);
  } finally {
    await backend.close();
  }
}

/** Repeatable option collector for commander: `--zone a --zone b` → ['a', 'b']. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Integer option parser that rejects what is not an integer instead of passing NaN along. */
export function integer(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) throw new Error(`not an integer: ${value}`);
  return parsed;
}

export function number(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new Error(`not a number: ${value}`);
  return parsed;
}
