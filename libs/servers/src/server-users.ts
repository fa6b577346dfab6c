import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isPidAlive, readServerState, removeServerState, type ServerState } from './server-state';

/**
 * Who uses the server of a folder: one file `users/<pid>` per process that started or reused it,
 * removed when that process stops using it or exits. A process killed outright leaves its file,
 * but its pid is dead, so it no longer counts. Embedded servers are shared by every command on a
 * data folder; this is how they know when the last of them is gone.
 */
export function registerUser(dir: string): () => void {
  const users = path.join(dir, 'users');
  const file = path.join(users, String(process.pid));
  mkdirSync(users, { recursive: true });
  writeFileSync(file, '');
  const unregister = () => {
    process.off('exit', unregister);
    try {
      unlinkSync(file);
    } catch {
      // Already gone.
    }
  };
  process.on('exit', unregister);
  return unregister;
}

/** The pids of the live processes using the server in `dir`, other than `except`; forgets dead ones. */
export function liveUsers(dir: string, except?: number): number[] {
  const users = path.join(dir, 'users');
  let names: string[];
  try {
    names = readdirSync(users);
  } catch {
    return [];
  }
  const live: number[] = [];
  for (const name of names) {
    const pid = Number(name);
    if (Number.isInteger(pid) && pid > 0 && isPidAlive(pid)) {
      if (pid !== except) live.push(pid);
    } else rmSync(path.join(users, name), { force: true });
  }
  return live;
}

/**
 * A detached process that stops the server once it has had no live user for `idleMs`, so a server
 * whose users were all killed (SIGKILL, a closed terminal) does not run for ever. It exits when
 * the server does. Plain JavaScript run by this node binary, so it needs neither tsx nor a build.
 */
export function startIdleWatchdog(dir: string, serverPid: number, stopSignal: NodeJS.Signals, idleMs: number): void {
  const child = spawn(process.execPath, ['-e', WATCHDOG, dir, String(serverPid), stopSignal, String(idleMs)], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
}

const WATCHDOG = `
const fs = require('node:fs');
const path = require('node:path');
const [dir, serverPidText, stopSignal, idleMsText] = process.argv.slice(1);
const serverPid = Number(serverPidText);
const idleMs = Number(idleMsText);
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; } };
const users = () => {
  try {
    return fs.readdirSync(path.join(dir, 'users')).map(Number).filter((pid) => pid > 0 && alive(pid));
  } catch { return []; }
};
let idleSince = Date.now();
let stoppingSince = 0;
const timer = setInterval(() => {
  if (!alive(serverPid)) { clearInterval(timer); return; }
  if (stoppingSince) {
    if (Date.now() - stoppingSince > 20000) process.kill(serverPid, 'SIGKILL');
    return;
  }
  if (users().length > 0) { idleSince = Date.now(); return; }
  if (Date.now() - idleSince < idleMs) return;
  try {
    const state = JSON.parse(fs.readFileSync(path.join(dir, 'server.json'), 'utf8'));
    if (state.pid !== serverPid) { clearInterval(timer); return; }
    fs.rmSync(path.join(dir, 'server.json'), { force: true });
  } catch {}
  stoppingSince = Date.now();
  process.kill(serverPid, stopSignal);
}, Math.min(1000, Math.max(100, idleMs / 4)));
`;

/** A server of a data folder that runs with no live user: one a killed command left behind. */
export interface StrayServer {
  name: string;
  dir: string;
  state: ServerState;
}

/** The embedded servers under `dataDir` (`postgres/`, `qdrant/`) that run with no live user but this process. */
export async function findStrayServers(dataDir: string): Promise<StrayServer[]> {
  const strays: StrayServer[] = [];
  for (const name of ['postgres', 'qdrant']) {
    const dir = path.join(dataDir, name);
    const state = await readServerState(dir).catch(() => undefined);
    if (state && isPidAlive(state.pid) && liveUsers(dir, process.pid).length === 0) strays.push({ name, dir, state });
  }
  return strays;
}

/** Stops a stray server (SIGINT, SIGKILL after 20 s) and removes its state. */
export async function stopStrayServer(stray: StrayServer): Promise<void> {
  const { pid } = stray.state;
  process.kill(pid, 'SIGINT');
  for (const deadline = Date.now() + 20_000; isPidAlive(pid); await sleep(100)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      break;
    }
  }
  if ((await readServerState(stray.dir))?.pid === pid) await removeServerState(stray.dir);
}
