import type { Backend } from '@defect-rag/runs';
import type { RunManager } from '@defect-rag/run-manager';

/** What every resolver gets: the shared backend and run manager, and this request's facts. */
export interface ApiContext {
  backend: Backend;
  runs: RunManager;
  /** Prefix of crop image URLs: the public base URL, or '' for URLs relative to this server. */
  imageUrlBase: string;
  /**
   * Prefix of the image URLs in RAG context, which an agent reads outside any page: the public base
   * URL, else the address this server listens on.
   */
  absoluteUrlBase: string;
  maxUploadBytes: number;
  /** Aborts when the request has taken longer than `timeoutMs`. */
  deadline: AbortSignal;
  timeoutMs: number;
  /** The request carries a valid API key, or none are configured. */
  authenticated: boolean;
  /** Who the request's labels are written by: its API key's name (`keyName`), or `local` without keys. */
  author: string;
}
