import { spawn, type ChildProcess } from 'node:child_process';
import { DefectRagError } from '@defect-rag/runtime';
import type { LocalWorkers, WorkerServers } from '@defect-rag/ingestion';

/** The last lines of a worker's stderr kept, to say why it stopped. */
const KEPT_STDERR = 2_000;

/**
 * `count` `defect-rag worker` processes of this machine for `ingest --workers N`: the same CLI and
 * environment, pointed at the coordinator's servers (embedded ones included) and its model folder.
 */
export function localWorkers(count: number, modelDir: string | undefined): LocalWorkers {
  const children: { child: ChildProcess; exited: Promise<string> }[] = [];
  return {
    start(servers: WorkerServers) {
      for (let i = 0; i < count; i++) {
        const child = spawn(
          process.execPath,
          [...process.execArgv, process.argv[1]!, 'worker', ...(modelDir ? ['--model', modelDir] : [])],
          {
            env: {
              ...process.env,
              DATABASE_URL: servers.databaseUrl,
              QDRANT_URL: servers.qdrantUrl,
              ...(servers.qdrantApiKey ? { QDRANT_API_KEY: servers.qdrantApiKey } : {}),
            },
            stdio: ['ignore', 'ignore', 'pipe'],
          },
        );
        let stderr = '';
        child.stderr!.on('data', (chunk) => (stderr = (stderr + chunk).slice(-KEPT_STDERR)));
        const exited = new Promise<string>((resolve) =>
          child.on('exit', (code, signal) =>
            resolve(`worker ${child.pid} exited (${signal ?? code}): ${stderr.trim()}`),
          ),
        );
        children.push({ child, exited });
      }
    },
    async exited() {
      const reasons = await Promise.all(children.map((worker) => worker.exited));
      throw new DefectRagError(
        'INTERNAL',
        `every local worker stopped before the run's batches were done; ${reasons.at(-1)}`,
      );
    },
    async stop() {
      // SIGTERM: each finishes the batch in hand (the run's remaining ones are already done or cancelled).
      for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await Promise.all(children.map((worker) => worker.exited));
    },
  };
}
