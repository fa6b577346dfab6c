import type { Problem } from '@defect-rag/runtime';
import { pixelBox } from './geometry';
import { rawLabelClassifier, regionPartOverlaps, type DefectClassifier } from './classify';
import type { Dataset } from './model';

export interface Distribution {
  count: number;
  min: number;
  p25: number;
  median: number;
  p75: number;
  max: number;
  mean: number;
}

export interface SizeBin {
  /** Longest side of the defect's box, in px: from ≤ side < to (to null: no upper bound). */
  from: number;
  to: number | null;
  count: number;
}

/** `dataset-report.json`: what the original `00_analyze_full_dataset` printed, as data. */
export interface DatasetReport {
  dataset: { name: string; root: string };
  /** The crop window the size counts refer to. */
  window: number;
  images: {
    total: number;
    damaged: number;
    clean: number;
    /** Damaged images left without any usable damage polygon. */
    damaged_without_defects: number;
    /** Images whose EXIF orientation rotates or flips them. */
    reoriented: number;
    by_format: Record<string, number>;
    /** Distinct displayed sizes, most frequent first. */
    sizes: Array<{ width: number; height: number; count: number }>;
    width: Distribution | null;
    height: Distribution | null;
  };
  defects: {
    total: number;
    /** Over damaged images. */
    per_image: Distribution | null;
    per_label: Record<string, number>;
    per_type: Record<string, number>;
    per_zone: Record<string, number>;
    /** Defects whose box is wider or taller than the window: they are cut as tiles. */
    larger_than_window: number;
    /** Longest side of the box, px. */
    longest_side: Distribution | null;
    area: Distribution | null;
    longest_side_bins: SizeBin[];
  };
  problems: { total: number; by_code: Record<string, number>; items: Problem[] };
}

export interface AnalyzeOptions {
  /** Names damage types and zones; raw labels without it. */
  classifier?: DefectClassifier;
  window?: number;
}

/** Counts and distributions of a read dataset. Pure: no file is touched. */
export function analyzeDataset(
  dataset: Dataset,
  { classifier = rawLabelClassifier, window = 336 }: AnalyzeOptions = {},
): DatasetReport {
  const damaged = dataset.images.filter((image) => image.damaged);
  const defects = damaged.flatMap((image) => image.defects.map((defect) => ({ image, defect })));
  const longest = defects.map(({ defect }) => Math.max(defect.box.width, defect.box.height));
  const edges = [0, 64, 128, 256, window];
  const bins: SizeBin[] = edges.map((from, i) => ({ from, to: edges[i + 1] ?? null, count: 0 }));
  for (const side of longest) bins.findLast((bin) => side >= bin.from)!.count++;

  const sizes = new Map<string, { width: number; height: number; count: number }>();
  for (const { width, height } of dataset.images) {
    const key = `${width}x${height}`;
    const entry = sizes.get(key) ?? { width, height, count: 0 };
    entry.count++;
    sizes.set(key, entry);
  }

  return {
    dataset: { name: dataset.name, root: dataset.root },
    window,
    images: {
      total: dataset.images.length,
      damaged: damaged.length,
      clean: dataset.images.length - damaged.length,
      damaged_without_defects: damaged.filter((image) => image.defects.length === 0).length,
      reoriented: dataset.images.filter((image) => image.orientation !== 1).length,
      by_format: countBy(dataset.images.map((image) => image.format)),
      sizes: [...sizes.values()].sort((a, b) => b.count - a.count || a.width - b.width || a.height - b.height),
      width: distribution(dataset.images.map((image) => image.width)),
      height: distribution(dataset.images.map((image) => image.height)),
    },
    defects: {
      total: defects.length,
      per_image: distribution(damaged.map((image) => image.defects.length)),
      per_label: countBy(defects.map(({ defect }) => defect.label)),
      per_type: countBy(defects.map(({ defect }) => classifier.damageType(defect.label))),
      per_zone: countBy(
        defects.map(({ image, defect }) => classifier.zone(regionPartOverlaps([defect.polygon], image))),
      ),
      larger_than_window: defects.filter(({ defect }) => {
        const box = pixelBox(defect.box);
        return box.width > window || box.height > window;
      }).length,
      longest_side: distribution(longest),
      area: distribution(defects.map(({ defect }) => defect.area)),
      longest_side_bins: bins,
    },
    problems: {
      total: dataset.problems.length,
      by_code: countBy(dataset.problems.map((problem) => problem.code)),
      items: dataset.problems,
    },
  };
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of [...values].sort()) counts[value] = (counts[value] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a, x], [b, y]) => y - x || a.localeCompare(b)));
}

function distribution(values: readonly number[]): Distribution | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => {
    const position = q * (sorted.length - 1);
    const low = Math.floor(position);
    const high = Math.ceil(position);
    return round(sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low));
  };
  return {
    count: sorted.length,
    min: round(sorted[0]!),
    p25: at(0.25),
    median: at(0.5),
    p75: at(0.75),
    max: round(sorted.at(-1)!),
    mean: round(sorted.reduce((sum, value) => sum + value, 0) / sorted.length),
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/** `dataset-report.md`: the same report for people. */
export function formatReportMarkdown(report: DatasetReport): string {
  const { images, defects, problems } = report;
  const lines = [
    `# Dataset report: ${report.dataset.name}`,
    '',
    `Folder: \`${report.dataset.root}\``,
    '',
    '## Images',
    '',
    '| | count |',
    '|---|---|',
    `| images | ${images.total} |`,
    `| damaged | ${images.damaged} |`,
    `| clean | ${images.clean} |`,
    `| damaged without a usable defect | ${images.damaged_without_defects} |`,
    `| reoriented by EXIF | ${images.reoriented} |`,
    `| formats | ${formatCounts(images.by_format)} |`,
    '',
    distributionTable('Image size (px)', { width: images.width, height: images.height }),
    '',
    `Most frequent sizes: ${
      images.sizes
        .slice(0, 8)
        .map((s) => `${s.width}×${s.height} (${s.count})`)
        .join(', ') || 'none'
    }`,
    '',
    '## Defects',
    '',
    `${defects.total} defects; ${defects.larger_than_window} larger than the ${report.window} px window (cut as tiles).`,
    '',
    countTable('Label', defects.per_label),
    '',
    countTable('Damage type', defects.per_type),
    '',
    countTable('Zone', defects.per_zone),
    '',
    distributionTable('Defect size', {
      'defects per damaged image': defects.per_image,
      'longest side (px)': defects.longest_side,
      'area (px²)': defects.area,
    }),
    '',
    '| longest side (px) | defects |',
    '|---|---|',
    ...defects.longest_side_bins.map(
      (bin) => `| ${bin.to === null ? `≥ ${bin.from}` : `${bin.from}–${bin.to - 1}`} | ${bin.count} |`,
    ),
    '',
    '## Problems',
    '',
  ];
  if (problems.total === 0) lines.push('None.');
  else {
    lines.push(countTable('Code', problems.by_code), '', '| item | code | message |', '|---|---|---|');
    for (const problem of problems.items) {
      lines.push(`| ${escapeCell(problem.item)} | ${problem.code} | ${escapeCell(problem.message)} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function formatCounts(counts: Record<string, number>): string {
  return (
    Object.entries(counts)
      .map(([key, count]) => `${key} ${count}`)
      .join(', ') || 'none'
  );
}

function countTable(title: string, counts: Record<string, number>): string {
  const rows = Object.entries(counts).map(([key, count]) => `| ${escapeCell(key)} | ${count} |`);
  return [`| ${title} | count |`, '|---|---|', ...(rows.length ? rows : ['| (none) | 0 |'])].join('\n');
}

function distributionTable(title: string, rows: Record<string, Distribution | null>): string {
  const lines = [`| ${title} | n | min | p25 | median | p75 | max | mean |`, '|---|---|---|---|---|---|---|---|'];
  for (const [name, d] of Object.entries(rows)) {
    lines.push(
      d
        ? `| ${name} | ${d.count} | ${d.min} | ${d.p25} | ${d.median} | ${d.p75} | ${d.max} | ${d.mean} |`
        : `| ${name} | 0 | | | | | | |`,
    );
  }
  return lines.join('\n');
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
