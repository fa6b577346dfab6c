import { useState } from 'preact/hooks';
import { at, formatMetric } from '../format';
import type { Evaluation } from '../run-queries';
import { DiscoveryFigures } from './evaluation-discovery';
import { SourceFigures, TypeConfusion } from './evaluation-types';

type Criterion = 'damage' | 'type' | 'zone';

const CRITERIA: { criterion: Criterion; title: string }[] = [
  { criterion: 'damage', title: 'has_damage' },
  { criterion: 'type', title: 'damage type' },
  { criterion: 'zone', title: 'zone' },
];
/** The plot's colours (Okabe–Ito), as in the report's own SVG: distinguishable for the common colour blindnesses. */
const COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];
const DASHES = ['', '6 3', '2 3'];

export function EvaluationReport({ report }: { report: Evaluation }) {
  const [k, setK] = useState<number | null>(null);
  const shownK = k ?? report.rankingK;
  return (
    <section class="evaluation" aria-labelledby="evaluation-heading" data-testid="evaluation">
      <h2 id="evaluation-heading">Evaluation report</h2>
      {report.randomWeights && (
        <div class="banner banner-warning" role="note">
          <strong>Random test model</strong> (<code>{report.modelId}</code>): these numbers say nothing about retrieval
          quality.
        </div>
      )}
      <p>
        {report.testCrops} test crops queried against {report.trainCrops} train crops with <code>{report.modelId}</code>
        ; configurations ranked by the composite 0.7·mAP + 0.3·critical recall at k = {report.rankingK} (exact search).
      </p>

      <div class="table-scroll">
        <table>
          <caption>Ranking at k = {report.rankingK}</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Configuration</th>
              <th scope="col" class="number">
                Composite
              </th>
              <th scope="col" class="number">
                Composite (HNSW)
              </th>
              <th scope="col" class="number">
                mAP (type)
              </th>
              <th
                scope="col"
                class="number"
                title="share of critical queries with a crop of their type among the first k"
              >
                Critical recall
              </th>
              <th
                scope="col"
                class="number"
                title="crops of the critical type among the first k / all of them: not in the composite"
              >
                Strict critical recall
              </th>
              <th scope="col" class="number">
                MRR (type)
              </th>
            </tr>
          </thead>
          <tbody>
            {report.ranking.map((row) => (
              <tr key={row.label}>
                <td>{row.rank}</td>
                <th scope="row">{row.label}</th>
                <td class="number">{formatMetric(row.composite)}</td>
                <td class="number">{formatMetric(row.compositeHnsw)}</td>
                <td class="number">{formatMetric(row.map)}</td>
                <td class="number">{formatMetric(row.criticalRecall)}</td>
                <td class="number">{formatMetric(row.strictCriticalRecall)}</td>
                <td class="number">{formatMetric(row.mrr)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <div class="section-header">
        <h3>Metrics at k =</h3>
        <select aria-label="Cut-off k" value={shownK} onChange={(event) => setK(Number(event.currentTarget.value))}>
          {report.k.map((value) => (
            <option key={value} value={value}>
              {value}
            </option>
          ))}
        </select>
      </div>
      <div class="table-scroll">
        <table>
          <caption>Precision and recall per relevance criterion, exact search</caption>
          <thead>
            <tr>
              <th scope="col">Configuration</th>
              {CRITERIA.map(({ criterion, title }) => [
                <th key={`${criterion}-p`} scope="col" class="number">
                  P {title}
                </th>,
                <th key={`${criterion}-r`} scope="col" class="number">
                  R {title}
                </th>,
              ])}
              <th scope="col" class="number">
                mAP
              </th>
              <th scope="col" class="number">
                Critical recall
              </th>
              <th scope="col" class="number">
                Composite
              </th>
              <th scope="col" class="number" title="share of the exact top k that HNSW also returns">
                ANN recall
              </th>
            </tr>
          </thead>
          <tbody>
            {report.configurations.map(({ label, exact, annRecall }) => (
              <tr key={label}>
                <th scope="row">{label}</th>
                {CRITERIA.map(({ criterion }) => [
                  <td key={`${criterion}-p`} class="number">
                    {formatMetric(at(exact[criterion].precision, shownK))}
                  </td>,
                  <td key={`${criterion}-r`} class="number">
                    {formatMetric(at(exact[criterion].recall, shownK))}
                  </td>,
                ])}
                <td class="number">{formatMetric(at(exact.type.map, shownK))}</td>
                <td class="number">{formatMetric(at(exact.criticalRecall, shownK))}</td>
                <td class="number">{formatMetric(at(exact.composite, shownK))}</td>
                <td class="number">{formatMetric(at(annRecall, shownK))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <PrecisionPlot report={report} />
      <TypeConfusion report={report} />
      <SourceFigures report={report} k={shownK} />
      <DiscoveryFigures report={report} k={shownK} />
      <p class="muted small">
        The full report: <a href={report.files.markdown}>evaluation.md</a> (with its{' '}
        <a href={report.files.plot}>plot</a>) and <a href={report.files.json}>evaluation.json</a>.
      </p>
    </section>
  );
}

const PANEL = { width: 260, height: 200, left: 40, top: 28, right: 10, bottom: 34, gap: 16 };

/** Precision@k of every configuration, one panel per relevance criterion, like the report's own plot. */
function PrecisionPlot({ report }: { report: Evaluation }) {
  const plotWidth = PANEL.width - PANEL.left - PANEL.right;
  const plotHeight = PANEL.height - PANEL.top - PANEL.bottom;
  const width = CRITERIA.length * PANEL.width + (CRITERIA.length - 1) * PANEL.gap;
  const x = (index: number) => (report.k.length === 1 ? plotWidth / 2 : (index / (report.k.length - 1)) * plotWidth);
  const y = (value: number) => plotHeight - value * plotHeight;
  const stroke = (index: number) => ({
    stroke: COLORS[index % COLORS.length],
    'stroke-dasharray': DASHES[Math.floor(index / COLORS.length) % DASHES.length] || undefined,
  });
  return (
    <figure class="plot">
      <svg viewBox={`0 0 ${width} ${PANEL.height}`} role="img" aria-labelledby="plot-caption">
        {CRITERIA.map(({ criterion, title }, panel) => (
          <g key={criterion} transform={`translate(${panel * (PANEL.width + PANEL.gap) + PANEL.left},${PANEL.top})`}>
            <text x={plotWidth / 2} y={-10} text-anchor="middle" class="plot-title">
              {title}
            </text>
            {[0, 0.25, 0.5, 0.75, 1].map((tick) => (
              <g key={tick}>
                <line x1={0} x2={plotWidth} y1={y(tick)} y2={y(tick)} class="grid-line" />
                <text x={-6} y={y(tick) + 4} text-anchor="end">
                  {tick.toFixed(2)}
                </text>
              </g>
            ))}
            {report.k.map((k, index) => (
              <text key={k} x={x(index)} y={plotHeight + 16} text-anchor="middle">
                {k}
              </text>
            ))}
            <text x={plotWidth / 2} y={plotHeight + 30} text-anchor="middle">
              k
            </text>
            {report.configurations.map((configuration, index) => {
              const points = report.k.flatMap((k, i) => {
                const value = at(configuration.exact[criterion].precision, k);
                return value === null ? [] : [[x(i), y(value)] as const];
              });
              return (
                <g key={configuration.label} fill={COLORS[index % COLORS.length]}>
                  <polyline
                    points={points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ')}
                    fill="none"
                    stroke-width={2}
                    {...stroke(index)}
                  />
                  {points.map(([px, py]) => (
                    <circle key={px} cx={px} cy={py} r={2.5} />
                  ))}
                </g>
              );
            })}
          </g>
        ))}
      </svg>
      <figcaption id="plot-caption">
        Precision@k per configuration (exact search), for each relevance criterion:
        <ul class="legend">
          {report.configurations.map((configuration, index) => (
            <li key={configuration.label}>
              <svg width="24" height="8" aria-hidden="true">
                <line x1={0} x2={24} y1={4} y2={4} stroke-width={2} {...stroke(index)} />
              </svg>
              {configuration.label}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}
