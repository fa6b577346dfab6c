import pg from 'pg';
import { DefectRagError } from '@defect-rag/runtime';
import { Prisma } from './generated/prisma/client';

/** A connection of its own, outside Prisma's pool (migrations, advisory locks), or DATABASE_UNAVAILABLE. */
export async function connectClient(databaseUrl: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: databaseUrl });
  try {
    await client.connect();
  } catch (error) {
    throw new DefectRagError(
      'DATABASE_UNAVAILABLE',
      `Cannot connect to PostgreSQL: ${(error as Error).message}`,
      {},
      { cause: error },
    );
  }
  return client;
}

/**
 * Prisma's codes for a server that cannot be reached or went away: P1001 unreachable, P1002 and
 * P1008 timed out, P1017 connection closed, P2024 no connection from the pool in time.
 */
const CONNECTION_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
/** The driver adapter's kinds for the same, when Prisma passes them on under another code. */
const ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);

/**
 * DATABASE_UNAVAILABLE (with the original as cause) for an error that says PostgreSQL cannot be
 * reached; anything else unchanged. Without it a stopped server surfaced as an INTERNAL Prisma
 * error: exit code 1 with a stack trace in the CLI, INTERNAL_SERVER_ERROR in the API.
 */
export function asDatabaseUnavailable(error: unknown): unknown {
  if (!isConnectionError(error)) return error;
  return new DefectRagError(
    'DATABASE_UNAVAILABLE',
    `PostgreSQL cannot be reached: ${firstLine(error)}`,
    {},
    { cause: error },
  );
}

function isConnectionError(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientInitializationError) return true;
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    if (CONNECTION_CODES.has(error.code)) return true;
    const kind = (error.meta?.driverAdapterError as { cause?: { kind?: string } } | undefined)?.cause?.kind;
    return kind !== undefined && ADAPTER_KINDS.has(kind);
  }
  // pg's own errors (migrations, the dataset lock): refused, reset, or ended connections.
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01'].includes(code))
    return true;
  return error instanceof Error && /Connection terminated|connection is closed|Client was closed/i.test(error.message);
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message.trim() : String(error);
  return (message.split('\n').find((line) => line.trim() !== '') ?? 'no answer').trim() || 'no answer';
}
