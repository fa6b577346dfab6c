import { formatMetric } from '../format';
import type { Evaluation } from '../run-queries';

const RETRIEVERS: Record<string, string> = {
  model: 'model',
  trivial: 'trivial features',
  random: 'random windows',
};

/** Discovery precision@k at the shown k (`evaluate --discovery`): every query, then the query's type per type. */
export function DiscoveryFigures({ report, k }: { report: Evaluation; k: number }) {
  const { discovery } = report;
  if (!discovery) return null;
  const types = [
    ...new Set(
      discovery.results.flatMap((result) => result.rows.map((row) => row.type)).filter((type) => type !== 'all'),
    ),
  ];
  const figure = (rows: (typeof discovery.results)[number]['rows'], type: string, field: 'sameType' | 'anyType') =>
    rows.find((row) => row.type === type)?.atK.find((entry) => entry.k === k)?.[field];
  return (
    <>
      <h3 id="discovery-heading">Discovery in unlabelled photos</h3>
      <p>
        {discovery.windows} unmasked windows of {discovery.photos} of the {discovery.testPhotos} damaged test photos,
        their annotations hidden ({discovery.windowsWithDefect} show a defect); up to {discovery.queriesPerType} train
        damage crops per type each rank them. Precision at k = {k}: the share of the first k windows that show a defect
        of the query’s type, or of any type.
      </p>
      <div class="table-scroll">
        <table aria-labelledby="discovery-heading" data-testid="discovery">
          <thead>
            <tr>
              <th scope="col">Retriever</th>
              <th scope="col">Ranking</th>
              <th scope="col" class="number">
                Same type
              </th>
              <th scope="col" class="number">
                Any type
              </th>
              {types.map((type) => (
                <th key={type} scope="col" class="number" title={`queries of type ${type}: same type`}>
                  {type}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {discovery.results.map(({ retriever, onePerPhoto, rows }) => (
              <tr key={`${retriever}-${onePerPhoto}`}>
                <th scope="row">{RETRIEVERS[retriever] ?? retriever}</th>
                <td>{retriever === 'random' ? 'expected' : onePerPhoto ? 'one per photo' : 'windows'}</td>
                <td class="number">{formatMetric(figure(rows, 'all', 'sameType'))}</td>
                <td class="number">{formatMetric(figure(rows, 'all', 'anyType'))}</td>
                {types.map((type) => (
                  <td key={type} class="number">
                    {formatMetric(figure(rows, type, 'sameType'))}
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
