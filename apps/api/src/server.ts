import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import express from 'express';
import { RunManager } from '@defect-rag/run-manager';
import { type Backend } from '@defect-rag/runs';
import { apiDatasetRoots, DefectRagError, workspaceRoot } from '@defect-rag/runtime';
import { apiKeyPlugin, authorOf, hasValidKey, MISSING_KEY_MESSAGE, type ApiKeyPolicy } from './auth';
import type { ApiContext } from './context';
import { errorBody, errorFormatter } from './errors';
import {
  executeGraphQL,
  isJsonGraphQLPost,
  queryOf,
  serveJsonGraphQL,
  type ContextFor,
  type Precheck,
} from './graphql-http';
import { MAX_QUERY_TOKENS, documentRefusal, queryLimitsPlugin } from './limits';
import { mcpRoutes } from './mcp-route';
import {
  cropImageRoute,
  explorerRoute,
  healthRoute,
  jsonErrorHandler,
  landingPage,
  reportFileRoute,
  sourceImageRoute,
} from './routes';
import { buildApiSchema } from './schema';
import { uploadMiddleware } from './upload';

export interface ApiServerOptions {
  /** Default: the configured DEFECT_RAG_API_PORT; 0 picks a free port. */
  port?: number;
  /** Default: the configured DEFECT_RAG_API_HOST. */
  host?: string;
  /** Hide internals from clients (error messages of unexpected failures, stack traces, introspection). Default: NODE_ENV=production. */
  production?: boolean;
  /** Stack traces in error answers (ignored in production). Default: DEFECT_RAG_STACK_TRACES, false. */
  stackTraces?: boolean;
  /** The built web explorer served at `/`. Default: apps/explorer/dist of the workspace. */
  explorerDir?: string;
  /** Offer the MCP tools that delete data at /mcp (`defect-rag serve --mcp-allow-writes`). Default: false. */
  mcpAllowWrites?: boolean;
}

export interface ApiServer {
  /** Where it listens, e.g. http://127.0.0.1:4000; GraphQL is at `${url}/graphql`. */
  url: string;
  /** The background runs started through this server. */
  runs: RunManager;
  /** Stops taking requests, lets those in flight finish, cancels its runs and waits for them. Leaves the backend open. */
  close(): Promise<void>;
}

/** Whether a listen address only takes connections from this machine. */
export function isLoopback(host: string): boolean {
  const address = host.replace(/^\[|\]$/g, '').toLowerCase();
  return address === 'localhost' || address === '::1' || /^(::ffff:)?127(\.\d{1,3}){3}$/.test(address);
}

/** Largest JSON body (a GraphQL operation and its variables); uploads have their own limit. */
const MAX_JSON_BODY_BYTES = 1024 * 1024;

/**
 * The GraphQL API (at /graphql), crop images (/crops/:id) and their source photos
 * (/crops/:id/source), health (/healthz), the Model Context Protocol for agents (/mcp) and the web
 * explorer (/; a landing page while it is not built) over one backend. Limits, API keys and the
 * public URL come from the backend's config.
 */
export async function createApiServer(backend: Backend, options: ApiServerOptions = {}): Promise<ApiServer> {
  const { config, logger } = backend;
  const production = options.production ?? process.env.NODE_ENV === 'production';
  const policy: ApiKeyPolicy = { keys: config.apiKeys, readsRequireKey: config.apiReadsRequireKey };
  const host = options.host ?? config.apiHost;
  if (!isLoopback(host) && config.apiKeys.length === 0 && !config.apiAllowRemoteWithoutKeys)
    throw new DefectRagError(
      'CONFIG_INVALID',
      `refusing to listen on ${host} without API keys: anyone who can reach it could register and ingest datasets and cancel runs. Set DEFECT_RAG_API_KEYS, listen on 127.0.0.1, or set DEFECT_RAG_API_ALLOW_REMOTE_WITHOUT_KEYS=true when something in front of the API (a firewall, a proxy) restricts who reaches it`,
    );
  // Its runs are started by clients: their datasets must lie where clients may register them.
  const runs = new RunManager(backend, apiDatasetRoots(config));

  const app = express();
  app.disable('x-powered-by');
  // Known once the server listens (port 0 picks one); no request is answered before.
  let servedUrl = '';
  const contextFor: ContextFor = async (req) => ({
    backend,
    runs,
    imageUrlBase: config.apiPublicUrl ?? '',
    absoluteUrlBase: config.apiPublicUrl ?? servedUrl,
    maxUploadBytes: config.maxUploadBytes,
    deadline: AbortSignal.timeout(config.apiTimeoutMs),
    timeoutMs: config.apiTimeoutMs,
    authenticated: hasValidKey(policy, req.headers),
    author: authorOf(policy, req.headers),
  });
  // Before Apollo parses: a request without the key it needs, or with an oversized document, costs nothing more.
  const precheck: Precheck = (req, body) => {
    if (policy.readsRequireKey && !hasValidKey(policy, req.headers))
      return { code: 'UNAUTHENTICATED', message: MISSING_KEY_MESSAGE };
    const refusal = documentRefusal(queryOf(req, body));
    return refusal === undefined ? undefined : { code: 'QUERY_TOO_COMPLEX', message: refusal };
  };
  const httpServer = createServer(
    { requestTimeout: config.apiTimeoutMs, headersTimeout: Math.min(60_000, config.apiTimeoutMs) },
    (req, res) => {
      if (!isJsonGraphQLPost(req)) {
        app(req, res);
        return;
      }
      serveJsonGraphQL(apollo, req, res, contextFor, MAX_JSON_BODY_BYTES, precheck).catch((error: unknown) => {
        logger.error({ err: error }, 'GraphQL request failed');
        if (res.headersSent) res.destroy();
        else
          res
            .writeHead(500, { 'content-type': 'application/json; charset=utf-8' })
            .end(JSON.stringify(errorBody('INTERNAL_SERVER_ERROR', 'internal server error')));
      });
    },
  );

  const apollo = new ApolloServer<ApiContext>({
    schema: await buildApiSchema(),
    logger,
    introspection: !production,
    // Stack traces show absolute paths and internals: only when asked for, and never in production.
    includeStacktraceInErrorResponses: !production && (options.stackTraces ?? config.stackTraces),
    hideSchemaDetailsFromClientErrors: production,
    formatError: errorFormatter(logger, production),
    // Parsing stops early on oversized documents (see documentRefusal for the rest of the bounds).
    parseOptions: { maxTokens: MAX_QUERY_TOKENS },
    // The process's owner decides how it stops (main.ts on signals, tests with close()).
    stopOnTerminationSignals: false,
    // Automatic persisted queries are not offered: a request naming one is PERSISTED_QUERY_NOT_SUPPORTED.
    persistedQueries: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      // No cache hints here; the plugin would otherwise wrap every field's resolver.
      ApolloServerPluginCacheControlDisabled(),
      apiKeyPlugin(policy),
      queryLimitsPlugin(),
    ],
  });
  await apollo.start();

  app.get('/healthz', healthRoute(backend, production));
  app.get('/crops/:id', cropImageRoute(backend, policy));
  app.get('/crops/:id/source', sourceImageRoute(backend, policy));
  app.get('/runs/:id/report/:file', reportFileRoute(backend, policy));
  // JSON POSTs never get here (see isJsonGraphQLPost): this is uploads, GET and the odd content type.
  app.use('/graphql', uploadMiddleware({ maxFileSize: config.maxUploadBytes, maxFiles: 1 }), (req, res, next) => {
    executeGraphQL(apollo, req, res, (req.body as unknown) ?? {}, contextFor, precheck).catch(next);
  });
  app.all(
    '/mcp',
    mcpRoutes(backend, policy, {
      allowWrites: options.mcpAllowWrites ?? false,
      imageUrlBase: () => config.apiPublicUrl ?? url,
    }),
  );
  app.use(explorerRoute(options.explorerDir ?? path.join(workspaceRoot, 'apps', 'explorer', 'dist')));
  app.get('/', landingPage);
  // Clients of this server read JSON: an unknown path is answered in the API's error shape, not Express's HTML page.
  app.use((req, res) => {
    res.status(404).json(errorBody('NOT_FOUND', `no such route: ${req.method} ${req.path}`));
  });
  app.use(jsonErrorHandler(backend));

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port ?? config.apiPort, host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const { port } = httpServer.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  servedUrl = url;

  let closing: Promise<void> | undefined;
  return {
    url,
    runs,
    close: () =>
      (closing ??= (async () => {
        // Stops the HTTP server too (the drain plugin), letting requests in flight finish first.
        await apollo.stop();
        await runs.shutdown();
      })()),
  };
}
