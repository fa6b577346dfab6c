import { deleteDataset, planDatasetDeletion, type DatasetDeletion } from '@defect-rag/ingestion';
import { getDatasetByName, listDatasets } from '@defect-rag/runs';
import { DefectRagError } from '@defect-rag/runtime';
import { integer, withBackend } from '../backend';
import type { CliCommand } from './command';

export const datasetsCommand: CliCommand = {
  register(program) {
    const datasets = program.command('datasets').description('list registered datasets, or delete one');
    datasets
      .command('list', { isDefault: true })
      .description('list registered datasets (the default)')
      .option('--limit <n>', 'how many', integer, 50)
      .option('--json', 'print the datasets as JSON')
      .action(async (options: { limit: number; json?: boolean }) => {
        const page = await withBackend((backend) => listDatasets(backend, { first: options.limit }));
        if (options.json) {
          process.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
          return;
        }
        process.stdout.write(`${page.items.length} of ${page.totalCount} dataset(s)\n`);
        for (const dataset of page.items) {
          process.stdout.write(
            `${dataset.id}  ${dataset.name.padEnd(24)} ${dataset.imageCount} images (${dataset.damagedCount} damaged), ${dataset.cropCount} crops  ${dataset.root}\n`,
          );
        }
      });
    datasets
      .command('delete')
      .description(
        "delete a dataset's points (every collection), crop and report files under the data dir, runs and record; never its photos",
      )
      .argument('<name>', 'the dataset name')
      .option('--yes', 'really delete (without it: print what would be deleted and exit 2)')
      .option('--json', 'print what was deleted as JSON')
      .action(async (name: string, options: { yes?: boolean; json?: boolean }) => {
        const deletion = await withBackend(async (backend) => {
          const dataset = await getDatasetByName(backend, name);
          if (!options.yes) {
            const plan = await planDatasetDeletion(backend, dataset.id);
            throw new DefectRagError(
              'BAD_INPUT',
              `not deleting without --yes; \`datasets delete ${name} --yes\` would delete:\n${describe(plan)}`,
              { datasetId: dataset.id },
            );
          }
          return deleteDataset(backend, dataset.id);
        });
        process.stdout.write(
          options.json ? `${JSON.stringify(deletion, null, 2)}\n` : `deleted:\n${describe(deletion)}\n`,
        );
      });
  },
};

function describe({ dataset, points, runs, cropFiles, folders }: DatasetDeletion): string {
  const pointLines = points.map(({ collection, count }) => `  ${count} points in ${collection}`);
  return [
    `  dataset "${dataset.name}" (${dataset.id}); its photos in ${dataset.root} stay`,
    ...(pointLines.length > 0 ? pointLines : ['  no points in any collection']),
    `  ${runs} run(s) with their problems`,
    `  ${cropFiles} crop image(s); folders: ${folders.length > 0 ? folders.join(', ') : 'none'}`,
  ].join('\n');
}
