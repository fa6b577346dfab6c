import { adaptModel } from '@defect-rag/evaluation';
import type { CliCommand } from './command';
import { createProgressDisplay } from '../progress';

export const adaptCommand: CliCommand = {
  register(program) {
    program
      .command('adapt')
      .description(
        'learn a projection of an image-only model’s vectors from the dataset’s labels, on its train split only; write an adapted model folder',
      )
      .argument('<dataset-dir>', 'the dataset folder')
      .option('--name <name>', 'dataset name, as evaluate takes it (default: the folder name)')
      .requiredOption('--model <dir>', 'the base model folder (image-only, e.g. models/inception-v3-imagenet)')
      .requiredOption('--out <dir>', 'the adapted model folder to write')
      .option('--split <file>', 'split.json (default: the seeded split evaluate makes by default)')
      .option('--seed <n>', 'seed of the projection’s start; the same seed gives the same bytes', Number, 42)
      .option('--taxonomy <file>', 'taxonomy override (default: the dataset’s taxonomy.yaml, else the shipped one)')
      .action(
        async (
          datasetDir: string,
          options: { name?: string; model: string; out: string; split?: string; seed: number; taxonomy?: string },
        ) => {
          const progress = createProgressDisplay();
          const result = await adaptModel({
            datasetDir,
            name: options.name,
            modelDir: options.model,
            outDir: options.out,
            splitFile: options.split,
            seed: options.seed,
            taxonomyFile: options.taxonomy,
            onProgress: progress.listener,
          }).finally(() => progress.stop());
          const { figures } = result;
          const lines = [
            `trained   on the train split only: ${result.trainPhotos} photos, ${result.crops} crops, ${result.cleanWindows} clean windows`,
            `labels    ${Object.entries(figures.labels)
              .map(([label, count]) => `${label} ${count}`)
              .join(', ')}`,
            `loss      ${figures.initialLoss.toFixed(3)} → ${figures.finalLoss.toFixed(3)} (${figures.steps} steps)`,
            `split     ${result.splitSha256}`,
            `model     ${result.modelId}`,
            `wrote     ${result.outDir}`,
            '',
          ];
          process.stdout.write(lines.join('\n'));
        },
      );
  },
};
