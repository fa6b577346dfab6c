import { exportLabels } from '@defect-rag/ingestion';
import { getDatasetByName } from '@defect-rag/runs';
import { withBackend } from '../backend';
import type { CliCommand } from './command';

export const labelsCommand: CliCommand = {
  register(program) {
    const labels = program.command('labels').description("analysts' labels (added through the API or the explorer)");
    labels
      .command('export')
      .description(
        "write each labelled photo's LabelMe file (its original shapes, then the analysts' polygons) into a folder, in the dataset's layout; never into the dataset itself",
      )
      .argument('<dataset>', 'the dataset name')
      .requiredOption('--out <dir>', 'the folder to write into (not the dataset folder nor inside it)')
      .option('--json', 'print what was written as JSON')
      .action(async (name: string, options: { out: string; json?: boolean }) => {
        const written = await withBackend(async (backend) =>
          exportLabels(backend, (await getDatasetByName(backend, name)).id, options.out),
        );
        if (options.json) {
          process.stdout.write(`${JSON.stringify(written, null, 2)}\n`);
          return;
        }
        process.stdout.write(`${written.labels} label(s) of ${written.photos} photo(s) written:\n`);
        for (const file of written.files) process.stdout.write(`  ${file}\n`);
      });
  },
};
