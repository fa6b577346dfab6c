import { listRuns, type RunKind, type RunRecord, type RunStatus } from '@defect-rag/runs';
import { integer, withBackend } from '../backend';
import type { CliCommand } from './command';

export const runsCommand: CliCommand = {
  register(program) {
    program
      .command('runs')
      .description('list ingestion and evaluation runs, newest first')
      .option('--dataset <id>', 'only runs of this dataset')
      .option('--kind <kind>', 'INGEST or EVALUATE')
      .option('--status <status>', 'QUEUED, RUNNING, SUCCEEDED, FAILED or CANCELLED')
      .option('--limit <n>', 'how many', integer, 20)
      .option('--json', 'print the runs as JSON')
      .action(
        async (options: { dataset?: string; kind?: RunKind; status?: RunStatus; limit: number; json?: boolean }) => {
          const page = await withBackend((backend) =>
            listRuns(
              backend,
              { datasetId: options.dataset, kind: options.kind, status: options.status },
              { first: options.limit },
            ),
          );
          if (options.json) {
            process.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
            return;
          }
          process.stdout.write(`${page.items.length} of ${page.totalCount} run(s)\n`);
          for (const run of page.items) process.stdout.write(`${formatRun(run)}\n`);
        },
      );
  },
};

function formatRun(run: RunRecord): string {
  const stages = Object.entries(run.progress)
    .map(([stage, { done, total }]) => `${stage} ${done}/${total}`)
    .join(', ');
  const seconds = run.timings.total !== undefined ? ` ${(run.timings.total / 1000).toFixed(1)} s` : '';
  const error = run.error ? `\n    error [${run.errorCode}]: ${run.error}` : '';
  return `${run.id}  ${run.kind.padEnd(8)} ${run.status.padEnd(9)} ${run.createdAt.toISOString()}${seconds}  ${stages}${error}`;
}
