import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findStrayServers, stopStrayServer } from '../src/index';
import { exitOf, isPidAlive, isPortOpen, serverPid, startFixture, tempDataDir, waitUntil } from './helpers';

/** A Qdrant under `<data dir>/qdrant` started by a process that is then killed outright, as a killed CLI would be. */
async function orphanedQdrant(dataDir: string, idleStopMs: number) {
  const dir = path.join(dataDir, 'qdrant');
  const { child, output } = startFixture('start-server', ['qdrant', dir, '--wait', String(idleStopMs)]);
  const { port } = (await output) as { port: number };
  const pid = await serverPid(dir);
  return { dir, port, pid, child };
}

describe('embedded servers whose users were killed', () => {
  it('stop by themselves once no process has used them for the idle time', async () => {
    const data = await tempDataDir();
    try {
      const { dir, port, pid, child } = await orphanedQdrant(data.dir, 1_500);
      // Still in use: it keeps running past the idle time.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(isPidAlive(pid)).toBe(true);
      child.kill('SIGKILL');
      await exitOf(child);
      await waitUntil(() => !isPidAlive(pid), 30_000);
      expect(await isPortOpen(port)).toBe(false);
      expect(existsSync(path.join(dir, 'server.json'))).toBe(false);
    } finally {
      await data.remove();
    }
  }, 120_000);

  it('are listed as strays of their data folder, and stopped on request', async () => {
    const data = await tempDataDir();
    try {
      const { dir, pid, child } = await orphanedQdrant(data.dir, 0);
      expect(await findStrayServers(data.dir)).toEqual([]);
      child.kill('SIGKILL');
      await exitOf(child);
      const strays = await findStrayServers(data.dir);
      expect(strays).toMatchObject([{ name: 'qdrant', dir, state: { pid } }]);
      await stopStrayServer(strays[0]!);
      expect(isPidAlive(pid)).toBe(false);
      expect(await findStrayServers(data.dir)).toEqual([]);
    } finally {
      await data.remove();
    }
  }, 120_000);
});
