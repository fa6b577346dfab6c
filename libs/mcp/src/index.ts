export { createMcpServer, handleMcpHttp, mcpMessageLimit, serveMcpStdio, type McpOptions } from './server';
