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
  // Help and --version exit 0; commander's usage errors (unknown command or option, a bad or
  // missing value) exit 2 like every other bad input, not commander's 1.
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
  process.exit(reportError(error, { json: process.argv.includes('--json') }));
}
