import { cropsStage } from '@defect-rag/ingestion';
import type { CliCommand } from './command';
import { createProgressDisplay } from '../progress';
import { formatProblems } from '../output';

interface CropsOptions {
  out: string;
  split?: string;
  size: number;
  tileOverlap: number;
  gridOverlap: number;
  minCoverage: number;
  mask: boolean;
  balance: boolean;
  seed: number;
  format: 'jpeg' | 'png';
  quality: number;
  concurrency?: number;
  taxonomy?: string;
  annotationPattern?: string;
}

export const cropsCommand: CliCommand = {
  register(program) {
    program
      .command('crops')
      .description(
        'phase 1: cut clustered/tiled crops around defects and masked grid crops over clean vehicles; write metadata_crops_phase1.json',
      )
      .argument('<dataset-dir>', 'the dataset folder')
      .requiredOption('--out <dir>', 'output folder (crops/ and metadata_crops_phase1.json)')
      .option('--split <file>', 'split.json from `defect-rag split`: each crop gets its image’s split')
      .option('--size <px>', 'crop window side; crops are never resized', Number, 336)
      .option('--tile-overlap <fraction>', 'overlap of the tiles over a defect larger than the window', Number, 0.3)
      .option('--grid-overlap <fraction>', 'overlap of the grid windows over clean vehicles', Number, 0.3)
      .option('--min-coverage <fraction>', 'drop clean crops where the vehicle covers less than this', Number, 0.5)
      .option('--no-mask', 'keep the background outside the vehicle silhouette in clean crops')
      .option('--no-balance', 'keep every clean crop instead of sampling them to match the damage crops')
      .option('--seed <n>', 'seed of the balance sampling', Number, 42)
      .option('--format <format>', 'jpeg or png', 'jpeg')
      .option('--quality <q>', 'JPEG quality', Number, 95)
      .option('--concurrency <n>', 'images decoded at once (default: the number of cores)', Number)
      .option('--taxonomy <file>', 'taxonomy override (default: the dataset’s taxonomy.yaml, else the shipped one)')
      .option('--annotation-pattern <pattern>', 'damage file name, {stem} = image name without extension')
      .action(async (datasetDir: string, options: CropsOptions) => {
        const progress = createProgressDisplay();
        const { metadataFile, summary, problems } = await cropsStage({
          datasetDir,
          outDir: options.out,
          splitFile: options.split,
          taxonomyFile: options.taxonomy,
          annotationPattern: options.annotationPattern,
          concurrency: options.concurrency,
          onProgress: progress.listener,
          config: {
            size: options.size,
            tileOverlap: options.tileOverlap,
            gridOverlap: options.gridOverlap,
            minVehicleCoverage: options.minCoverage,
            maskBackground: options.mask,
            balance: options.balance,
            seed: options.seed,
            format: options.format,
            jpegQuality: options.quality,
          },
        }).finally(() => progress.stop());
        const { by_strategy: strategy } = summary;
        process.stdout.write(
          [
            `images    ${summary.images} (${summary.images_with_crops} with crops)`,
            `crops     ${summary.crops}: ${summary.damage_crops} damage (cluster ${strategy.cluster}, tile ${strategy.tile}), ${summary.clean_crops} clean (grid ${strategy.grid})`,
            `dropped   ${summary.grid_below_coverage} grid windows under the coverage threshold, ${summary.clean_dropped_by_balance} clean crops by balance`,
            `wrote     ${metadataFile}`,
            formatProblems(problems),
            '',
          ].join('\n'),
        );
      });
  },
};
