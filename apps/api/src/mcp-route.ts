import express, { type RequestHandler } from 'express';
import { handleMcpHttp, mcpMessageLimit } from '@defect-rag/mcp';
import type { Backend } from '@defect-rag/runs';
import { hasValidKey, MISSING_KEY_MESSAGE, type ApiKeyPolicy } from './auth';
import { errorBody, HTTP_STATUS } from './errors';

export interface McpRouteOptions {
  /** Offer the tools that delete data (`serve --mcp-allow-writes`); with keys set, to requests with a key only. */
  allowWrites: boolean;
  /** The base of crop image URLs: the public URL, else the server's own. */
  imageUrlBase: () => string;
}

/**
 * `POST /mcp`: the Model Context Protocol over Streamable HTTP (stateless, JSON answers), behind
 * the rules of /graphql: reading needs a key when reads do, the tools that write need one whenever
 * keys are set, and a body holds at most one image of DEFECT_RAG_MAX_UPLOAD_BYTES (base64) and
 * as much JSON as /graphql takes (mcpMessageLimit). Other methods are 405: there are no sessions
 * to stream or end.
 */
export function mcpRoutes(backend: Backend, policy: ApiKeyPolicy, options: McpRouteOptions): RequestHandler[] {
  return [
    (req, res, next) => {
      if (req.method !== 'POST') {
        res
          .status(405)
          .set('allow', 'POST')
          .json({ jsonrpc: '2.0', error: { code: -32000, message: 'method not allowed: POST only' }, id: null });
      } else if (policy.readsRequireKey && !hasValidKey(policy, req.headers)) {
        res.status(HTTP_STATUS.UNAUTHENTICATED).json(errorBody('UNAUTHENTICATED', MISSING_KEY_MESSAGE));
      } else next();
    },
    express.json({ limit: mcpMessageLimit(backend.config.maxUploadBytes) }),
    (req, res, next) => {
      const mcp = {
        allowWrites: options.allowWrites && hasValidKey(policy, req.headers),
        imageUrlBase: options.imageUrlBase(),
      };
      handleMcpHttp(backend, mcp, req, res, req.body).catch(next);
    },
  ];
}
