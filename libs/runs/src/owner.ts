import os from 'node:os';

/** How often a running run writes its heartbeat. */
export const HEARTBEAT_MS = 5_000;
/** A heartbeat older than this means the run's process is gone, wherever it ran. */
export const HEARTBEAT_STALE_MS = 60_000;

/** This process as a run's owner: `<host>:<pid>`. */
export function currentOwner(): string {
  return `${os.hostname()}:${process.pid}`;
}

/**
 * Whether the process that owns a run is gone: a heartbeat older than HEARTBEAT_STALE_MS, or, on
 * this machine, no live process with its pid. A run without an owner (queued, or recorded before
 * owners existed) goes by its last update.
 */
export function isOwnerGone(owner: string | null, lastSeen: Date, now = Date.now()): boolean {
  if (now - lastSeen.getTime() > HEARTBEAT_STALE_MS) return true;
  const match = owner === null ? null : /^(.*):(\d+)$/.exec(owner);
  if (!match || match[1] !== os.hostname()) return false;
  const pid = Number(match[2]);
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
