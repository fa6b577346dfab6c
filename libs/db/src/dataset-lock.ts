import { createHash } from 'node:crypto';
import { connectClient } from './unavailable';

export interface DatasetLock {
  release(): Promise<void>;
}

/**
 * Takes the dataset's session-level advisory lock on a connection of its own, or returns null when
 * another process (or run) holds it. PostgreSQL releases it when that connection dies, so a run
 * killed with SIGKILL never leaves a dataset locked, and a RUNNING run whose lock is free is known
 * to be orphaned and safe to resume.
 */
export async function tryLockDataset(databaseUrl: string, datasetId: string): Promise<DatasetLock | null> {
  const client = await connectClient(databaseUrl);
  // An idle connection that drops must not crash the process; the lock is simply gone with it.
  client.on('error', () => {});
  const key = createHash('sha256').update(`dataset:${datasetId}`).digest().readBigInt64BE(0);
  const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [
    key.toString(),
  ]);
  if (!rows[0]?.locked) {
    await client.end();
    return null;
  }
  let released = false;
  return {
    release: async () => {
      if (released) return;
      released = true;
      await client.end().catch(() => {});
    },
  };
}
