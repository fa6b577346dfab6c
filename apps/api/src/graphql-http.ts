import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { ApiContext } from './context';
import { errorBody, HTTP_STATUS, type ApiErrorCode } from './errors';

/** The context of one request's resolvers. */
export type ContextFor = (req: IncomingMessage) => Promise<ApiContext>;

/** Checks made before Apollo parses anything (keys, document size): the refusal, or undefined to go on. */
export type Precheck = (req: IncomingMessage, body: unknown) => { code: ApiErrorCode; message: string } | undefined;

/**
 * Runs one GraphQL request through Apollo Server (CSRF prevention, plugins, limits, error
 * formatting all stay Apollo's) and writes its answer. `body` is the parsed JSON body, or the
 * operations a multipart upload carried.
 */
export async function executeGraphQL(
  apollo: ApolloServer<ApiContext>,
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
  contextFor: ContextFor,
  precheck: Precheck = () => undefined,
): Promise<void> {
  const refusal = precheck(req, body);
  if (refusal) {
    res.statusCode = HTTP_STATUS[refusal.code];
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(JSON.stringify(errorBody(refusal.code, refusal.message)));
    return;
  }
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  const response = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: {
      method: req.method?.toUpperCase() ?? 'GET',
      headers,
      search: new URL(req.url ?? '/', 'http://localhost').search,
      body,
    },
    context: () => contextFor(req),
  });
  for (const [key, value] of response.headers) res.setHeader(key, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

/** The query document of a request: the body's `query`, or for a GET the URL's, as Apollo reads them. */
export function queryOf(req: IncomingMessage, body: unknown): unknown {
  if (req.method === 'GET') return new URL(req.url ?? '/', 'http://localhost').searchParams.get('query') ?? undefined;
  return (body as { query?: unknown } | null)?.query;
}

/**
 * A JSON POST to /graphql, which is nearly every request: the server answers these without
 * Express, whose router and body parser cost about a quarter of the API process's CPU per search
 * (`npm run bench -- api`). Uploads (multipart) and everything else still go through Express.
 */
export function isJsonGraphQLPost(req: IncomingMessage): boolean {
  const path = req.url?.split('?', 1)[0];
  return (
    req.method === 'POST' &&
    path === '/graphql' &&
    /^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')
  );
}

/**
 * Reads a JSON body of at most `maxBytes` and runs it; a larger body is 413 PAYLOAD_TOO_LARGE and
 * one that is not JSON 400 BAD_USER_INPUT, both in GraphQL's error shape.
 */
export async function serveJsonGraphQL(
  apollo: ApolloServer<ApiContext>,
  req: IncomingMessage,
  res: ServerResponse,
  contextFor: ContextFor,
  maxBytes: number,
  precheck?: Precheck,
): Promise<void> {
  const text = await readBody(req, maxBytes);
  if (text === undefined) {
    // The rest of the body is not read: close the connection rather than leave it half-consumed.
    sendError(res, 413, 'PAYLOAD_TOO_LARGE', `the request body is larger than ${maxBytes} bytes`, true);
    return;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    sendError(res, 400, 'BAD_USER_INPUT', `the request body is not valid JSON: ${(error as Error).message}`);
    return;
  }
  await executeGraphQL(apollo, req, res, body, contextFor, precheck);
}

/** The body as UTF-8 text, or undefined once it is known to exceed `maxBytes`. */
function readBody(req: IncomingMessage, maxBytes: number): Promise<string | undefined> {
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.off('data', onData);
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks, size).toString('utf8')));
    req.once('error', reject);
  });
}

function sendError(
  res: ServerResponse,
  status: number,
  code: 'PAYLOAD_TOO_LARGE' | 'BAD_USER_INPUT',
  message: string,
  close = false,
): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  if (close) res.setHeader('connection', 'close');
  res.end(JSON.stringify(errorBody(code, message)));
}
