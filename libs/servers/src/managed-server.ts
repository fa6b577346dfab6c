import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, open, rename } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DefectRagError, isDefectRagError, type Logger } from '@defect-rag/runtime';
import { freePorts } from './ports';
import {
  isServerAlive,
  readServerState,
  removeServerState,
  withStartLock,
  writeServerState,
  type ServerState,
} from './server-state';
import { registerUser, startIdleWatchdog } from './server-users';

/** Named ports of one server, e.g. `{ port }` or `{ http, grpc }`; 0 asks for a free one. */
export type Ports = Record<string, number>;

export interface Launch {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Run as this user (root starting PostgreSQL, which refuses to run as root). */
  user?: { uid: number; gid: number };
}

/** How to start, recognise and probe one kind of server; the lifecycle below is shared. */
export interface ServerSpec<P extends Ports> {
  /** For messages: "PostgreSQL", "Qdrant node 2". */
  name: string;
  /** The server's folder: `server.json`, `start.lock` and `server.log` live here. */
  dir: string;
  /** A string in the server's command line (a path inside `dir`) that identifies our process. */
  commandLineMarker: string;
  ports: P;
  /** The signal that makes the server shut down cleanly. */
  stopSignal: NodeJS.Signals;
  /** One-time work before a fresh start (initdb, config file); runs under the start lock. */
  prepare(): Promise<void>;
  launch(ports: P): Promise<Launch>;
  /** False while the server is not answering yet; throws when it answers but is unusable. */
  isReady(ports: P): Promise<boolean>;
  logger: Logger;
  /** Stop the server once it has had no live user this long (see startIdleWatchdog); absent or 0: never. */
  idleStopMs?: number;
}

export interface ManagedServer<P extends Ports> {
  ports: P;
  pid: number;
  /** True when another process (or an earlier call) had started it; `stop()` then does nothing. */
  reused: boolean;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;
const START_ATTEMPTS = 3;

/**
 * Starts the server described by `spec`, or reuses the one already running on its folder.
 *
 * Reuse: `server.json` names a live process whose command line carries the folder, and every
 * port the caller asked for explicitly (non-zero) is the port it listens on. A live server on
 * other ports is DATA_DIR_BUSY (two servers on one data directory would corrupt it); state left by
 * a dead process is removed and a fresh server started.
 */
export async function startManagedServer<P extends Ports>(spec: ServerSpec<P>): Promise<ManagedServer<P>> {
  await mkdir(spec.dir, { recursive: true });
  return withStartLock(spec.dir, spec.name, async () => {
    const state = await readServerState(spec.dir);
    if (state) {
      const running = await reuseRunning(spec, state);
      if (running) return running;
      spec.logger.warn({ dir: spec.dir, pid: state.pid }, `${spec.name}: removing stale state of a stopped server`);
      await removeServerState(spec.dir);
    }
    await spec.prepare();
    return startFresh(spec);
  });
}

async function reuseRunning<P extends Ports>(
  spec: ServerSpec<P>,
  state: ServerState,
): Promise<ManagedServer<P> | undefined> {
  if (!isServerAlive(state.pid, spec.commandLineMarker)) return undefined;
  const conflicts = Object.entries(spec.ports).filter(
    ([name, wanted]) => state.ports[name] === undefined || (wanted !== 0 && state.ports[name] !== wanted),
  );
  if (conflicts.length > 0) {
    const wanted = conflicts.map(([name, port]) => `${name} ${port}`).join(', ');
    throw new DefectRagError(
      'DATA_DIR_BUSY',
      `${spec.dir} is in use by ${spec.name} (pid ${state.pid}, ports ${describePorts(state.ports)}), ` +
        `but ${wanted} was asked for. Stop that server, use its ports (or 0 to accept any), ` +
        'or use another data directory.',
      { dir: spec.dir, pid: state.pid, ports: state.ports, requested: spec.ports },
    );
  }
  const ports = state.ports as P;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  // Its owner may have died while it was still starting, so give it the usual time to answer.
  while (!(await spec.isReady(ports))) {
    if (!isServerAlive(state.pid, spec.commandLineMarker)) return undefined;
    if (Date.now() > deadline) {
      throw new DefectRagError(
        'DATA_DIR_BUSY',
        `${spec.dir} is held by ${spec.name} (pid ${state.pid}) but it does not answer on ` +
          `${describePorts(state.ports)}. Stop that process, then try again.`,
        { dir: spec.dir, pid: state.pid, ports: state.ports },
      );
    }
    await sleep(200);
  }
  spec.logger.info({ pid: state.pid, ports }, `${spec.name}: reusing the running server`);
  const unregister = registerUser(spec.dir);
  return { ports, pid: state.pid, reused: true, stop: async () => unregister() };
}

async function startFresh<P extends Ports>(spec: ServerSpec<P>): Promise<ManagedServer<P>> {
  const choosesPorts = Object.values(spec.ports).includes(0);
  for (let attempt = 1; ; attempt++) {
    const ports = await choosePorts(spec.ports);
    try {
      return await launchOnce(spec, ports);
    } catch (error) {
      // A free port can be taken between choosing it and the server binding it; choose again.
      const portTaken = isDefectRagError(error) && error.details.portInUse === true;
      if (!(portTaken && choosesPorts && attempt < START_ATTEMPTS)) throw error;
      spec.logger.warn({ ports }, `${spec.name}: a chosen port was taken, trying others`);
    }
  }
}

async function launchOnce<P extends Ports>(spec: ServerSpec<P>, ports: P): Promise<ManagedServer<P>> {
  const logFile = path.join(spec.dir, 'server.log');
  await rename(logFile, `${logFile}.previous`).catch(() => {});
  const launch = await spec.launch(ports);
  const child = spawnServer(launch, logFile);
  let spawnError: Error | undefined;
  child.once('error', (error) => (spawnError = error));
  spec.logger.info({ pid: child.pid, ports, dir: spec.dir }, `${spec.name}: starting`);

  const failure = async (message: string, cause?: unknown) => {
    if (isRunning(child)) child.kill('SIGKILL');
    const log = await logTail(logFile);
    return new DefectRagError(
      'SERVER_START_FAILED',
      `${spec.name} did not start: ${message}.${log ? `\nLast lines of ${logFile}:\n${log}` : ''}`,
      { dir: spec.dir, ports, logFile, portInUse: /address already in use/i.test(log) },
      { cause },
    );
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (spawnError) throw await failure(`${launch.command} could not be run (${spawnError.message})`, spawnError);
    if (!isRunning(child)) {
      throw await failure(`it exited with ${child.signalCode ?? `code ${child.exitCode}`} before answering`);
    }
    let ready: boolean;
    try {
      ready = await spec.isReady(ports);
    } catch (error) {
      throw await failure(error instanceof Error ? error.message : String(error), error);
    }
    if (ready) break;
    if (Date.now() > deadline) throw await failure(`it did not answer within ${READY_TIMEOUT_MS / 1000} s`);
    await sleep(100);
  }

  const pid = child.pid!;
  await writeServerState(spec.dir, { pid, ownerPid: process.pid, ports, startedAt: new Date().toISOString() });
  const owned: OwnedServer = { child, stopSignal: spec.stopSignal };
  ownServer(owned);
  const unregister = registerUser(spec.dir);
  if (spec.idleStopMs) startIdleWatchdog(spec.dir, pid, spec.stopSignal, spec.idleStopMs);
  spec.logger.info({ pid, ports }, `${spec.name}: ready`);

  let stopping: Promise<void> | undefined;
  const stop = async () => {
    disownServer(owned);
    unregister();
    if (isRunning(child)) {
      child.kill(spec.stopSignal);
      if (!(await waitForExit(child, STOP_TIMEOUT_MS))) {
        spec.logger.warn({ pid }, `${spec.name}: no clean shutdown within ${STOP_TIMEOUT_MS / 1000} s, killing it`);
        child.kill('SIGKILL');
        await waitForExit(child, STOP_TIMEOUT_MS);
      }
    }
    // Only our own entry: after a crash, a later start may already have written its server here.
    if ((await readServerState(spec.dir))?.pid === pid) await removeServerState(spec.dir);
    spec.logger.info({ pid }, `${spec.name}: stopped`);
  };
  return { ports, pid, reused: false, stop: () => (stopping ??= stop()) };
}

function spawnServer(launch: Launch, logFile: string): ChildProcess {
  const log = openSync(logFile, 'a');
  try {
    const child = spawn(launch.command, launch.args, {
      cwd: path.dirname(logFile),
      env: launch.env,
      stdio: ['ignore', log, log],
      ...(launch.user ?? {}),
    });
    // The server must not keep this process alive by itself; the exit hook below stops it.
    child.unref();
    return child;
  } finally {
    closeSync(log);
  }
}

async function choosePorts<P extends Ports>(requested: P): Promise<P> {
  const unset = Object.keys(requested).filter((name) => requested[name] === 0);
  const free = await freePorts(unset.length);
  return { ...requested, ...Object.fromEntries(unset.map((name, i) => [name, free[i]])) };
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

async function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isRunning(child)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

async function logTail(logFile: string, bytes = 4000): Promise<string> {
  try {
    const handle = await open(logFile, 'r');
    try {
      const { size } = await handle.stat();
      const start = Math.max(0, size - bytes);
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(size - start), 0, size - start, start);
      return buffer.subarray(0, bytesRead).toString('utf8').trim();
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
}

function describePorts(ports: Ports): string {
  return Object.entries(ports)
    .map(([name, port]) => `${name} ${port}`)
    .join(', ');
}

/**
 * Servers this process started and has not stopped. If the process exits without stopping them
 * (an uncaught error, process.exit), they get their stop signal, so they never outlive their
 * owner unless it is killed outright; then the next start finds them and reuses them.
 */
interface OwnedServer {
  child: ChildProcess;
  stopSignal: NodeJS.Signals;
}

const ownedServers = new Set<OwnedServer>();
let exitHookInstalled = false;

function ownServer(server: OwnedServer): void {
  ownedServers.add(server);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const { child, stopSignal } of ownedServers) child.kill(stopSignal);
  });
}

function disownServer(server: OwnedServer): void {
  ownedServers.delete(server);
}
