import { DefectRagError } from '@defect-rag/runtime';

export interface QdrantInfo {
  version: string;
  collections: number;
}

/** Asks a Qdrant server for its version and collection count; QDRANT_UNAVAILABLE when it does not answer. */
export async function pingQdrant(url: string, apiKey?: string, timeoutMs = 5000): Promise<QdrantInfo> {
  const headers: Record<string, string> = apiKey ? { 'api-key': apiKey } : {};
  const get = async (route: string) => {
    const response = await fetch(new URL(route, url), { headers, signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) throw new Error(`GET ${route} answered ${response.status} ${response.statusText}`);
    return (await response.json()) as Record<string, unknown>;
  };
  try {
    const root = await get('/');
    const collections = (await get('/collections')) as { result?: { collections?: unknown[] } };
    return { version: String(root.version ?? 'unknown'), collections: collections.result?.collections?.length ?? 0 };
  } catch (error) {
    throw new DefectRagError(
      'QDRANT_UNAVAILABLE',
      `Qdrant at ${url} does not answer: ${(error as Error).message}`,
      { url },
      { cause: error },
    );
  }
}
