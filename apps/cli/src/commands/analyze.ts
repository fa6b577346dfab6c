import { analyzeStage } from '@defect-rag/ingestion';
import type { CliCommand } from './command';
import { createProgressDisplay } from '../progress';
import { formatProblems } from '../output';

export const analyzeCommand: CliCommand = {
  register(program) {
    program
      .command('analyze')
      .description('count images, defects, labels, zones and sizes of a dataset; write dataset-report.json and .md')
      .argument('<dataset-dir>', 'the dataset folder (images, damage annotations, poligonos.json)')
      .option('--out <dir>', 'folder for the report files', '.')
      .option('--window <px>', 'crop window the size counts refer to', Number, 336)
      .option('--taxonomy <file>', 'taxonomy override (default: the dataset’s taxonomy.yaml, else the shipped one)')
      .option('--annotation-pattern <pattern>', 'damage file name, {stem} = image name without extension')
      .action(
        async (
          datasetDir: string,
          options: { out: string; window: number; taxonomy?: string; annotationPattern?: string },
        ) => {
          const progress = createProgressDisplay();
          const { report, files } = await analyzeStage({
            datasetDir,
            outDir: options.out,
            window: options.window,
            taxonomyFile: options.taxonomy,
            annotationPattern: options.annotationPattern,
            onProgress: progress.listener,
          }).finally(() => progress.stop());
          const { images, defects } = report;
          const counts = (record: Record<string, number>) =>
            Object.entries(record)
              .map(([key, n]) => `${key} ${n}`)
              .join(', ') || 'none';
          process.stdout.write(
            [
              `dataset   ${report.dataset.name}: ${images.total} images (${images.damaged} damaged, ${images.clean} clean)`,
              `defects   ${defects.total}; ${defects.larger_than_window} larger than the ${report.window} px window`,
              `types     ${counts(defects.per_type)}`,
              `zones     ${counts(defects.per_zone)}`,
              `wrote     ${files.json}`,
              `          ${files.markdown}`,
              formatProblems(report.problems.items),
              '',
            ].join('\n'),
          );
        },
      );
  },
};
