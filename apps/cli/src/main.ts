import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { workspaceRoot } from '@defect-rag/runtime';
import { commands } from './commands';
import { reportError } from './output';

const { version } = JSON.parse(readFileSync(`${workspaceRoot}/package.json`, 'utf8')) as { version: string };

const program = new Command('defect-rag')
  .description('Turn annotated vehicle-damage photos into a searchable multimodal index.')
  .version(version, '-v, --version')
  .showHelpAfterError()
  .exitOverride();

for (const command of commands) command.register(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  process.exit(reportError(error, { json: process.argv.includes('--json') }));
}
