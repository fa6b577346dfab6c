import { indexEmbeddings, type IndexEmbeddingsSummary } from '@defect-rag/ingestion';
import { withBackend } from '../backend';
import { formatProblems } from '../output';
import { createProgressDisplay } from '../progress';
import type { CliCommand } from './command';

export const indexCommand: CliCommand = {
  register(program) {
    program
      .command('index')
      .description(
        "load embed's embeddings/ into Qdrant without running the model: an INDEX run of the dataset `crops` read, under the name it recorded",
      )
      .argument('<crops-dir>', 'the folder of `crops` → `contexts` → `embed` (metadata_crops_phase2.json, embeddings/)')
      .option('--repoint', 'point an existing dataset name at the folder `crops` read (refused otherwise)')
      .option('--json', 'print the summary as JSON')
      .action(async (cropsDir: string, options: { repoint?: boolean; json?: boolean }) => {
        const summary = await withBackend(
          async (backend, signal) => {
            const progress = createProgressDisplay();
            try {
              return await indexEmbeddings(
                backend,
                { cropsDir, repoint: options.repoint },
                { onProgress: progress.listener, signal },
              );
            } finally {
              progress.stop();
            }
          },
          { cancelOnSignals: true },
        );
        process.stdout.write(options.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
      });
  },
};

function formatSummary(summary: IndexEmbeddingsSummary): string {
  return [
    `run ${summary.runId} succeeded`,
    `dataset   ${summary.datasetName} (${summary.datasetId})`,
    `model     ${summary.modelId}${summary.randomWeights ? '  (random test weights: similarities are meaningless)' : ''}`,
    `index     ${summary.collection}: ${summary.indexed} points written, ${summary.points} for this dataset`,
    formatProblems(summary.problems),
    '',
  ].join('\n');
}
