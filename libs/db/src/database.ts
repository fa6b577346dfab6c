import { PrismaPg } from '@prisma/adapter-pg';
import { DefectRagError } from '@defect-rag/runtime';
import { PrismaClient } from './generated/prisma/client';
import { applyMigrations, type MigrationResult } from './migrate';
import { asDatabaseUnavailable } from './unavailable';
import { DatasetRepository } from './dataset-repository';
import { RunRepository } from './run-repository';
import { PrototypeCellRepository } from './prototype-cell-repository';
import { WhiteningRepository } from './whitening-repository';
import { LabelRepository } from './label-repository';
import { tryLockDataset, type DatasetLock } from './dataset-lock';

export interface Database {
  datasets: DatasetRepository;
  runs: RunRepository;
  prototypeCells: PrototypeCellRepository;
  whitenings: WhiteningRepository;
  labels: LabelRepository;
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
  // Every query, raw ones included, reports a lost server as DATABASE_UNAVAILABLE.
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl, max: 5 }) }).$extends({
    query: {
      async $allOperations({ args, query }) {
        try {
          return await query(args);
        } catch (error) {
          throw asDatabaseUnavailable(error);
        }
      },
    },
  }) as unknown as PrismaClient;
  return {
    datasets: new DatasetRepository(prisma),
    runs: new RunRepository(prisma),
    prototypeCells: new PrototypeCellRepository(prisma),
    whitenings: new WhiteningRepository(prisma),
    labels: new LabelRepository(prisma),
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
