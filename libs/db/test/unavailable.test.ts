import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDefectRagError } from '@defect-rag/runtime';
import { startTestPostgres, type TestPostgres } from '@defect-rag/testing';
import { applyMigrations, openDatabase, type Database } from '../src';

describe('a PostgreSQL server that goes away', () => {
  let server: TestPostgres;
  let db: Database;

  beforeAll(async () => {
    server = await startTestPostgres();
    db = await openDatabase(server.url);
    await db.datasets.register({ name: 'gone', root: '/tmp' });
    await server.stop();
  }, 120_000);

  afterAll(async () => {
    await db?.close().catch(() => {});
  });

  it('makes every call fail with DATABASE_UNAVAILABLE, not a Prisma error', async () => {
    const calls: [string, () => Promise<unknown>][] = [
      ['findByName', () => db.datasets.findByName('gone')],
      ['register', () => db.datasets.register({ name: 'other', root: '/tmp' })],
      ['runs.list', () => db.runs.list({}, { first: 5 })],
      [
        'runs.setStageProgress (raw SQL)',
        () => db.runs.setStageProgress('00000000-0000-0000-0000-000000000000', 'crops', { done: 1, total: 2 }),
      ],
      ['ping', () => db.ping()],
      ['tryLockDataset', () => db.tryLockDataset('00000000-0000-0000-0000-000000000000')],
      ['applyMigrations', () => applyMigrations(server.url)],
    ];
    for (const [name, call] of calls) {
      const error = await call().then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect({ name, unavailable: isDefectRagError(error, 'DATABASE_UNAVAILABLE') }).toEqual({
        name,
        unavailable: true,
      });
      expect((error as Error).message).toMatch(/PostgreSQL/);
    }
  }, 60_000);
});
