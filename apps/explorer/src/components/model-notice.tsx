import { fetchHealth, graphql, type HealthReport } from '../api';
import { MODEL, type ModelData } from '../queries';
import { useInterval, useRequest } from '../use-request';
import { ErrorBox } from './error-box';

/**
 * A loud warning when the model behind the scores is the generated test model with random
 * weights, whose similarities mean nothing (the API's `model` query), and which server component
 * is down when one is (`/healthz`).
 */
export function ModelNotice() {
  const health = useRequest<HealthReport>('health', fetchHealth);
  useInterval(health.reload, 30_000, true);
  const model = useRequest<ModelData>('model', (signal) => graphql(MODEL, {}, signal));

  if (health.error) return <ErrorBox error={health.error} context="Health check failed" />;
  const report = health.data;
  const down = report ? (['postgres', 'qdrant', 'model'] as const).filter((name) => !report[name].ok) : [];
  const { model: current } = model.data ?? {};
  return (
    <>
      {report && down.length > 0 && (
        <div class="banner banner-error" role="alert">
          Server not healthy: {down.map((name) => `${name} (${report[name].detail})`).join(', ')}. Searches may fail.
        </div>
      )}
      {current?.randomWeights && (
        <div class="banner banner-warning" role="note" data-testid="random-weights">
          <strong>Random test weights.</strong> The model ({current.id}) is the generated test model: similarity scores
          and rankings are meaningless. Point <code>DEFECT_RAG_MODEL_DIR</code> at a real MetaCLIP export for real
          results.
        </div>
      )}
    </>
  );
}
