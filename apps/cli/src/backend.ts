import path from 'node:path';
import { openBackend, type Backend } from '@defect-rag/runs';
import { createLogger, loadConfig } from '@defect-rag/runtime';

/**
 * Runs a command against the backend (embedded or configured servers, database, models) and
 * closes it afterwards, also when the command fails.
 */
export async function withBackend<T>(
  work: (backend: Backend, signal: AbortSignal) => Promise<T>,
  { cancelOnSignals = false, modelDir }: { cancelOnSignals?: boolean; modelDir?: string } = {},
): Promise<T> {
  const loaded = loadConfig();
  // `--model DIR` makes that folder the one model of this command.
  const model = modelDir && path.resolve(modelDir);
  const config = model ? { ...loaded, modelDir: model, modelDirs: [model] } : loaded;
  const backend = await openBackend(config, createLogger(config.logLevel, config.logFormat));
  const controller = new AbortController();
  const restore = cancelOnSignals ? cancelOnSignal(controller, backend) : () => {};
  try {
    return await work(backend, controller.signal);
  } finally {
    restore();
    await backend.close();
  }
}

/**
 * SIGINT / SIGTERM cancel the command's run instead of ending the process: the run stops at its
 * next batch and is recorded CANCELLED, the servers are stopped, and the command exits 4
 * (RUN_CANCELLED). The embedded servers' own handlers, which would exit at once and leave the run
 * RUNNING, are set aside meanwhile; a second signal ends the process at once.
 */
function cancelOnSignal(controller: AbortController, backend: Backend): () => void {
  const saved = new Map<NodeJS.Signals, NodeJS.SignalsListener[]>();
  const handler = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143);
    backend.logger.warn(`${signal}: cancelling the run at its next batch (again to stop at once)`);
    controller.abort();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    saved.set(signal, process.rawListeners(signal) as NodeJS.SignalsListener[]);
    process.removeAllListeners(signal);
    process.on(signal, handler);
  }
  return () => {
    for (const [signal, listeners] of saved) {
      process.off(signal, handler);
      for (const listener of listeners) process.on(signal, listener);
    }
  };
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
