import { pingDatabase, pingQdrant, type Backend } from '@defect-rag/runs';
import { DefectRagError, toDefectRagError } from '@defect-rag/runtime';

export interface ComponentHealth {
  ok: boolean;
  /** What answered (version, model id), or why it failed. */
  detail: string;
  /** The library error code when it failed. */
  code?: string;
}

export interface HealthReport {
  ok: boolean;
  postgres: ComponentHealth;
  qdrant: ComponentHealth;
  model: ComponentHealth;
}

/** A check that has not answered by then counts as failed: a health probe must answer quickly. */
const CHECK_TIMEOUT_MS = 3_000;

/** PostgreSQL, Qdrant and the model, checked at once; in production failures give only their code. */
export async function checkHealth(backend: Backend, production: boolean): Promise<HealthReport> {
  const { services } = backend;
  const [postgres, qdrant, model] = await Promise.all([
    check(production, async () => {
      await pingDatabase(backend);
      return 'answers';
    }),
    check(
      production,
      async () => `version ${(await pingQdrant(services.qdrantUrl, services.qdrantApiKey, CHECK_TIMEOUT_MS)).version}`,
    ),
    check(production, async () => {
      const embedder = await backend.embedder();
      return `${embedder.modelId}, ${embedder.dimension}-d${embedder.randomWeights ? ', random test weights' : ''}`;
    }),
  ]);
  return { ok: postgres.ok && qdrant.ok && model.ok, postgres, qdrant, model };
}

async function check(production: boolean, probe: () => Promise<string>): Promise<ComponentHealth> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DefectRagError('INTERNAL', `no answer within ${CHECK_TIMEOUT_MS} ms`)),
      CHECK_TIMEOUT_MS,
    );
  });
  try {
    return { ok: true, detail: await Promise.race([probe(), timeout]) };
  } catch (error) {
    const failure = toDefectRagError(error);
    return { ok: false, code: failure.code, detail: production ? failure.code : failure.message };
  } finally {
    clearTimeout(timer);
  }
}
