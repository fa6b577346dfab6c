import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import type { ApiContext } from './context';
import { LOCAL_AUTHOR } from '@defect-rag/ingestion';
import { apiError } from './errors';

export interface ApiKeyPolicy {
  /** No keys: everything is open. */
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

/** Whether the request may do what needs a key: true when it carries a configured key, or none is configured. */
export function hasValidKey(policy: ApiKeyPolicy, headers: IncomingHttpHeaders): boolean {
  if (policy.keys.length === 0) return true;
  const key = presentedKey(headers);
  if (key === undefined) return false;
  // Same-length digests, compared in constant time, so timing says nothing about the keys.
  const presented = digest(key);
  return policy.keys.some((valid) => timingSafeEqual(digest(valid), presented));
}

/**
 * The name a key's labels are written under: `key-` and the first 12 hex digits of its sha256, so
 * that a name never reveals the key; `local` when the API has no keys (or the request none).
 */
export function keyName(key: string): string {
  return `key-${digest(key).toString('hex').slice(0, 12)}`;
}

/** Who a request acts as: its valid key's name, else `local`. */
export function authorOf(policy: ApiKeyPolicy, headers: IncomingHttpHeaders): string {
  const key = presentedKey(headers);
  return key !== undefined && policy.keys.length > 0 && hasValidKey(policy, headers) ? keyName(key) : LOCAL_AUTHOR;
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
