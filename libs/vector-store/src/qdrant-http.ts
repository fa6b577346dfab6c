import http from 'node:http';
import https from 'node:https';

const REQUEST_TIMEOUT_MS = 30_000;

/** Qdrant answered with a status other than 2xx; `message` is Qdrant's own explanation. */
export class QdrantHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A request body that is already JSON text. */
export class RawJson {
  constructor(readonly text: string) {}
}

/** Qdrant sent nothing for REQUEST_TIMEOUT_MS. */
export class QdrantTimeoutError extends Error {}

type Method = 'GET' | 'PUT' | 'POST';

/**
 * The few REST calls the store makes, over node:http with keep-alive. Not the official client's
 * transport: it sends requests through `fetch`, and against Qdrant's server a small request that
 * follows an answer on the same connection waits for TCP's delayed ACK, about 40 ms, so a 2 ms
 * search took 45 ms. node:http writes headers and body in one go and does not hit that.
 */
export class QdrantHttp {
  private readonly agent: http.Agent;
  private readonly headers: Record<string, string>;

  constructor(
    readonly url: string,
    apiKey: string | undefined,
  ) {
    const secure = new URL(url).protocol === 'https:';
    this.agent = secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
    this.headers = { 'content-type': 'application/json', ...(apiKey ? { 'api-key': apiKey } : {}) };
  }

  /** Sends one request and returns the `result` of Qdrant's answer. */
  request<T>(method: Method, path: string, body?: unknown): Promise<T> {
    const payload =
      body === undefined ? undefined : Buffer.from(body instanceof RawJson ? body.text : JSON.stringify(body));
    const target = new URL(path.replace(/^\//, ''), this.url.endsWith('/') ? this.url : `${this.url}/`);
    const send = target.protocol === 'https:' ? https.request : http.request;
    return new Promise<T>((resolve, reject) => {
      const request = send(
        target,
        {
          method,
          agent: this.agent,
          headers: { ...this.headers, ...(payload ? { 'content-length': payload.length } : {}) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            let answer: { result?: T; status?: { error?: string } | string };
            try {
              answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof answer;
            } catch {
              reject(new QdrantHttpError(status, `answered ${status} with a body that is not JSON`));
              return;
            }
            if (status >= 200 && status < 300) resolve(answer.result as T);
            else
              reject(
                new QdrantHttpError(
                  status,
                  (typeof answer.status === 'object' && answer.status.error) || `HTTP ${status}`,
                ),
              );
          });
        },
      );
      request.setTimeout(REQUEST_TIMEOUT_MS, () =>
        request.destroy(new QdrantTimeoutError(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)),
      );
      request.on('error', reject);
      request.end(payload);
    });
  }
}

/** `/collections/<name>` with the name escaped. */
export function collectionPath(collection: string, rest = ''): string {
  return `/collections/${encodeURIComponent(collection)}${rest}`;
}
