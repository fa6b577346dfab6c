import type { MiddlewareFn } from 'type-graphql';
import type { ApiContext } from './context';
import { apiError } from './errors';

/**
 * Fails a resolver with TIMEOUT once the request's deadline has passed. The work itself cannot be
 * interrupted (a Qdrant query, an embedding) and finishes unobserved; the client is not kept waiting.
 * Put on every resolver class, so it covers the fields that do I/O and not plain properties.
 */
export const WithinDeadline: MiddlewareFn<ApiContext> = async ({ context }, next) => {
  const { deadline } = context;
  const timeout = () =>
    apiError('TIMEOUT', `the request took longer than the server's limit of ${context.timeoutMs} ms`);
  if (deadline.aborted) throw timeout();
  let onAbort = () => {};
  const timedOut = new Promise<never>((_, reject) => {
    onAbort = () => reject(timeout());
    deadline.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([next(), timedOut]);
  } finally {
    deadline.removeEventListener('abort', onAbort);
  }
};
