import { existsSync } from 'node:fs';
import path from 'node:path';
import { workspaceRoot } from '@defect-rag/runtime';
import { demoDatasetStage, ingestDataset } from '@defect-rag/ingestion';
import { checkApiPortFree, runApiProcess } from '../api-process';
import { collect, integer, withBackend } from '../backend';
import { formatProblems } from '../output';
import { createProgressDisplay } from '../progress';
import { searchHints } from '../search-hints';
import type { CliCommand } from './command';

interface DemoOptions {
  dataset?: string;
  model?: string[];
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
      .option(
        '--model <dir>',
        'model folder, repeatable; the first answers queries that name no model (default: the ImageNet image model npm ci makes, then DEFECT_RAG_MODEL_DIR)',
        collect,
      )
      .option('--images <n>', 'images in the generated demo dataset', integer, 24)
      .option('--no-serve', 'stop after ingesting instead of starting the API')
      .option('--port <port>', 'API port (default: DEFECT_RAG_API_PORT or 4000)', integer)
      .action(async (options: DemoOptions) => {
        // Before minutes of ingestion, not after them.
        if (options.serve) await checkApiPortFree({ port: options.port });
        let modelDirs: string[] = [];
        await withBackend(async (backend) => {
          modelDirs = options.model?.map((dir) => path.resolve(dir)) ?? defaultDemoModels(backend.config.modelDirs);
          let datasetDir = options.dataset;
          if (!datasetDir) {
            datasetDir = path.join(backend.config.dataDir, 'demo-dataset');
            const demo = await demoDatasetStage({ outDir: datasetDir, images: options.images });
            process.stdout.write(
              `demo dataset: ${demo.images} synthetic images (${demo.damaged} damaged, ${demo.defects} defects) in ${demo.root}\n`,
            );
          }
          // One ingestion per model: each has its own collection, and the API serves them all.
          const hints: string[] = [];
          for (const modelDir of modelDirs) {
            const progress = createProgressDisplay();
            const summary = await ingestDataset(
              backend,
              { datasetDir, modelDir },
              { onProgress: progress.listener },
            ).finally(() => progress.stop());
            const model = await backend.embedder(modelDir);
            process.stdout.write(
              [
                `ingested ${summary.datasetName}: ${summary.images} images → ${summary.crops.total} crops (${summary.crops.damage} damage, ${summary.crops.clean} clean) → ${summary.points} points in ${summary.collection}`,
                `run ${summary.runId}: ${(summary.timings.total! / 1000).toFixed(1)} s, ${summary.imagesPerSecond.toFixed(1)} images/s`,
                `model ${summary.modelId}: ${model.hasTextTower ? 'image and text towers' : 'image tower only (image searches)'}` +
                  (summary.randomWeights
                    ? ', random test weights: results show the plumbing, not retrieval quality'
                    : ''),
                formatProblems(summary.problems),
                '',
              ].join('\n'),
            );
            hints.push(...(await searchHints(backend, { ...summary, modelDir })));
          }
          process.stdout.write(
            [
              'search it from the command line:',
              ...hints,
              `  npx defect-rag runs`,
              options.serve ? 'starting the API (Ctrl-C stops it)…' : 'serve it: npx defect-rag serve',
              '',
            ].join('\n'),
          );
        });
        if (options.serve) process.exitCode = await runApiProcess({ port: options.port, modelDirs });
      });
  },
};

/**
 * The real ImageNet image model first, when `npm ci` made it, so that "similar to this crop" shows
 * real similarity; then the configured models (the tiny test model by default), for text searches.
 */
function defaultDemoModels(configured: readonly string[]): string[] {
  const imageNet = path.join(workspaceRoot, 'models', 'inception-v3-imagenet');
  const withImageNet = existsSync(path.join(imageNet, 'config.json')) ? [imageNet, ...configured] : configured;
  return [...new Set(withImageNet)];
}
