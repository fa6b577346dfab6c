import { runWorker } from '@defect-rag/ingestion';
import { withBackend } from '../backend';
import type { CliCommand } from './command';

export const workerCommand: CliCommand = {
  register(program) {
    program
      .command('worker')
      .description(
        'take batches of distributed ingestions (`ingest --workers`) from the queue in PostgreSQL until Ctrl-C',
      )
      .option('--model <dir>', 'model folder (default: the run’s, else DEFECT_RAG_MODEL_DIR); must be the run’s model')
      .action(async (options: { model?: string }) => {
        const { batches } = await withBackend(
          (backend, signal) =>
            runWorker(backend, {
              modelDir: options.model,
              signal,
              onBatch: (event) => {
                if (event.state !== 'completed') return;
                process.stderr.write(
                  `run ${event.runId} batch ${event.index}: ${event.photos} photos, ${event.embedded} crops embedded${event.attempt > 0 ? ` (delivery ${event.attempt + 1})` : ''}\n`,
                );
              },
            }),
          { cancelOnSignals: true },
        );
        process.stderr.write(`worker stopped after ${batches} batches\n`);
      });
  },
};
