import type { ConfigurationResult } from './protocol';
import type { Criterion } from './relevance';

const PANELS: { criterion: Criterion; title: string }[] = [
  { criterion: 'damage', title: 'has_damage' },
  { criterion: 'type', title: 'damage type' },
  { criterion: 'zone', title: 'zone' },
];
/** Distinguishable on white and for the common colour blindnesses (Okabe–Ito). */
const COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];
const DASHES = ['', '6 3', '2 3'];

const PANEL = { width: 300, height: 220, left: 48, top: 40, gap: 24 };
const LEGEND_ROW = 18;

/**
 * Precision@k of every configuration (exact search), one panel per relevance criterion, as a
 * self-contained SVG: k on the x axis at even steps, precision from 0 to 1 on the y axis.
 */
export function precisionPlotSvg(configurations: readonly ConfigurationResult[], ks: readonly number[]): string {
  const plotWidth = PANEL.width - PANEL.left - 12;
  const plotHeight = PANEL.height - PANEL.top - 36;
  const width = PANELS.length * PANEL.width + (PANELS.length - 1) * PANEL.gap;
  const legendColumns = 4;
  const height = PANEL.height + Math.ceil(configurations.length / legendColumns) * LEGEND_ROW + 16;
  const x = (index: number) => (ks.length === 1 ? plotWidth / 2 : (index / (ks.length - 1)) * plotWidth);
  const y = (value: number) => plotHeight - value * plotHeight;
  const style = (index: number) => {
    const dash = DASHES[Math.floor(index / COLORS.length) % DASHES.length]!;
    return `stroke="${COLORS[index % COLORS.length]}" stroke-width="2" fill="none"${dash ? ` stroke-dasharray="${dash}"` : ''}`;
  };

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">precision@k per mode (exact search)</text>`,
  ];
  PANELS.forEach(({ criterion, title }, panel) => {
    const originX = panel * (PANEL.width + PANEL.gap) + PANEL.left;
    parts.push(
      `<g transform="translate(${originX},${PANEL.top})">`,
      `<text x="${plotWidth / 2}" y="-8" text-anchor="middle" font-weight="bold">${escapeXml(title)}</text>`,
    );
    for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
      parts.push(
        `<line x1="0" x2="${plotWidth}" y1="${y(tick)}" y2="${y(tick)}" stroke="#dddddd"/>`,
        `<text x="-6" y="${y(tick) + 4}" text-anchor="end">${tick.toFixed(2)}</text>`,
      );
    }
    ks.forEach((k, index) =>
      parts.push(`<text x="${x(index)}" y="${plotHeight + 16}" text-anchor="middle">${k}</text>`),
    );
    parts.push(
      `<line x1="0" x2="0" y1="0" y2="${plotHeight}" stroke="#555555"/>`,
      `<line x1="0" x2="${plotWidth}" y1="${plotHeight}" y2="${plotHeight}" stroke="#555555"/>`,
      `<text x="${plotWidth / 2}" y="${plotHeight + 30}" text-anchor="middle">k</text>`,
    );
    configurations.forEach((configuration, index) => {
      const points = ks.flatMap((k, i) => {
        const value = configuration.exact.overall.criteria[criterion].precision[k];
        return value === null || value === undefined ? [] : [`${x(i).toFixed(1)},${y(value).toFixed(1)}`];
      });
      if (points.length === 0) return;
      parts.push(`<polyline points="${points.join(' ')}" ${style(index)}/>`);
      for (const point of points) {
        const [cx, cy] = point.split(',');
        parts.push(`<circle cx="${cx}" cy="${cy}" r="2.5" fill="${COLORS[index % COLORS.length]}"/>`);
      }
    });
    parts.push('</g>');
  });
  const columnWidth = width / legendColumns;
  configurations.forEach((configuration, index) => {
    const left = (index % legendColumns) * columnWidth + PANEL.left;
    const top = PANEL.height + Math.floor(index / legendColumns) * LEGEND_ROW + 4;
    parts.push(
      `<line x1="${left}" x2="${left + 24}" y1="${top}" y2="${top}" ${style(index)}/>`,
      `<text x="${left + 30}" y="${top + 4}">${escapeXml(configuration.label)}</text>`,
    );
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}
