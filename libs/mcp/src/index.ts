export { createMcpServer, handleMcpHttp, serveMcpStdio, type McpOptions } from './server';
