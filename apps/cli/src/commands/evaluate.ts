import { InvalidArgumentError } from 'commander';
import { isVectorKind, VECTOR_KINDS, type VectorKind } from '@defect-rag/runtime';
import {
  discoveryRanking,
  evaluateDataset,
  RANDOM_MODEL_WARNING,
  type EvaluationSummary,
} from '@defect-rag/evaluation';
import { type PhotoView } from '@defect-rag/ingestion';
import { withBackend } from '../backend';
import { photoViewOption } from '../photo-view';
import { createProgressDisplay } from '../progress';
import type { CliCommand } from './command';

interface EvaluateCliOptions {
  name?: string;
  model?: string;
  split?: string;
  k?: number[];
  alpha?: number[];
  modes?: VectorKind[];
  out?: string;
  photoView?: PhotoView;
  sourcePattern?: string;
  discovery?: boolean;
  json?: boolean;
}

export const evaluateCommand: CliCommand = {
  register(program) {
    program
      .command('evaluate')
      .description(
        'retrieval evaluation: every test crop queries the train crops; precision/recall@k, MRR, mAP, critical recall per mode and fusion weight',
      )
      .argument('<dataset-dir>', 'the dataset folder (ingested first with the split if needed)')
      .option('--name <name>', 'dataset name (default: the folder name)')
      .option('--model <dir>', 'model folder (default: DEFECT_RAG_MODEL_DIR)')
      .option(
        '--split <file>',
        'split.json from `defect-rag split` (default: the split of the last ingestion, else a new seeded one)',
      )
      .option(
        '--k <list>',
        'cut-offs, e.g. 1,5,10 (default: 1,5,10)',
        listOf('k', (value) => Number.isInteger(value) && value >= 1),
      )
      .option(
        '--alpha <list>',
        'image weights of the fused mode, e.g. 0,0.5,1 (default: 0,0.25,0.5,0.75,1)',
        listOf('alpha', (value) => value >= 0 && value <= 1),
      )
      .option('--modes <list>', 'query modes among image,text,fused (default: all)', modeList)
      .option('--out <dir>', 'folder for the report (default: <data dir>/evaluations/<run id>)')
      .addOption(photoViewOption())
      .option(
        '--source-pattern <regex>',
        'names a photo’s source from its file stem: the first group of this regular expression, else its match (default: ^([^_]+)_, the stem up to the first _)',
      )
      .option(
        '--discovery',
        'also measure discovery precision@k: the damaged test photos as unlabelled windows (annotations hidden), found by train damage crops of each type (embeds every window of those photos: minutes with a real model)',
      )
      .option('--json', 'print the summary as JSON')
      .action(async (datasetDir: string, options: EvaluateCliOptions) => {
        const summary = await withBackend(
          async (backend, signal) => {
            const progress = createProgressDisplay();
            try {
              return await evaluateDataset(
                backend,
                {
                  datasetDir,
                  name: options.name,
                  modelDir: options.model,
                  splitFile: options.split,
                  k: options.k,
                  alphas: options.alpha,
                  modes: options.modes,
                  outDir: options.out,
                  photoView: options.photoView,
                  sourcePattern: options.sourcePattern,
                  discovery: options.discovery,
                },
                { onProgress: progress.listener, signal },
              );
            } finally {
              progress.stop();
            }
          },
          { cancelOnSignals: true },
        );
        process.stdout.write(options.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
      });
  },
};

function listOf(name: string, valid: (value: number) => boolean): (text: string) => number[] {
  return (text) => {
    const values = text.split(',').map((part) => Number(part.trim()));
    if (values.length === 0 || values.some((value) => !(Number.isFinite(value) && valid(value))))
      throw new InvalidArgumentError(`not a valid ${name} list: ${text}`);
    return values;
  };
}

function modeList(text: string): VectorKind[] {
  const modes = text.split(',').map((part) => part.trim());
  const unknown = modes.filter((mode) => !isVectorKind(mode));
  if (unknown.length > 0)
    throw new InvalidArgumentError(`unknown mode ${unknown.join(', ')}: use ${VECTOR_KINDS.join(', ')}`);
  return modes as VectorKind[];
}

function formatSummary({ runId, report, files, outDir }: EvaluationSummary): string {
  const K = report.rankingK;
  const k = report.k[0]!;
  const num = (value: number | null) => (value === null ? '—' : value.toFixed(3));
  const ranks = new Map(report.ranking.map((row) => [row.label, String(row.rank)]));
  const configurations = textTable(
    [
      [
        '#',
        'configuration',
        `P@${k} has_damage`,
        `P@${k} type`,
        `P@${k} zone`,
        `composite@${K}`,
        'HNSW',
        `mAP@${K}`,
        `critical@${K}`,
        `strict critical@${K}`,
      ],
      ...report.configurations.map(({ label, role, exact, hnsw }) => [
        ranks.get(label) ?? (role === 'baseline' ? 'base' : 'upper'),
        label,
        num(exact.overall.criteria.damage.precision[k] ?? null),
        num(exact.overall.criteria.type.precision[k] ?? null),
        num(exact.overall.criteria.zone.precision[k] ?? null),
        num(exact.overall.composite[K] ?? null),
        num(hnsw?.overall.composite[K] ?? null),
        num(exact.overall.criteria.type.map[K] ?? null),
        num(exact.overall.criticalRecall[K] ?? null),
        num(exact.overall.strictCriticalRecall[K] ?? null),
      ]),
    ],
    1,
  );
  const { control } = report;
  const p1 = (value: { precision: number | null }) => num(value.precision);
  const agreementTable = (retrievers: typeof control.retrievers) =>
    textTable(
      [
        ['retriever', 'has_damage', 'zone', 'zone in damaged', 'zone in clean'],
        ...retrievers.map((retriever) => [
          retriever.label,
          p1(retriever.damage),
          p1(retriever.zone.overall),
          p1(retriever.zone.withinDamaged),
          p1(retriever.zone.withinClean),
        ]),
      ],
      0,
    );
  return [
    `evaluation run ${runId} succeeded`,
    `model     ${report.model.id}${report.model.randomWeights ? `  (${RANDOM_MODEL_WARNING})` : ''}`,
    `dataset   ${report.dataset.name} (${report.dataset.id})`,
    `split     ${report.split.file}: ${report.split.trainCrops} train crops searched, ${report.split.testCrops} test crops as queries`,
    `ingestion run ${report.ingestion.runId}: ${report.ingestion.embedded} embedded, ${report.ingestion.unchanged} unchanged, ${report.ingestion.problems} problems`,
    '',
    `configurations (ranked by composite@${K} = 0.7·mAP@${K} (damage type) + 0.3·critical recall@${K}; baselines and the upper bound unranked), exact search:`,
    ...configurations,
    '',
    'agreement at 1, every crop against the crops of other photos (image vectors):',
    ...agreementTable(report.agreement),
    '',
    `same-source control: ${control.damagedCrops} damage crops + ${control.cleanWindows} clean windows of ${control.photos} damaged photos, P@1:`,
    ...agreementTable(control.retrievers),
    '',
    `damage type within each source (its test crops against its own train crops), P@${k}:`,
    ...textTable(
      [
        ['source', 'configuration', 'test crops', 'type'],
        ...report.sources.flatMap((source) =>
          source.configurations.map(({ label, metrics }) => [
            source.source,
            label,
            String(source.testCrops),
            num(metrics.overall.criteria.type.precision[k] ?? null),
          ]),
        ),
      ],
      1,
    ),
    '',
    'same-source control within each source (against the other photos of the source), P@1 has_damage:',
    ...textTable(
      [
        ['source', 'retriever', 'damaged / clean', 'has_damage'],
        ...control.bySource.flatMap((source) =>
          source.retrievers.map((retriever) => [
            source.source,
            retriever.label,
            `${source.damagedCrops} / ${source.cleanWindows}`,
            p1(retriever.damage),
          ]),
        ),
      ],
      1,
    ),
    '',
    `crops or whole photos? ${report.levels.testPhotos} test photos against ${report.levels.trainPhotos} train photos (photo view ${report.levels.view}), P@${k}:`,
    ...textTable(
      [
        ['configuration', 'queries', 'has_damage', 'type', 'zone'],
        ...report.levels.configurations.map(({ label, metrics: { overall } }) => [
          label,
          String(overall.queries),
          num(overall.criteria.damage.precision[k] ?? null),
          num(overall.criteria.type.precision[k] ?? null),
          num(overall.criteria.zone.precision[k] ?? null),
        ]),
      ],
      0,
    ),
    ...discoveryLines(report.discovery, num),
    '',
    ...report.findings.map((finding) => `- ${finding}`),
    '',
    `wrote     ${outDir}`,
    `  ${files.markdown}`,
    `  ${files.json}`,
    `  ${files.plot}`,
    '',
  ].join('\n');
}

/** Every query's precision@k per retriever and ranking (the per-type rows are in the report files). */
function discoveryLines(discovery: EvaluationSummary['report']['discovery'], num: (value: number) => string): string[] {
  if (!discovery) return [];
  return [
    '',
    `discovery: ${discovery.windows} unmasked windows of ${discovery.photos} damaged test photos (${discovery.windowsWithDefect} show a hidden defect), found by train damage crops; precision@k of all queries:`,
    ...textTable(
      [
        ['retriever', 'ranking', ...discovery.ks.flatMap((k) => [`same type@${k}`, `any type@${k}`])],
        ...discovery.results.map((result) => [
          result.retriever,
          discoveryRanking(result),
          ...result.rows.at(-1)!.atK.flatMap((at) => [num(at.sameType), num(at.anyType)]),
        ]),
      ],
      0,
    ),
  ];
}

/** Rows as aligned text: the `left` column left-aligned (names), the others right-aligned (numbers). */
function textTable(rows: string[][], left: number): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map(
    (row) =>
      `  ${row.map((cell, column) => (column === left ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ')}`,
  );
}
