import { listDatasets } from '@defect-rag/pipeline';
import { integer, withBackend } from '../backend';
import type { CliCommand } from './command';

export const datasetsCommand: CliCommand = {
  register(program) {
    program
      .command('datasets')
      .description('list registered datasets')
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
  },
};
