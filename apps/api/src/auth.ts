import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import type { ApiContext } from './context';
import { LOCAL_AUTHOR } from '@defect-rag/ingestion';
import { apiError } from './errors';

export interface ApiKeyPolicy {
  /** `DEFECT_RAG_API_KEYS` entries, `key` or `name:key`. No keys: everything is open. */
  keys: readonly string[];
  /** With keys: queries (and crop images) need one too, not only mutations. */
  readsRequireKey: boolean;
}

/** The key a request carries, in `x-api-key` or `Authorization: Bearer <key>`. */
function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const header = headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  return match?.[1];
}

const digest = (key: string) => createHash('sha256').update(key).digest();

/** `name:key` names a key (a name of letters, digits, `_`, `.`, `-`); a bare key has none. */
const NAMED_KEY = /^([A-Za-z0-9_.-]{1,64}):(.+)$/;

/**
 * The name a key's labels are written under: the name given with it (`name:key`), else `key-` and
 * the first 12 hex digits of its sha256, so that a name never reveals the key.
 */
export function keyName(entry: string): string {
  const named = NAMED_KEY.exec(entry);
  return named ? named[1]! : `key-${digest(entry).toString('hex').slice(0, 12)}`;
}

/** The configured entry whose key the request carries; undefined without one. */
function matchingEntry(policy: ApiKeyPolicy, headers: IncomingHttpHeaders): string | undefined {
  const key = presentedKey(headers);
  if (key === undefined) return undefined;
  // Same-length digests, compared in constant time, so timing says nothing about the keys.
  const presented = digest(key);
  return policy.keys.find((entry) => timingSafeEqual(digest(NAMED_KEY.exec(entry)?.[2] ?? entry), presented));
}

/** Whether the request may do what needs a key: true when it carries a configured key, or none is configured. */
export function hasValidKey(policy: ApiKeyPolicy, headers: IncomingHttpHeaders): boolean {
  return policy.keys.length === 0 || matchingEntry(policy, headers) !== undefined;
}

/** Who a request acts as: its valid key's name, else `local` (the API has no keys, or the request none). */
export function authorOf(policy: ApiKeyPolicy, headers: IncomingHttpHeaders): string {
  const entry = policy.keys.length > 0 ? matchingEntry(policy, headers) : undefined;
  return entry === undefined ? LOCAL_AUTHOR : keyName(entry);
}

export function needsKey(policy: ApiKeyPolicy, operation: 'query' | 'mutation' | 'subscription'): boolean {
  return policy.keys.length > 0 && (operation !== 'query' || policy.readsRequireKey);
}

export const MISSING_KEY_MESSAGE =
  'an API key is required: send it as `x-api-key: <key>` or `Authorization: Bearer <key>`';

/** Refuses operations that need a key when the request has none (UNAUTHENTICATED, HTTP 401), before anything runs. */
export function apiKeyPlugin(policy: ApiKeyPolicy): ApolloServerPlugin<ApiContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, contextValue }) {
          if (operation && needsKey(policy, operation.operation) && !contextValue.authenticated)
            throw apiError('UNAUTHENTICATED', MISSING_KEY_MESSAGE);
        },
      };
    },
  };
}
