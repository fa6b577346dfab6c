import { graphql } from '../api';
import { ErrorBox } from '../components/error-box';
import { isActive, StageProgressList, StatusBadge } from '../components/run-parts';
import { formatDateTime, runDuration } from '../format';
import { DATASETS_AND_RUNS, type DatasetsAndRunsData, type RunSummary } from '../run-queries';
import { href } from '../router';
import { useInterval, useRequest } from '../use-request';

/** How often the list is asked again: often while a run is moving, rarely otherwise (runs started elsewhere). */
const ACTIVE_POLL_MS = 1_500;
const IDLE_POLL_MS = 10_000;

export function RunsPage() {
  const list = useRequest<DatasetsAndRunsData>('datasets-and-runs', (signal) => graphql(DATASETS_AND_RUNS, {}, signal));
  const runs = list.data?.runs.edges.map(({ node }) => node) ?? [];
  const anyActive = runs.some((run) => isActive(run.status));
  useInterval(list.reload, anyActive ? ACTIVE_POLL_MS : IDLE_POLL_MS, !list.loading);

  return (
    <div class="runs-page" aria-busy={list.loading}>
      <h1>Datasets and runs</h1>
      {list.error && <ErrorBox error={list.error} context="The list could not be loaded" />}
      {list.loading && !list.data && (
        <p class="loading" role="status">
          Loading…
        </p>
      )}
      {list.data && (
        <>
          <section aria-labelledby="datasets-heading">
            <h2 id="datasets-heading">Datasets ({list.data.datasets.totalCount})</h2>
            {list.data.datasets.edges.length === 0 ? (
              <p class="empty">
                No dataset yet: <code>npx defect-rag ingest &lt;folder&gt; --name &lt;name&gt;</code> registers and
                ingests one.
              </p>
            ) : (
              <div class="table-scroll">
                <table data-testid="datasets">
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Folder on the server</th>
                      <th scope="col" class="number">
                        Images
                      </th>
                      <th scope="col" class="number">
                        Damaged
                      </th>
                      <th scope="col" class="number">
                        Clean
                      </th>
                      <th scope="col" class="number">
                        Defects
                      </th>
                      <th scope="col" class="number">
                        Crops
                      </th>
                      <th scope="col">Updated</th>
                    </tr>
                  </thead>
                  <tbody>
                    {list.data.datasets.edges.map(({ node: dataset }) => (
                      <tr key={dataset.id}>
                        <th scope="row">{dataset.name}</th>
                        <td>
                          <code>{dataset.root}</code>
                        </td>
                        <td class="number">{dataset.imageCount}</td>
                        <td class="number">{dataset.damagedCount}</td>
                        <td class="number">{dataset.cleanCount}</td>
                        <td class="number">{dataset.defectCount}</td>
                        <td class="number">{dataset.cropCount}</td>
                        <td>{formatDateTime(dataset.updatedAt)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>

          <section aria-labelledby="runs-heading">
            <h2 id="runs-heading">
              Runs ({list.data.runs.totalCount}
              {list.data.runs.totalCount > runs.length ? `, newest ${runs.length} shown` : ''})
            </h2>
            {runs.length === 0 ? <p class="empty">No runs yet.</p> : <RunTable runs={runs} />}
            <p class="muted small">
              {anyActive ? 'Runs in progress: refreshing every 1.5 s.' : 'Refreshing every 10 s.'}
            </p>
          </section>
        </>
      )}
    </div>
  );
}

function RunTable({ runs }: { runs: RunSummary[] }) {
  return (
    <div class="table-scroll">
      <table data-testid="runs">
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Kind</th>
            <th scope="col">Dataset</th>
            <th scope="col">Status</th>
            <th scope="col">Progress</th>
            <th scope="col">Started</th>
            <th scope="col">Took</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => {
            const problems = run.counts.find((count) => count.name === 'problems')?.value ?? 0;
            return (
              <tr key={run.id} data-testid="run-row" data-kind={run.kind} data-status={run.status}>
                <th scope="row">
                  <a href={href({ page: 'run', id: run.id })}>
                    <code>{run.id.slice(0, 8)}</code>
                  </a>
                </th>
                <td>{run.kind.toLowerCase()}</td>
                <td>{run.dataset.name}</td>
                <td>
                  <StatusBadge status={run.status} />
                  {problems > 0 && <span class="muted small"> {problems} problems</span>}
                  {run.errorCode && <div class="error-code">{run.errorCode}</div>}
                </td>
                <td>
                  <StageProgressList progress={run.progress} />
                </td>
                <td>{formatDateTime(run.startedAt ?? run.createdAt)}</td>
                <td>{runDuration(run)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
