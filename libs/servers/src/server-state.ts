import { readFileSync } from 'node:fs';
import { link, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { DefectRagError } from '@defect-rag/runtime';

/**
 * What a server folder's `server.json` says about the server running on it. Written once the
 * server answers, removed when its owner stops it; one left behind by a dead pid is stale.
 */
const serverStateSchema = z.object({
  pid: z.number().int().positive(),
  ownerPid: z.number().int().positive(),
  ports: z.record(z.string(), z.number().int().positive()),
  startedAt: z.string(),
});

export type ServerState = z.infer<typeof serverStateSchema>;

const STATE_FILE = 'server.json';
const LOCK_FILE = 'start.lock';
/** Long enough for another process to run initdb and wait for its server to answer. */
const LOCK_WAIT_MS = 120_000;

export async function readServerState(dir: string): Promise<ServerState | undefined> {
  const file = path.join(dir, STATE_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = serverStateSchema.safeParse(parseJson(text));
  // A state file we cannot read back (truncated by a crash mid-write) is as good as stale.
  return parsed.success ? parsed.data : undefined;
}

export async function writeServerState(dir: string, state: ServerState): Promise<void> {
  // Written beside and renamed over, so a reader never sees half a file.
  const file = path.join(dir, STATE_FILE);
  const temporary = `${file}.${process.pid}`;
  await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`);
  await rename(temporary, file);
}

export async function removeServerState(dir: string): Promise<void> {
  await rm(path.join(dir, STATE_FILE), { force: true });
}

/** Whether `pid` is alive (a process of another user counts: we may not signal it, but it runs). */
export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether `pid` is still the server we started: alive, and its command line names our folder.
 * The second check keeps a recycled pid (the server died, an unrelated process got its number)
 * from being mistaken for a running server. A zombie has an empty command line, so it is gone too.
 */
export function isServerAlive(pid: number, commandLineMarker: string): boolean {
  if (!isPidAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(commandLineMarker);
  } catch {
    return false;
  }
}

/**
 * Runs `start` while holding the folder's start lock, so that two processes (or two calls in one
 * process) starting the same server take turns: the second one then finds the first one's server
 * in `server.json` and reuses it. A lock left by a dead pid is removed.
 */
export async function withStartLock<T>(dir: string, serverName: string, start: () => Promise<T>): Promise<T> {
  const lockFile = path.join(dir, LOCK_FILE);
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    if (await tryCreateLock(lockFile)) break;
    const holder = Number.parseInt(await readFile(lockFile, 'utf8').catch(() => ''), 10);
    if (!Number.isInteger(holder) || !isPidAlive(holder)) {
      await rm(lockFile, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new DefectRagError(
        'DATA_DIR_BUSY',
        `Process ${holder} has been starting ${serverName} in ${dir} for over ${LOCK_WAIT_MS / 1000} s. ` +
          `Wait for it or stop it; if no such process should exist, delete ${lockFile}.`,
        { dir, pid: holder },
      );
    }
    await sleep(100);
  }
  try {
    return await start();
  } finally {
    await rm(lockFile, { force: true });
  }
}

/** The lock is created complete (pid inside) in one step: a hard link fails if the name exists. */
async function tryCreateLock(lockFile: string): Promise<boolean> {
  const temporary = `${lockFile}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  await writeFile(temporary, String(process.pid));
  try {
    await link(temporary, lockFile);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(temporary, { force: true });
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
