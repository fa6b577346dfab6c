import type { RunStatus, StageProgress } from '../run-queries';

/** The stages in the order a run goes through them; stages the API adds later come after, by name. */
const STAGE_ORDER = ['dataset', 'plan', 'hash', 'crops', 'contexts', 'embedding', 'index', 'evaluation'];

export function StatusBadge({ status }: { status: RunStatus }) {
  return (
    <span class={`status status-${status.toLowerCase()}`} data-testid="run-status">
      {status.toLowerCase()}
    </span>
  );
}

export function StageProgressList({ progress }: { progress: StageProgress[] }) {
  if (progress.length === 0) return <span class="muted">not started</span>;
  return (
    <ul class="stage-progress">
      {sortStages(progress).map(({ stage, done, total }) => (
        <li key={stage}>
          <span class="stage-name">{stage}</span>
          <progress value={done} max={Math.max(total, 1)} aria-label={`${stage}: ${done} of ${total}`} />
          <span class="stage-count">
            {done}/{total}
          </span>
        </li>
      ))}
    </ul>
  );
}

export function sortStages<T extends { stage: string }>(stages: T[]): T[] {
  const rank = (stage: string) => {
    const index = STAGE_ORDER.indexOf(stage);
    return index === -1 ? STAGE_ORDER.length : index;
  };
  return [...stages].sort((a, b) => rank(a.stage) - rank(b.stage) || a.stage.localeCompare(b.stage));
}

export function isActive(status: RunStatus): boolean {
  return status === 'QUEUED' || status === 'RUNNING';
}
