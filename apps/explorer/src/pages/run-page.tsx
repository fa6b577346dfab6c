import { useEffect, useState } from 'preact/hooks';
import { graphql, toApiError, type ApiError } from '../api';
import { ErrorBox } from '../components/error-box';
import { EvaluationReport } from '../components/evaluation-report';
import { isActive, sortStages, StageProgressList, StatusBadge } from '../components/run-parts';
import { formatDateTime, formatDuration, runDuration } from '../format';
import {
  RUN_DETAIL,
  RUN_PROBLEMS,
  type RunDetail,
  type RunDetailData,
  type RunProblem,
  type RunProblemsData,
} from '../run-queries';
import { href } from '../router';
import { useInterval, useRequest } from '../use-request';

const POLL_MS = 1_500;

export function RunPage({ id }: { id: string }) {
  const detail = useRequest<RunDetailData>(id, (signal) => graphql(RUN_DETAIL, { id, after: null }, signal));
  const run = detail.data?.run;
  useInterval(detail.reload, POLL_MS, !detail.loading && run !== undefined && run !== null && isActive(run.status));

  return (
    <article class="run-page" aria-busy={detail.loading}>
      <p>
        <a href={href({ page: 'runs' })}>← Datasets and runs</a>
      </p>
      <h1>
        {run ? `${run.kind === 'INGEST' ? 'Ingestion' : 'Evaluation'} of ${run.dataset.name}` : 'Run'}{' '}
        <code class="crop-id">{id}</code>
      </h1>
      {detail.error && <ErrorBox error={detail.error} context="The run could not be loaded" />}
      {detail.loading && !run && (
        <p class="loading" role="status">
          Loading…
        </p>
      )}
      {run && (
        <>
          <RunSummaryList run={run} />
          <section aria-labelledby="progress-heading">
            <h2 id="progress-heading">Progress</h2>
            <StageProgressList progress={run.progress} />
          </section>
          <div class="two-tables">
            <NameValueTable caption="Counts" rows={run.counts.map(({ name, value }) => [name, String(value)])} />
            <NameValueTable
              caption="Timings"
              rows={sortStages(run.timings).map(({ stage, ms }) => [stage, formatDuration(ms)])}
            />
          </div>
          {run.metrics && <EvaluationReport report={run.metrics} />}
          <Problems run={run} />
          <details>
            <summary>Options the run was started with</summary>
            <pre>{JSON.stringify(run.params, null, 2)}</pre>
          </details>
        </>
      )}
    </article>
  );
}

function RunSummaryList({ run }: { run: RunDetail }) {
  return (
    <dl class="metadata">
      <div>
        <dt>Status</dt>
        <dd>
          <StatusBadge status={run.status} />
        </dd>
      </div>
      {run.error && (
        <div>
          <dt>Error</dt>
          <dd class="error-text">
            {run.errorCode && <code class="error-code">{run.errorCode}</code>} {run.error}
          </dd>
        </div>
      )}
      <div>
        <dt>Model</dt>
        <dd>
          <code>{run.modelId ?? '—'}</code>
        </dd>
      </div>
      <div>
        <dt>Collection</dt>
        <dd>
          <code>{run.collection ?? '—'}</code>
        </dd>
      </div>
      <div>
        <dt>Created</dt>
        <dd>{formatDateTime(run.createdAt)}</dd>
      </div>
      <div>
        <dt>Finished</dt>
        <dd>{formatDateTime(run.finishedAt)}</dd>
      </div>
      <div>
        <dt>Took</dt>
        <dd>{runDuration(run)}</dd>
      </div>
    </dl>
  );
}

function NameValueTable({ caption, rows }: { caption: string; rows: [string, string][] }) {
  if (rows.length === 0) return null;
  return (
    <table class="compact-table">
      <caption>{caption}</caption>
      <tbody>
        {rows.map(([name, value]) => (
          <tr key={name}>
            <th scope="row">{name}</th>
            <td class="number">{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The run's bad input items: the first page comes with the run, "Show more" fetches the next ones. */
function Problems({ run }: { run: RunDetail }) {
  const [more, setMore] = useState<{ problems: RunProblem[]; endCursor: string | null; hasNextPage: boolean } | null>(
    null,
  );
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  // A refreshed first page (polling) starts the list again.
  useEffect(() => setMore(null), [run.problems]);

  const page = run.problems;
  const problems = [...page.edges.map(({ node }) => node), ...(more?.problems ?? [])];
  const hasNextPage = more ? more.hasNextPage : page.pageInfo.hasNextPage;
  const loadMore = async () => {
    setLoading(true);
    try {
      const data = await graphql<RunProblemsData>(RUN_PROBLEMS, {
        id: run.id,
        after: more ? more.endCursor : page.pageInfo.endCursor,
      });
      if (!data.run) throw new Error(`run ${run.id} is gone`);
      const next = data.run.problems;
      setMore({
        problems: [...(more?.problems ?? []), ...next.edges.map(({ node }) => node)],
        endCursor: next.pageInfo.endCursor,
        hasNextPage: next.pageInfo.hasNextPage,
      });
      setError(null);
    } catch (failure) {
      setError(toApiError(failure));
    } finally {
      setLoading(false);
    }
  };

  return (
    <section aria-labelledby="problems-heading">
      <h2 id="problems-heading">Problems ({page.totalCount})</h2>
      {problems.length === 0 ? (
        <p class="empty">No bad input items.</p>
      ) : (
        <div class="table-scroll">
          <table data-testid="problems">
            <thead>
              <tr>
                <th scope="col">Item</th>
                <th scope="col">Stage</th>
                <th scope="col">Code</th>
                <th scope="col">Message</th>
              </tr>
            </thead>
            <tbody>
              {problems.map((problem) => (
                <tr key={problem.id}>
                  <td>
                    <code>{problem.item}</code>
                  </td>
                  <td>{problem.stage}</td>
                  <td>
                    <code class="error-code">{problem.code}</code>
                  </td>
                  <td>{problem.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {error && <ErrorBox error={error} context="More problems could not be loaded" />}
      {hasNextPage && (
        <button type="button" onClick={loadMore} disabled={loading}>
          {loading ? 'Loading…' : `Show more (${problems.length} of ${page.totalCount})`}
        </button>
      )}
    </section>
  );
}
