import path from 'node:path';
import { demoDatasetStage, ingestDataset } from '@defect-rag/pipeline';
import { runApiProcess } from '../api-process';
import { integer, withBackend } from '../backend';
import { formatProblems } from '../output';
import { createProgressDisplay } from '../progress';
import type { CliCommand } from './command';

interface DemoOptions {
  dataset?: string;
  model?: string;
  images: number;
  serve: boolean;
  port?: number;
}

export const demoCommand: CliCommand = {
  register(program) {
    program
      .command('demo')
      .description(
        'the main job: ingest a dataset (by default a synthetic demo one it generates) on the embedded servers, then serve the GraphQL API and print a curl example',
      )
      .option('--dataset <dir>', 'your dataset instead of the generated demo dataset')
      .option('--model <dir>', 'model folder (default: DEFECT_RAG_MODEL_DIR, the tiny random test model)')
      .option('--images <n>', 'images in the generated demo dataset', integer, 24)
      .option('--no-serve', 'stop after ingesting instead of starting the API')
      .option('--port <port>', 'API port (default: DEFECT_RAG_API_PORT or 4000)', integer)
      .action(async (options: DemoOptions) => {
        await withBackend(async (backend) => {
          let datasetDir = options.dataset;
          if (!datasetDir) {
            datasetDir = path.join(backend.config.dataDir, 'demo-dataset');
            const demo = await demoDatasetStage({ outDir: datasetDir, images: options.images });
            process.stdout.write(
              `demo dataset: ${demo.images} synthetic images (${demo.damaged} damaged, ${demo.defects} defects) in ${demo.root}\n`,
            );
          }
          const progress = createProgressDisplay();
          const summary = await ingestDataset(
            backend,
            { datasetDir, modelDir: options.model },
            { onProgress: progress.listener },
          ).finally(() => progress.stop());
          process.stdout.write(
            [
              `ingested ${summary.datasetName}: ${summary.images} images → ${summary.crops.total} crops (${summary.crops.damage} damage, ${summary.crops.clean} clean) → ${summary.points} points in ${summary.collection}`,
              `run ${summary.runId}: ${(summary.timings.total! / 1000).toFixed(1)} s, ${summary.imagesPerSecond.toFixed(1)} images/s`,
              summary.randomWeights
                ? `model ${summary.modelId} has random test weights: results show the plumbing, not retrieval quality`
                : `model ${summary.modelId}`,
              formatProblems(summary.problems),
              '',
              'search it from the command line:',
              `  npx defect-rag search --text "scratch on the door" --damaged --limit 5`,
              `  npx defect-rag runs`,
              options.serve ? 'starting the API (Ctrl-C stops it)…' : 'serve it: npx defect-rag serve',
              '',
            ].join('\n'),
          );
        });
        if (options.serve) process.exitCode = await runApiProcess({ port: options.port });
      });
  },
};
