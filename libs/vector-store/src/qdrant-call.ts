import { setTimeout as sleep } from 'node:timers/promises';
import { DefectRagError } from '@defect-rag/runtime';
import { QdrantHttpError, QdrantTimeoutError } from './qdrant-http';

const MAX_ATTEMPTS = 4;
const FIRST_RETRY_DELAY_MS = 250;

/** What a request was for, so that its error can say so. */
export interface RequestContext {
  url: string;
  /** "upsert into crops_x_512", "search crops_x_512"… */
  what: string;
  collection?: string;
}

/** A socket-level failure: refused, reset, unreachable, DNS… (Node gives these a string `code`). */
function isConnectionError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}

/** Worth another try: the server could not be reached, timed out, was overloaded or failed inside. */
function isTransient(error: unknown): boolean {
  if (error instanceof QdrantHttpError) return error.status >= 500 || error.status === 429;
  return error instanceof QdrantTimeoutError || isConnectionError(error);
}

function reason(error: unknown): string {
  if (error instanceof QdrantHttpError) return `HTTP ${error.status}: ${error.message}`;
  if (isConnectionError(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** Translates a client failure into the project's error codes; the client's error stays as `cause`. */
function toStoreError(error: unknown, context: RequestContext, attempts: number): DefectRagError {
  const { url, what, collection } = context;
  const details = { url, collection };
  if (isTransient(error)) {
    return new DefectRagError(
      'QDRANT_UNAVAILABLE',
      `Qdrant at ${url} is unavailable: ${what} failed ${attempts} times (${reason(error)})`,
      details,
      { cause: error },
    );
  }
  if (error instanceof QdrantHttpError) {
    const { message } = error;
    if (error.status === 401 || error.status === 403) {
      return new DefectRagError(
        'CONFIG_INVALID',
        `Qdrant at ${url} refused ${what} (${reason(error)}): check the API key`,
        details,
        { cause: error },
      );
    }
    // Every 404 is read as a missing collection; searchByCrop, whose request also names a point,
    // asks whether the collection exists to tell a missing crop apart.
    if (error.status === 404) {
      return new DefectRagError(
        'COLLECTION_NOT_FOUND',
        `collection "${collection}" does not exist in Qdrant at ${url}: ingest a dataset with this model first`,
        details,
        { cause: error },
      );
    }
    if (error.status === 400 && /dimension/i.test(message)) {
      return new DefectRagError(
        'COLLECTION_MISMATCH',
        `${what}: ${message}; the collection was made for another model`,
        details,
        { cause: error },
      );
    }
    return new DefectRagError('INTERNAL', `Qdrant at ${url} rejected ${what}: ${message}`, details, { cause: error });
  }
  return new DefectRagError('INTERNAL', `${what} failed: ${reason(error)}`, details, { cause: error });
}

/**
 * Runs one Qdrant request, retrying transient failures with exponential backoff (0.25 s, 0.5 s,
 * 1 s), and turns whatever still fails into a DefectRagError. Every request this library makes is
 * idempotent (point ids are derived from crop ids), so a retry after a lost answer is safe.
 */
export async function callQdrant<T>(context: RequestContext, request: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      if (error instanceof DefectRagError) throw error;
      if (!isTransient(error) || attempt >= MAX_ATTEMPTS) throw toStoreError(error, context, attempt);
      await sleep(FIRST_RETRY_DELAY_MS * 2 ** (attempt - 1));
    }
  }
}
