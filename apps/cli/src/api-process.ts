import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { constants } from 'node:os';
import path from 'node:path';
import { DefectRagError, loadConfig, workspaceRoot } from '@defect-rag/runtime';

/**
 * The API is a program of its own (apps/api/src/main.ts): apps do not import each other, and its
 * type-graphql decorators need its own tsconfig, which tsx reads from TSX_TSCONFIG_PATH.
 */
const API_DIR = path.join(workspaceRoot, 'apps', 'api');

/**
 * CONFIG_INVALID when the API's address is taken, checked before anything starts (embedded
 * servers, a demo's ingestion), rather than once the API comes to listen. Port 0 is always free.
 */
export async function checkApiPortFree(options: { port?: number; host?: string }): Promise<void> {
  const config = loadConfig();
  const port = options.port ?? config.apiPort;
  const host = options.host ?? config.apiHost;
  if (port === 0) return;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new DefectRagError(
          'CONFIG_INVALID',
          error.code === 'EADDRINUSE'
            ? `port ${port} on ${host} is in use: stop what listens there, or choose another port with --port or DEFECT_RAG_API_PORT`
            : `cannot listen on ${host}:${port} (${error.code ?? error.message}): choose another --host/--port`,
        ),
      ),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

/** Runs the API server until it stops and returns its exit code. */
export async function runApiProcess(options: {
  port?: number;
  host?: string;
  modelDirs?: string[];
  mcpAllowWrites?: boolean;
}): Promise<number> {
  const args = [
    ...(options.port !== undefined ? ['--port', String(options.port)] : []),
    ...(options.host !== undefined ? ['--host', options.host] : []),
    ...(options.mcpAllowWrites ? ['--mcp-allow-writes'] : []),
  ];
  const child = spawn(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), path.join(API_DIR, 'src', 'main.ts'), ...args],
    {
      stdio: 'inherit',
      env: {
        ...process.env,
        TSX_TSCONFIG_PATH: path.join(API_DIR, 'tsconfig.json'),
        ...(options.modelDirs && { DEFECT_RAG_MODEL_DIR: options.modelDirs.join(',') }),
      },
    },
  );
  // Ctrl-C reaches both processes; a signal sent to this one alone is passed on. The server
  // ignores a repeated signal while it stops.
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise<number>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
}
