/**
 * The explorer's only way to the server: GraphQL over HTTP (JSON, or multipart for an uploaded
 * image), plus `/healthz`. Every path is relative, so the page works wherever the API serves it.
 */

/** A failed request, with the API's `extensions.code` (or an HTTP/network stand-in) and message. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** The library error code behind an API code, e.g. CROP_NOT_FOUND behind NOT_FOUND. */
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface GraphQLBody<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; reason?: string } }[];
}

export async function graphql<T>(
  query: string,
  variables: Record<string, unknown> = {},
  signal?: AbortSignal,
): Promise<T> {
  return send<T>({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
    signal,
  });
}

/**
 * A GraphQL multipart request (graphql-multipart-request-spec) with one file at `filePath` in the
 * variables, e.g. `query.image`. Apollo blocks multipart requests without a preflight header (CSRF).
 */
export async function graphqlUpload<T>(
  query: string,
  variables: Record<string, unknown>,
  filePath: string,
  file: File,
  signal?: AbortSignal,
): Promise<T> {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query, variables }));
  form.append('map', JSON.stringify({ 0: [`variables.${filePath}`] }));
  form.append('0', file, file.name);
  return send<T>({ method: 'POST', headers: { 'apollo-require-preflight': 'true' }, body: form, signal });
}

async function send<T>(init: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch('graphql', init);
  } catch (error) {
    if (init.signal?.aborted) throw error;
    throw new ApiError('NETWORK_ERROR', `the API cannot be reached: ${(error as Error).message}`);
  }
  let body: GraphQLBody<T>;
  try {
    body = (await response.json()) as GraphQLBody<T>;
  } catch {
    throw new ApiError(
      `HTTP_${response.status}`,
      `the API answered ${response.status} ${response.statusText} without a GraphQL body`,
    );
  }
  const first = body.errors?.[0];
  if (first)
    throw new ApiError(first.extensions?.code ?? `HTTP_${response.status}`, first.message, first.extensions?.reason);
  if (!body.data) throw new ApiError(`HTTP_${response.status}`, 'the API answered without data');
  return body.data;
}

export interface ComponentHealth {
  ok: boolean;
  detail: string;
  code?: string;
}

export interface HealthReport {
  ok: boolean;
  postgres: ComponentHealth;
  qdrant: ComponentHealth;
  model: ComponentHealth;
}

/** `/healthz` answers 503 with the same body when a component is down; both are reports. */
export async function fetchHealth(signal?: AbortSignal): Promise<HealthReport> {
  const response = await fetch('healthz', { signal, cache: 'no-store' });
  if (response.status !== 200 && response.status !== 503)
    throw new ApiError(`HTTP_${response.status}`, `/healthz answered ${response.status}`);
  return (await response.json()) as HealthReport;
}

/** The error to show for anything a request threw; an aborted request is not one. */
export function toApiError(error: unknown): ApiError | null {
  if (error instanceof DOMException && error.name === 'AbortError') return null;
  if (error instanceof ApiError) return error;
  return new ApiError('CLIENT_ERROR', error instanceof Error ? error.message : String(error));
}
