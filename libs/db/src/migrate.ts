import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { DefectRagError, workspaceRoot } from '@defect-rag/runtime';
import { connectClient } from './unavailable';

export const defaultMigrationsDir = path.join(workspaceRoot, 'prisma', 'migrations');

export interface MigrationResult {
  applied: string[];
  alreadyApplied: string[];
}

/** Prisma's own bookkeeping table, created exactly as its schema engine does. */
const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

/** Any constant works; it only has to be the same in every process that migrates this database. */
const MIGRATION_LOCK_KEY = 72707369;

/**
 * Applies the SQL migrations of `prisma/migrations` that the database lacks, recording each in
 * `_prisma_migrations` with Prisma's checksum (sha256 of migration.sql), so that
 * `prisma migrate deploy` on a connected machine sees the same history. The Prisma CLI cannot run
 * its schema engine offline, which is why the project applies migrations itself.
 *
 * Unlike Prisma, each migration and its record are applied in one transaction: a failed migration
 * leaves nothing behind and can simply be retried after the fix.
 */
export async function applyMigrations(
  databaseUrl: string,
  migrationsDir: string = defaultMigrationsDir,
): Promise<MigrationResult> {
  const migrations = readMigrations(migrationsDir);
  const client = await connectClient(databaseUrl);
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(CREATE_MIGRATIONS_TABLE);
    const { rows } = await client.query<{
      migration_name: string;
      checksum: string;
      finished_at: Date | null;
      rolled_back_at: Date | null;
    }>('SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"');
    const recorded = new Map(rows.filter((row) => row.rolled_back_at === null).map((row) => [row.migration_name, row]));
    const result: MigrationResult = { applied: [], alreadyApplied: [] };
    for (const migration of migrations) {
      const row = recorded.get(migration.name);
      if (row) {
        if (row.finished_at === null) {
          throw new DefectRagError(
            'MIGRATION_FAILED',
            `Migration ${migration.name} is recorded as started but not finished; resolve it with \`prisma migrate resolve\` before going on.`,
          );
        }
        if (row.checksum !== migration.checksum) {
          throw new DefectRagError(
            'MIGRATION_FAILED',
            `Migration ${migration.name} was changed after it was applied (checksum ${row.checksum} in the database, ${migration.checksum} on disk). Add a new migration instead of editing an applied one.`,
          );
        }
        result.alreadyApplied.push(migration.name);
        continue;
      }
      await applyOne(client, migration);
      result.applied.push(migration.name);
    }
    return result;
  } finally {
    await client.end().catch(() => {});
  }
}

interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

function readMigrations(dir: string): Migration[] {
  if (!existsSync(dir)) throw new DefectRagError('MIGRATION_FAILED', `Migrations folder not found: ${dir}`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(dir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const bytes = readFileSync(path.join(dir, name, 'migration.sql'));
      return { name, sql: bytes.toString('utf8'), checksum: createHash('sha256').update(bytes).digest('hex') };
    });
}

async function applyOne(client: pg.Client, migration: Migration): Promise<void> {
  const id = randomUUID();
  try {
    await client.query('BEGIN');
    await client.query(
      'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)',
      [id, migration.checksum, migration.name],
    );
    await client.query(migration.sql);
    await client.query('UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1', [
      id,
    ]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw new DefectRagError(
      'MIGRATION_FAILED',
      `Migration ${migration.name} failed: ${(error as Error).message}`,
      {},
      { cause: error },
    );
  }
}
