import { serveMcpStdio } from '@defect-rag/mcp';
import { withBackend } from '../backend';
import type { CliCommand } from './command';

export const mcpCommand: CliCommand = {
  register(program) {
    program
      .command('mcp')
      .description(
        'serve the Model Context Protocol on stdin/stdout for an agent (starting the embedded servers when no URL is set) until it disconnects',
      )
      .option('--allow-writes', 'also offer the tools that delete data (delete_dataset)', false)
      .action(async (options: { allowWrites: boolean }) => {
        await withBackend((backend) => serveMcpStdio(backend, { allowWrites: options.allowWrites }));
      });
  },
};
