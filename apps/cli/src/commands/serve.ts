import { checkApiPortFree, runApiProcess } from '../api-process';
import { integer } from '../backend';
import type { CliCommand } from './command';

export const serveCommand: CliCommand = {
  register(program) {
    program
      .command('serve')
      .description(
        'serve the GraphQL API, MCP at /mcp, crop images and /healthz (starting the embedded servers when no URL is set) until Ctrl-C',
      )
      .option('--port <port>', 'port to listen on (default: DEFECT_RAG_API_PORT or 4000; 0 picks a free one)', integer)
      .option('--host <host>', 'address to listen on (default: DEFECT_RAG_API_HOST or 127.0.0.1)')
      .option(
        '--mcp-allow-writes',
        'also offer the MCP tools that delete data at /mcp (to requests with a key when keys are set)',
      )
      .action(async (options: { port?: number; host?: string; mcpAllowWrites?: boolean }) => {
        await checkApiPortFree(options);
        process.exitCode = await runApiProcess(options);
      });
  },
};
