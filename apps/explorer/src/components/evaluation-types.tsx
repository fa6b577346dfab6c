import { useState } from 'preact/hooks';
import { at, formatMetric } from '../format';
import type { Evaluation } from '../run-queries';

/** Query type → type of the first result, for one configuration (the best ranked first). */
export function TypeConfusion({ report }: { report: Evaluation }) {
  const withTypes = report.configurations.filter((configuration) => configuration.types.length > 0);
  const [label, setLabel] = useState<string | null>(null);
  const configuration =
    withTypes.find((candidate) => candidate.label === (label ?? report.ranking[0]?.label)) ?? withTypes[0];
  if (!configuration) return null;
  const first = report.k[0]!;
  const K = report.rankingK;
  const columns = [
    ...new Set(configuration.types.flatMap((row) => row.firstResult.map((cell) => cell.resultType))),
  ].sort();
  return (
    <>
      <div class="section-header">
        <h3 id="type-confusion-heading">Type confusion</h3>
        <select
          aria-label="Configuration of the type confusion"
          value={configuration.label}
          onChange={(event) => setLabel(event.currentTarget.value)}
        >
          {withTypes.map((candidate) => (
            <option key={candidate.label} value={candidate.label}>
              {candidate.label}
            </option>
          ))}
        </select>
      </div>
      <div class="table-scroll">
        <table aria-labelledby="type-confusion-heading" data-testid="type-confusion">
          <caption>
            Damaged test crops by their type → the type of their first result (exact search; tied first results share a
            query)
          </caption>
          <thead>
            <tr>
              <th scope="col">Query type</th>
              <th scope="col" class="number">
                Queries
              </th>
              <th scope="col" class="number">
                P@{first}
              </th>
              <th scope="col" class="number">
                P@{K}
              </th>
              {columns.map((column) => (
                <th key={column} scope="col" class="number">
                  → {column}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {configuration.types.map((row) => (
              <tr key={row.type}>
                <th scope="row">{row.type}</th>
                <td class="number">{row.queries}</td>
                <td class="number">{formatMetric(at(row.precision, first))}</td>
                <td class="number">{formatMetric(at(row.precision, K))}</td>
                {columns.map((column) => (
                  <td key={column} class="number">
                    {formatCount(row.firstResult.find((cell) => cell.resultType === column)?.queries ?? 0)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

/** Every configuration within each photo source: a type figure that only tells sources apart shows here. */
export function SourceFigures({ report, k }: { report: Evaluation; k: number }) {
  const measured = report.sources.filter((source) => source.configurations.length > 0);
  if (measured.length === 0) return null;
  return (
    <div class="table-scroll">
      <table data-testid="per-source">
        <caption>
          Within each photo source at k = {k}: its test crops against its own train crops only (exact search)
        </caption>
        <thead>
          <tr>
            <th scope="col">Source</th>
            <th scope="col" class="number">
              Train / test crops
            </th>
            <th scope="col">Configuration</th>
            <th scope="col" class="number">
              P type
            </th>
            <th scope="col" class="number">
              Critical recall
            </th>
            <th scope="col" class="number">
              Composite
            </th>
          </tr>
        </thead>
        <tbody>
          {measured.flatMap((source) =>
            source.configurations.map(({ label, exact }) => (
              <tr key={`${source.source}/${label}`}>
                <th scope="row">{source.source}</th>
                <td class="number">
                  {source.trainCrops} / {source.testCrops}
                </td>
                <td>{label}</td>
                <td class="number">{formatMetric(at(exact.type.precision, k))}</td>
                <td class="number">{formatMetric(at(exact.criticalRecall, k))}</td>
                <td class="number">{formatMetric(at(exact.composite, k))}</td>
              </tr>
            )),
          )}
        </tbody>
      </table>
    </div>
  );
}

/** Queries are fractional only where tied first results share one. */
function formatCount(value: number): string {
  return Math.abs(value - Math.round(value)) < 1e-9 ? String(Math.round(value)) : value.toFixed(1);
}
