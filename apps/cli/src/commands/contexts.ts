import { contextsStage } from '@defect-rag/ingestion';
import type { CliCommand } from './command';
import { createProgressDisplay } from '../progress';
import { formatProblems } from '../output';

interface ContextsOptions {
  taxonomy?: string;
  enrich?: boolean;
  strict?: boolean;
  json?: boolean;
}

export const contextsCommand: CliCommand = {
  register(program) {
    program
      .command('contexts')
      .description(
        'phase 2: damage types, vehicle zone and text description of every crop; write metadata_crops_phase2.json',
      )
      .argument('<crops-dir>', 'the folder holding metadata_crops_phase1.json (the --out of `defect-rag crops`)')
      .option('--taxonomy <file>', 'taxonomy override (default: the dataset’s taxonomy.yaml, else the shipped one)')
      .option('--enrich', "add each damage type's visual description to the text")
      .option('--strict', 'fail on labels the taxonomy does not know instead of reporting them')
      .option('--json', 'print the summary as JSON')
      .action(async (cropsDir: string, options: ContextsOptions) => {
        const progress = createProgressDisplay();
        const result = await contextsStage({
          cropsDir,
          taxonomyFile: options.taxonomy,
          enrich: options.enrich,
          strict: options.strict,
          onProgress: progress.listener,
        }).finally(() => progress.stop());
        if (options.json) {
          process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
          return;
        }
        const { summary } = result;
        const counts = (tally: Record<string, number>) =>
          Object.entries(tally)
            .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
            .map(([key, count]) => `${key} ${count}`)
            .join(', ') || 'none';
        const unknown = summary.unknown_labels
          .map(({ kind, label, count }) => `${kind} '${label}' ×${count}`)
          .join(', ');
        const tokens = `${summary.token_count === 'estimate' ? 'estimated; ' : ''}limit ${summary.max_tokens}`;
        process.stdout.write(
          [
            `crops     ${result.crops}: ${result.damageCrops} damage, ${result.cleanCrops} clean`,
            `taxonomy  ${summary.taxonomy.join(' + ')}`,
            `zones     ${counts(summary.crops_by_zone)}`,
            `types     ${counts(summary.crops_by_damage_type)}`,
            `unknown   ${unknown || 'none'}`,
            `tokens    ${summary.over_token_limit} descriptions over the limit (${tokens})`,
            `wrote     ${result.metadataFile}`,
            formatProblems(result.problems),
            '',
          ].join('\n'),
        );
      });
  },
};
