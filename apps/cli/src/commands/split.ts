import { splitStage } from '@defect-rag/ingestion';
import type { CliCommand } from './command';
import { createProgressDisplay } from '../progress';
import { formatProblems } from '../output';

export const splitCommand: CliCommand = {
  register(program) {
    program
      .command('split')
      .description(
        'split a dataset into train and test images, stratified by damaged/clean, damage type and zone; write split.json',
      )
      .argument('<dataset-dir>', 'the dataset folder')
      .option('--out <dir>', 'folder for split.json', '.')
      .option('--test-fraction <fraction>', 'share of images for test', Number, 0.2)
      .option('--seed <n>', 'random seed; the same seed gives the same split', Number, 42)
      .option('--taxonomy <file>', 'taxonomy override (default: the dataset’s taxonomy.yaml, else the shipped one)')
      .option('--annotation-pattern <pattern>', 'damage file name, {stem} = image name without extension')
      .action(
        async (
          datasetDir: string,
          options: { out: string; testFraction: number; seed: number; taxonomy?: string; annotationPattern?: string },
        ) => {
          const progress = createProgressDisplay();
          const { split, file, problems } = await splitStage({
            datasetDir,
            outDir: options.out,
            testFraction: options.testFraction,
            seed: options.seed,
            taxonomyFile: options.taxonomy,
            annotationPattern: options.annotationPattern,
            onProgress: progress.listener,
          }).finally(() => progress.stop());
          const lines = [
            `split     ${split.counts.images} images: ${split.counts.train} train, ${split.counts.test} test (seed ${split.seed})`,
            `strata    ${split.strata.length}`,
            ...split.strata.map(
              (s) =>
                `          ${s.stratum.padEnd(40)} train ${String(s.train).padStart(4)}  test ${String(s.test).padStart(4)}`,
            ),
            `wrote     ${file}`,
            formatProblems(problems),
            '',
          ];
          process.stdout.write(lines.join('\n'));
        },
      );
  },
};
