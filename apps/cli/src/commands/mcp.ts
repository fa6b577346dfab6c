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
        // Loaded here, not with the other commands: the MCP SDK takes a second or more to import.
        const { serveMcpStdio } = await import('@defect-rag/mcp');
        await withBackend((backend) => serveMcpStdio(backend, { allowWrites: options.allowWrites }));
      });
  },
};
