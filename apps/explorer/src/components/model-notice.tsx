import { fetchHealth, type HealthReport } from '../api';
import { useInterval, useRequest } from '../use-request';
import { ErrorBox } from './error-box';

/**
 * The model behind the scores, from `/healthz` (the API's only word on it): a loud warning when it
 * is the generated test model with random weights, whose similarities mean nothing, and which
 * server component is down when one is.
 */
export function ModelNotice() {
  const health = useRequest<HealthReport>('health', fetchHealth);
  useInterval(health.reload, 30_000, true);

  if (health.error) return <ErrorBox error={health.error} context="Health check failed" />;
  const report = health.data;
  if (!report) return null;
  const down = (['postgres', 'qdrant', 'model'] as const).filter((name) => !report[name].ok);
  return (
    <>
      {down.length > 0 && (
        <div class="banner banner-error" role="alert">
          Server not healthy: {down.map((name) => `${name} (${report[name].detail})`).join(', ')}. Searches may fail.
        </div>
      )}
      {report.model.ok && isRandomTestModel(report.model.detail) && (
        <div class="banner banner-warning" role="note" data-testid="random-weights">
          <strong>Random test weights.</strong> The model ({report.model.detail.split(',')[0]}) is the generated test model: similarity scores and rankings
          are meaningless. Point <code>DEFECT_RAG_MODEL_DIR</code> at a real MetaCLIP export for real results.
        </div>
      )}
    </>
  );
}

/** `/healthz` describes the model as "<id>, <dim>-d[, random test weights]". */
export function isRandomTestModel(detail: string): boolean {
  return /random test weights/.test(detail);
}
