export function formatScore(score: number): string {
  return score.toFixed(3);
}

/** A crop's damage as a tag: a crop of an unlabelled photo is neither damaged nor clean. */
export function damageState(crop: {
  hasDamage?: boolean | null;
  labelled: boolean;
}): 'damaged' | 'clean' | 'unlabelled' {
  if (!crop.labelled) return 'unlabelled';
  return crop.hasDamage ? 'damaged' : 'clean';
}

export function formatPercent(fraction: number): string {
  return `${Math.round(fraction * 100)} %`;
}

export function formatDateTime(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' }) : '—';
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** How long a run took, or has been running so far. */
export function runDuration(run: { startedAt: string | null; finishedAt: string | null }, now = Date.now()): string {
  if (!run.startedAt) return '—';
  return formatDuration((run.finishedAt ? Date.parse(run.finishedAt) : now) - Date.parse(run.startedAt));
}

/** A metric that may be undefined for a query set (no relevant crop): shown as a dash. */
export function formatMetric(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : value.toFixed(3);
}

/** A figure at one cut-off k out of the API's `[{ k, value }]` lists; null when absent. */
export function at(
  values: readonly { k: number; value?: number | null }[] | null | undefined,
  k: number,
): number | null {
  return values?.find((entry) => entry.k === k)?.value ?? null;
}
