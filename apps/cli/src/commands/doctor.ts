import { runDoctor } from '@defect-rag/pipeline';
import { createLogger, loadConfig } from '@defect-rag/runtime';
import type { CliCommand } from './command';

export const doctorCommand: CliCommand = {
  register(program) {
    program
      .command('doctor')
      .description(
        'check the configuration, PostgreSQL, Qdrant and the model folder (starts the embedded servers when no URL is set)',
      )
      .option('--json', 'print the report as JSON')
      .action(async (options: { json?: boolean }) => {
        const config = loadConfig();
        const report = await runDoctor(config, createLogger(config.logLevel, config.logFormat));
        if (options.json) {
          process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        } else {
          for (const check of report.checks) {
            process.stdout.write(`${check.ok ? 'ok  ' : 'FAIL'} ${check.name.padEnd(9)} ${check.detail}\n`);
          }
        }
        process.exitCode = report.ok ? 0 : 3;
      });
  },
};
