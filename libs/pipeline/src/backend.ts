import { openDatabase, type Database } from '@defect-rag/db';
import type { Config, Logger } from '@defect-rag/runtime';
import { startServices, type Services } from '@defect-rag/servers';

/**
 * What the CLI commands and the API work against: the two servers (embedded or configured) and
 * the migrated database. One per process; `close()` stops the embedded servers this process
 * started and leaves reused or external ones running.
 */
export interface Backend {
  config: Config;
  logger: Logger;
  services: Services;
  db: Database;
  close(): Promise<void>;
}

export async function openBackend(config: Config, logger: Logger): Promise<Backend> {
  const services = await startServices(config, logger);
  try {
    const db = await openDatabase(services.databaseUrl);
    return {
      config,
      logger,
      services,
      db,
      close: async () => {
        await db.close();
        await services.stop();
      },
    };
  } catch (error) {
    await services.stop();
    throw error;
  }
}
