import { appendFileSync, cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMigrations, defaultMigrationsDir } from '../src';
import { startTestPostgres, type TestPostgres } from '@defect-rag/testing';
import { databaseFacts, schemaFacts } from './schema-drift';

let postgres: TestPostgres;

beforeAll(async () => {
  postgres = await startTestPostgres();
}, 120_000);

afterAll(async () => {
  await postgres?.stop();
});

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('applyMigrations', () => {
  it('applies every migration to an empty database, then does nothing the second time', async () => {
    const url = await postgres.createDatabase('migrate_twice');
    const first = await applyMigrations(url);
    expect(first.applied.length).toBeGreaterThan(0);
    expect(first.alreadyApplied).toEqual([]);

    const second = await applyMigrations(url);
    expect(second.applied).toEqual([]);
    expect(second.alreadyApplied).toEqual(first.applied);
  });

  it('records migrations exactly as Prisma does (name, sha256 checksum, finished, one step)', async () => {
    const url = await postgres.createDatabase('migrate_records');
    const { applied } = await applyMigrations(url);
    const rows = await query<{
      migration_name: string;
      checksum: string;
      finished_at: Date | null;
      applied_steps_count: number;
    }>(
      url,
      'SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name',
    );
    expect(rows.map((row) => row.migration_name)).toEqual(applied);
    for (const row of rows) {
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.applied_steps_count).toBe(1);
    }
  });

  it('refuses a migration that was edited after it was applied', async () => {
    const url = await postgres.createDatabase('migrate_edited');
    const dir = mkdtempSync(path.join(tmpdir(), 'migrations-'));
    cpSync(defaultMigrationsDir, dir, { recursive: true });
    await applyMigrations(url, dir);
    const [first] = await query<{ migration_name: string }>(url, 'SELECT migration_name FROM "_prisma_migrations"');
    appendFileSync(path.join(dir, first!.migration_name, 'migration.sql'), '\n-- edited\n');
    await expect(applyMigrations(url, dir)).rejects.toMatchObject({
      code: 'MIGRATION_FAILED',
      message: expect.stringContaining('was changed after it was applied'),
    });
  });

  it('rolls a failing migration back completely, so it can be fixed and retried', async () => {
    const url = await postgres.createDatabase('migrate_failing');
    const dir = mkdtempSync(path.join(tmpdir(), 'migrations-'));
    cpSync(defaultMigrationsDir, dir, { recursive: true });
    const broken = path.join(dir, '99990101000000_broken');
    mkdirSync(broken);
    writeFileSync(
      path.join(broken, 'migration.sql'),
      'CREATE TABLE "half_done" (id int);\nSELECT no_such_function();\n',
    );
    await expect(applyMigrations(url, dir)).rejects.toMatchObject({
      code: 'MIGRATION_FAILED',
      message: expect.stringContaining('99990101000000_broken'),
    });
    expect(await query(url, `SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'`)).toEqual([]);
    writeFileSync(path.join(broken, 'migration.sql'), 'CREATE TABLE "half_done" (id int);\n');
    expect((await applyMigrations(url, dir)).applied).toEqual(['99990101000000_broken']);
  });

  it('says clearly when the database cannot be reached', async () => {
    await expect(applyMigrations('postgresql://nobody:x@127.0.0.1:1/none')).rejects.toMatchObject({
      code: 'DATABASE_UNAVAILABLE',
    });
  });
});

describe('schema drift', () => {
  it('the migrated database has exactly the tables, columns, types, nullability, defaults, indexes, keys and enums of schema.prisma', async () => {
    const url = await postgres.createDatabase('drift');
    await applyMigrations(url);
    const expected = schemaFacts();
    expect(expected).toContain('column runs.dataset_id uuid not null');
    expect(expected).toContain('index datasets_name_key on datasets(name) unique');
    expect(await databaseFacts(url)).toEqual(expected);
  });

  it('notices a migration that disagrees with the schema', async () => {
    const url = await postgres.createDatabase('drift_detected');
    await applyMigrations(url);
    await query(url, 'ALTER TABLE "runs" ALTER COLUMN "model_id" SET NOT NULL; DROP INDEX "runs_status_idx"');
    const actual = await databaseFacts(url);
    const expected = schemaFacts();
    expect(actual).not.toEqual(expected);
    expect(actual).toContain('column runs.model_id text not null');
    expect(expected.filter((fact) => !actual.includes(fact))).toEqual([
      'column runs.model_id text null',
      'index runs_status_idx on runs(status)',
    ]);
  });
});
