import { PrismaPg } from '@prisma/adapter-pg';
import { DefectRagError } from '@defect-rag/runtime';
import { PrismaClient } from './generated/prisma/client';
import { applyMigrations, type MigrationResult } from './migrate';
import { DatasetRepository } from './dataset-repository';
import { RunRepository } from './run-repository';
import { tryLockDataset, type DatasetLock } from './dataset-lock';

export interface Database {
  datasets: DatasetRepository;
  runs: RunRepository;
  migrations: MigrationResult;
  /** The dataset's exclusive lock for a run, or null while another run holds it. */
  tryLockDataset(datasetId: string): Promise<DatasetLock | null>;
  /** Round trip to the server, for health checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Connects to PostgreSQL, applies pending migrations and returns the repositories. */
export async function openDatabase(databaseUrl: string): Promise<Database> {
  const migrations = await applyMigrations(databaseUrl);
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl, max: 5 }) });
  return {
    datasets: new DatasetRepository(prisma),
    runs: new RunRepository(prisma),
    migrations,
    tryLockDataset: (datasetId) => tryLockDataset(databaseUrl, datasetId),
    ping: async () => {
      try {
        await prisma.$queryRaw`SELECT 1`;
      } catch (error) {
        throw new DefectRagError(
          'DATABASE_UNAVAILABLE',
          `PostgreSQL does not answer: ${(error as Error).message}`,
          {},
          { cause: error },
        );
      }
    },
    close: () => prisma.$disconnect(),
  };
}
