import { realpath } from 'node:fs/promises';
import path from 'node:path';
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { getCrop } from '@defect-rag/search';
import { getDataset, getRun, type Backend } from '@defect-rag/runs';
import { DefectRagError } from '@defect-rag/runtime';
import { hasValidKey, MISSING_KEY_MESSAGE, type ApiKeyPolicy } from './auth';
import { apiCodeOf, errorBody, HTTP_STATUS } from './errors';
import { checkHealth } from './health';
import { REPORT_FILES } from './types/evaluation';

/**
 * `GET /crops/:id`: the crop's JPEG (or PNG), or a photo point's photo (as `/crops/:id/source`),
 * 404 with a JSON error for an unknown id.
 */
export function cropImageRoute(backend: Backend, policy: ApiKeyPolicy): RequestHandler<{ id: string }> {
  const photoRoute = sourceImageRoute(backend, policy);
  return async (req, res, next) => {
    if (!mayRead(policy, req, res)) return;
    let file: string | null;
    try {
      file = (await getCrop(backend, req.params.id)).file;
    } catch (error) {
      sendError(res, error, backend);
      return;
    }
    if (file === null) return photoRoute(req, res, next);
    const missing = new DefectRagError(
      'IMAGE_NOT_FOUND',
      `the image file of crop "${req.params.id}" is missing on the server; re-run its ingestion`,
    );
    // Crop ids are derived from the crop's content and options, so the file behind an id does not change.
    const headers = { 'x-content-type-options': 'nosniff' };
    await sendFileUnder(res, backend.config.dataDir, file, { maxAge: '1d', headers }, missing, backend);
  };
}

/**
 * `GET /crops/:id/source`: the photo the crop was cut from, read from its dataset's folder, so a
 * client can draw the crop's box (`Crop.box`) in context. 404 with a JSON error when the crop is
 * unknown or the photo is no longer there.
 */
export function sourceImageRoute(backend: Backend, policy: ApiKeyPolicy): RequestHandler<{ id: string }> {
  return async (req, res) => {
    if (!mayRead(policy, req, res)) return;
    let root: string;
    let file: string;
    try {
      const crop = await getCrop(backend, req.params.id);
      root = (await getDataset(backend, crop.datasetId, `crop "${crop.id}"`)).root;
      file = path.resolve(root, crop.sourceImage);
    } catch (error) {
      sendError(res, error, backend);
      return;
    }
    const missing = `the source image of crop "${req.params.id}" is missing from its dataset folder`;
    await sendFileUnder(res, root, file, UNCACHED, new DefectRagError('IMAGE_NOT_FOUND', missing), backend);
  };
}

/** For files the client should revalidate each time. */
const UNCACHED = { headers: { 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' } };

/**
 * Sends `file` only when its real path, every link resolved now (a folder may have been swapped
 * for a link since the file was recorded), lies under the real path of `root`; otherwise, or when
 * it is not there, answers `missing`. It is sent by its path below the real root, so `send` applies
 * its dot-file rule only there: a data folder such as `.data`, or one under a dot-folder, serves.
 */
async function sendFileUnder(
  res: Response,
  root: string,
  file: string,
  options: { maxAge?: string; headers: Record<string, string> },
  missing: DefectRagError,
  backend: Backend,
): Promise<void> {
  let realRoot: string;
  let inside: string;
  try {
    realRoot = await realpath(root);
    inside = path.relative(realRoot, await realpath(file));
  } catch {
    sendError(res, missing, backend);
    return;
  }
  if (inside === '' || inside === '..' || inside.startsWith(`..${path.sep}`) || path.isAbsolute(inside)) {
    backend.logger.warn({ root: realRoot, file }, 'refused to serve a file outside its folder');
    sendError(res, missing, backend);
    return;
  }
  res.sendFile(inside, { ...options, root: realRoot }, (error) => {
    if (error && !res.headersSent) sendError(res, missing, backend);
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `GET /runs/:id/report/:file`: one of the files an EVALUATE run wrote (`evaluation.json`,
 * `evaluation.md`, `precision-at-k.svg`), from the paths the run recorded; any other name, or a
 * run without a report, is a 404 with a JSON error (REPORT_NOT_FOUND; RUN_NOT_FOUND for no run).
 */
export function reportFileRoute(backend: Backend, policy: ApiKeyPolicy): RequestHandler<{ id: string; file: string }> {
  return async (req, res) => {
    if (!mayRead(policy, req, res)) return;
    const { id, file: name } = req.params;
    let file: string;
    try {
      if (!UUID.test(id)) throw new DefectRagError('RUN_NOT_FOUND', `no run with id "${id}"`);
      const run = await getRun(backend, id);
      const key = (Object.keys(REPORT_FILES) as (keyof typeof REPORT_FILES)[]).find((k) => REPORT_FILES[k] === name);
      const files = (run.metrics as { files?: Partial<Record<keyof typeof REPORT_FILES, unknown>> } | null)?.files;
      const recorded = key && files?.[key];
      if (typeof recorded !== 'string' || path.basename(recorded) !== name)
        throw new DefectRagError('REPORT_NOT_FOUND', `run ${run.id} has no report file "${name}"`);
      file = recorded;
    } catch (error) {
      sendError(res, error, backend);
      return;
    }
    const missing = new DefectRagError(
      'REPORT_NOT_FOUND',
      `the report file "${name}" of run ${id} is missing on the server`,
    );
    await sendFileUnder(res, backend.config.dataDir, file, UNCACHED, missing, backend);
  };
}

/** Answers 401 and returns false when reads need an API key and the request has none. */
function mayRead(policy: ApiKeyPolicy, req: Request, res: Response): boolean {
  if (!policy.readsRequireKey || hasValidKey(policy, req.headers)) return true;
  res.status(HTTP_STATUS.UNAUTHENTICATED).json(errorBody('UNAUTHENTICATED', MISSING_KEY_MESSAGE));
  return false;
}

/** `GET /healthz`: PostgreSQL, Qdrant and the model; 200 when all are ok, 503 otherwise. */
export function healthRoute(backend: Backend, production: boolean): RequestHandler {
  return async (_req, res) => {
    const report = await checkHealth(backend, production);
    res
      .status(report.ok ? 200 : 503)
      .set('cache-control', 'no-store')
      .json(report);
  };
}

/**
 * The web explorer (apps/explorer, built to `dir` by `npm run -w @defect-rag/explorer build`):
 * index.html at `/`, its content-hashed assets cached for good. Paths that are not its files, and
 * `/` while it is not built, fall through to the next routes.
 */
export function explorerRoute(dir: string): RequestHandler {
  return express.static(dir, {
    index: 'index.html',
    setHeaders: (res, file) => {
      res.setHeader(
        'cache-control',
        path.basename(path.dirname(file)) === 'assets' ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
      res.setHeader('x-content-type-options', 'nosniff');
    },
  });
}

/**
 * `GET /` when the explorer is not built: says where things are. A plain local page: Apollo's
 * landing page loads from a CDN, which an offline install cannot reach.
 */
export const landingPage: RequestHandler = (_req: Request, res: Response) => {
  res.type('html').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>defect-rag API</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; line-height: 1.5">
<h1>defect-rag API</h1>
<ul>
<li>GraphQL: <code>POST /graphql</code> with a JSON body <code>{"query": "..."}</code>; the schema is <code>apps/api/schema.graphql</code> in the repository.</li>
<li>Crop images: <code>GET /crops/&lt;crop id&gt;</code>; the photo a crop was cut from: <code>GET /crops/&lt;crop id&gt;/source</code></li>
<li>An evaluation run's report: <code>GET /runs/&lt;run id&gt;/report/evaluation.md</code> (also <code>evaluation.json</code>, <code>precision-at-k.svg</code>)</li>
<li>Health: <a href="/healthz"><code>GET /healthz</code></a></li>
<li>The web explorer is served here once built: <code>npm run -w @defect-rag/explorer build</code> (<code>npm ci</code> builds it too).</li>
</ul>
</body></html>
`);
};

/**
 * Errors outside GraphQL execution (body too large or not JSON, a malformed multipart upload) as
 * JSON shaped like a GraphQL response, never Express's HTML page.
 */
export function jsonErrorHandler(backend: Backend): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const status =
      (error as { status?: number; statusCode?: number }).status ?? (error as { statusCode?: number }).statusCode;
    if (status === 413) {
      res.status(413).json(errorBody('PAYLOAD_TOO_LARGE', (error as Error).message));
    } else if (status !== undefined && status >= 400 && status < 500) {
      res.status(400).json(errorBody('BAD_USER_INPUT', (error as Error).message));
    } else {
      sendError(res, error, backend);
    }
  };
}

function sendError(res: Response, error: unknown, backend: Backend): void {
  if (error instanceof DefectRagError) {
    const code = apiCodeOf(error);
    if (code === 'INTERNAL_SERVER_ERROR') backend.logger.error({ err: error }, 'request failed');
    res
      .status(HTTP_STATUS[code])
      .json(errorBody(code, code === 'INTERNAL_SERVER_ERROR' ? 'internal server error' : error.message, error.code));
    return;
  }
  backend.logger.error({ err: error }, 'request failed');
  res.status(500).json(errorBody('INTERNAL_SERVER_ERROR', 'internal server error'));
}
