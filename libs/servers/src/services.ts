import path from 'node:path';
import { createLogger, type Config, type Logger } from '@defect-rag/runtime';
import type { EmbeddedServer } from './embedded-server';
import { startEmbeddedPostgres } from './postgres';
import { startEmbeddedQdrant } from './qdrant';

export interface Services {
  databaseUrl: string;
  qdrantUrl: string;
  /** Only for a configured Qdrant; the embedded one listens on loopback without a key. */
  qdrantApiKey?: string;
  /** Which URLs point at embedded servers (started here or reused) rather than configured ones. */
  embedded: { postgres: boolean; qdrant: boolean };
  /** Stops the embedded servers this call started; reused and configured ones are left alone. */
  stop(): Promise<void>;
}

const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * The PostgreSQL and Qdrant the rest of defect-rag talks to: DATABASE_URL / QDRANT_URL when
 * configured, otherwise the embedded servers under `<dataDir>/postgres` and `<dataDir>/qdrant`
 * (started, or reused when already running). While this process owns a server, SIGINT and SIGTERM
 * stop it cleanly and then exit (130 / 143); a second signal during that exits at once.
 */
export async function startServices(config: Config, logger: Logger = createLogger('silent')): Promise<Services> {
  const [postgres, qdrant] = await Promise.allSettled([
    config.databaseUrl
      ? undefined
      : startEmbeddedPostgres({
          dataDir: path.join(config.dataDir, 'postgres'),
          port: config.postgresPort,
          logger,
          idleStopMs: config.embeddedIdleStopMs,
        }),
    config.qdrantUrl
      ? undefined
      : startEmbeddedQdrant({
          dataDir: path.join(config.dataDir, 'qdrant'),
          httpPort: config.qdrantPort,
          logger,
          idleStopMs: config.embeddedIdleStopMs,
        }),
  ]);
  const embedded = [postgres, qdrant].flatMap((result) =>
    result.status === 'fulfilled' && result.value ? [result.value] : [],
  );
  const stopEmbedded = async () => {
    await Promise.all(embedded.map((server) => server.stop()));
  };
  const failure = [postgres, qdrant].find((result) => result.status === 'rejected');
  if (failure) {
    await stopEmbedded();
    throw failure.reason;
  }

  const removeSignalHandlers = embedded.some((server) => !server.reused)
    ? stopOnSignals(stopEmbedded, logger)
    : () => {};
  const databaseServer = fulfilled(postgres);
  const qdrantServer = fulfilled(qdrant);
  return {
    databaseUrl: databaseServer?.url ?? config.databaseUrl!,
    qdrantUrl: qdrantServer?.url ?? config.qdrantUrl!,
    ...(qdrantServer || !config.qdrantApiKey ? {} : { qdrantApiKey: config.qdrantApiKey }),
    embedded: { postgres: databaseServer !== undefined, qdrant: qdrantServer !== undefined },
    stop: async () => {
      removeSignalHandlers();
      await stopEmbedded();
    },
  };
}

function fulfilled(result: PromiseSettledResult<EmbeddedServer | undefined>): EmbeddedServer | undefined {
  return result.status === 'fulfilled' ? result.value : undefined;
}

/** Installs the handlers and returns how to remove them. */
function stopOnSignals(stop: () => Promise<void>, logger: Logger): () => void {
  const handlers = Object.entries(SIGNAL_EXIT_CODES).map(([signal, exitCode]) => {
    const handler = () => {
      logger.info(`${signal}: stopping the embedded servers`);
      // `once`: a second signal finds no handler and ends the process the default way.
      stop().then(
        () => process.exit(exitCode),
        (error: unknown) => {
          logger.error({ err: error }, 'stopping the embedded servers failed');
          process.exit(exitCode);
        },
      );
    };
    process.once(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}
