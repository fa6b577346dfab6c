import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
// The low-level server, not McpServer: McpServer checks tool arguments itself and answers a bad
// one with its own untyped text; here they go through the same checks as GraphQL's and come back
// as BAD_USER_INPUT, like every other error.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListResourcesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { apiCodeOf, parseInput } from '@defect-rag/interface';
import type { Backend } from '@defect-rag/runs';
import { DefectRagError, workspaceRoot, type Logger } from '@defect-rag/runtime';
import { RESOURCES } from './resources';
import { TOOLS, type ToolContext, type ToolResult } from './tools';

export interface McpOptions {
  /** List the tools that change or delete data (delete_dataset); off unless the server is started with the flag. */
  allowWrites: boolean;
  /** Prefix of crop image URLs in results (an API server's URL); none over stdio. */
  imageUrlBase?: string;
}

const { version } = JSON.parse(readFileSync(`${workspaceRoot}/package.json`, 'utf8')) as { version: string };

const INSTRUCTIONS =
  'defect-rag indexes crops of annotated vehicle-damage photos. Find similar defects with search_similar_defects ' +
  '(a crop id, a base64 image, or a text), pull a cited, prompt-ready context with get_rag_context, and look at a ' +
  'crop or photo with get_crop / get_photo. The taxonomy resource lists the damage types, zones and areas the ' +
  'filters take; the evaluations resource and list_models say how far to trust a score.';

const INTERNAL_MESSAGE = 'internal server error (the server log has the details)';

/** An MCP server over the backend: the tools and resources, for one connection. */
export function createMcpServer(backend: Backend, options: McpOptions): Server {
  const server = new Server(
    { name: 'defect-rag', version },
    { capabilities: { tools: {}, resources: {} }, instructions: INSTRUCTIONS },
  );
  const tools = TOOLS.filter((tool) => options.allowWrites || !tool.writes);
  const context: ToolContext = { backend, imageUrlBase: options.imageUrlBase };

  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: tools.map((tool) => ({
      name: tool.name,
      description: tool.description,
      inputSchema: z.toJSONSchema(tool.input, { io: 'input' }) as { type: 'object' },
      annotations: { readOnlyHint: !tool.writes, destructiveHint: tool.writes === true },
    })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async ({ params }) => {
    const tool = tools.find(({ name }) => name === params.name);
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `no tool "${params.name}"`);
    try {
      return await tool.run(parseInput(tool.input, params.arguments ?? {}, 'arguments'), context);
    } catch (error) {
      return toolError(error, backend.logger);
    }
  });
  server.setRequestHandler(ListResourcesRequestSchema, () => ({
    resources: RESOURCES.map(({ uri, name, description }) => ({
      uri,
      name,
      description,
      mimeType: 'application/json',
    })),
  }));
  server.setRequestHandler(ReadResourceRequestSchema, async ({ params }) => {
    const resource = RESOURCES.find(({ uri }) => uri === params.uri);
    if (!resource) throw new McpError(ErrorCode.InvalidParams, `no resource "${params.uri}"`);
    try {
      const text = JSON.stringify(await resource.read(backend), null, 2);
      return { contents: [{ uri: resource.uri, mimeType: 'application/json', text }] };
    } catch (error) {
      const { code, message } = coded(error, backend.logger);
      throw new McpError(ErrorCode.InternalError, `${code}: ${message}`);
    }
  });
  return server;
}

/**
 * A failed call as MCP wants it (a result with `isError`, which the agent sees), coded as the
 * GraphQL API codes it: `CODE: message` as text, `{ error: { code, reason, message } }` as
 * structured content. Unexpected failures are logged and answered without their message.
 */
function toolError(error: unknown, logger: Logger): ToolResult {
  const { code, reason, message } = coded(error, logger);
  return {
    isError: true,
    content: [{ type: 'text', text: `${code}: ${message}` }],
    structuredContent: { error: { code, reason, message } },
  };
}

/** An error as the GraphQL API codes it; an unexpected one is logged and told without its message. */
function coded(error: unknown, logger: Logger) {
  const known = error instanceof DefectRagError ? error : undefined;
  const code = known ? apiCodeOf(known) : 'INTERNAL_SERVER_ERROR';
  if (code === 'INTERNAL_SERVER_ERROR') logger.error({ err: error }, 'MCP request failed');
  const message = known && code !== 'INTERNAL_SERVER_ERROR' ? known.message : INTERNAL_MESSAGE;
  return { code, reason: known?.code ?? 'INTERNAL', message };
}

/**
 * The largest message either transport takes: one image of `maxUploadBytes`
 * (DEFECT_RAG_MAX_UPLOAD_BYTES) as base64, plus 1 MiB for the rest, as much JSON as /graphql takes.
 */
export function mcpMessageLimit(maxUploadBytes: number): number {
  return Math.ceil(maxUploadBytes / 3) * 4 + 1024 * 1024;
}

/** Serves MCP on stdin/stdout until the client closes stdin. Logs must go to stderr meanwhile. */
export async function serveMcpStdio(backend: Backend, options: McpOptions): Promise<void> {
  const server = createMcpServer(backend, options);
  const closed = new Promise<void>((resolve) => (server.onclose = resolve));
  // The SDK's default, 10 MB, would end the connection at an image below the upload limit.
  const maxBufferSize = mcpMessageLimit(backend.config.maxUploadBytes);
  await server.connect(new StdioServerTransport(process.stdin, process.stdout, { maxBufferSize }));
  // The transport does not notice the end of stdin by itself.
  process.stdin.once('end', () => void server.close());
  await closed;
}

/**
 * Streamable HTTP, stateless: each POST is one exchange with a server of its own, answered as JSON.
 * Authentication and body limits are the caller's (apps/api), which passes the parsed body.
 */
export async function handleMcpHttp(
  backend: Backend,
  options: McpOptions,
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
): Promise<void> {
  const server = createMcpServer(backend, options);
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, body);
}
