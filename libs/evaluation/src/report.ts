import type { ControlRetrieverResult, SameSourceControl } from './control';
import { formatDiscoveryMarkdown, type DiscoveryReport } from './discovery';
import type { LevelComparison } from './levels';
import type { ConfigurationResult, ConfigurationRole, SearchMetrics } from './protocol';
import type { VectorSpace } from '@defect-rag/embedding';
import type { VectorKind } from '@defect-rag/runtime';
import type { ByK, CriterionMetrics, MetricSet } from './scoring';
import type { SourceResult } from './sources';

export interface RankingRow {
  rank: number;
  label: string;
  mode: VectorKind | null;
  alpha: number | null;
  /** At the ranking k, exact search. */
  composite: number | null;
  compositeHnsw: number | null;
  map: number | null;
  /** Found@k over the critical types (see `scoring.ts`): the composite's term. */
  criticalRecall: number | null;
  /** Share of all relevant crops within the first k, over the critical types: its own column. */
  strictCriticalRecall: number | null;
  mrr: number | null;
}

/** Everything `evaluation.json` holds. */
export interface EvaluationReport {
  runId: string;
  createdAt: string;
  dataset: { id: string; name: string; root: string };
  model: {
    id: string;
    randomWeights: boolean;
    towers: string[];
    space: VectorSpace;
    /** An adapted model (`defect-rag adapt`): what it was trained on, and whether that is this evaluation's train split. */
    adapter: ModelAdapter | null;
  };
  collection: string;
  /** `cleanCrops`: train and test crops without damage; none means has_damage is not judged. */
  split: { file: string; trainCrops: number; testCrops: number; cleanCrops: number };
  /** The ingestion run that brought the index up to date first. */
  ingestion: { runId: string; embedded: number; unchanged: number; problems: number };
  /** Image weight of the index's own `fused` vectors. */
  indexAlpha: number;
  k: number[];
  /** The k the ranking is made at: the largest. */
  rankingK: number;
  modes: VectorKind[];
  alphas: number[];
  /** The distinct prompts the text queries used, written from each test crop's labels by a template. */
  prompts: string[];
  /** The model's configurations by composite at `rankingK`, exact search, best first. */
  ranking: RankingRow[];
  /** The model's configurations, then the baselines, then the upper bound. */
  configurations: ConfigurationResult[];
  /**
   * Damaged-vs-clean and zone agreement at 1 of every crop with the crops of the other photos
   * (image vectors), zone also within damaged and within clean crops.
   */
  agreement: ControlRetrieverResult[];
  control: SameSourceControl;
  /** How a photo's source is named from its file stem (see `sources.ts`). */
  sourcePattern: string;
  /** Every configuration again within each source, exact search. */
  sources: SourceResult[];
  /** Crop-level against photo-level retrieval with the same model ("crops or whole photos?"). */
  levels: LevelComparison;
  /** Discovery precision@k in the test photos seen as unlabelled (`evaluate --discovery`); null when not asked. */
  discovery: DiscoveryReport | null;
  /** What the figures do and do not show, in sentences. */
  findings: string[];
}

export interface EvaluationFiles {
  json: string;
  markdown: string;
  plot: string;
}

/** What the EVALUATE run stores as `metrics`: the headline numbers, without the breakdowns of the files. */
// A type alias, not an interface: the run's `metrics` column takes any JSON object.
export type EvaluationMetrics = {
  modelId: string;
  randomWeights: boolean;
  k: number[];
  rankingK: number;
  trainCrops: number;
  testCrops: number;
  ranking: RankingRow[];
  findings: string[];
  agreement: ControlRetrieverResult[];
  control: SameSourceControl;
  /** Per source, the overall metrics of each configuration searched within it (exact). */
  sources: {
    source: string;
    photos: number;
    trainCrops: number;
    testCrops: number;
    configurations: { label: string; role: ConfigurationRole; exact: MetricSet }[];
  }[];
  /** Absent from runs stored before it existed; null when not asked. */
  discovery?: DiscoveryReport | null;
  configurations: {
    role: ConfigurationRole;
    label: string;
    mode: VectorKind | null;
    alpha: number | null;
    vectors: string;
    exact: MetricSet;
    hnsw: MetricSet | null;
    annRecall: ConfigurationResult['annRecall'];
    /** Per damage type of the test crops, exact search: its precision and the types of its first results. */
    types: TypeRow[];
  }[];
  outDir: string;
  files: EvaluationFiles;
};

/** One row of the type confusion: the queries showing `type`, and what they found first. */
export interface TypeRow {
  type: string;
  queries: number;
  /** Precision of the type criterion. */
  precision: ByK<number | null>;
  /** Type of the first result → queries (fractional where first results tie or show several types). */
  firstResult: Record<string, number>;
}

/** The type rows of a search: the damaged test crops' known types (never `(clean)`). */
export function typeRows(metrics: SearchMetrics): TypeRow[] {
  return Object.entries(metrics.typeConfusion)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, firstResult]) => {
      const criterion = metrics.byType[type]?.criteria.type;
      return {
        type,
        queries: criterion?.queries ?? 0,
        precision: criterion?.precision ?? {},
        firstResult,
      };
    });
}

export interface ModelAdapter {
  baseModel: string;
  dataset: string;
  seed: number;
  splitSha256: string;
  sameSplit: boolean;
}

export const RANDOM_MODEL_WARNING = 'random test model — these numbers say nothing about retrieval quality';

/**
 * The model's configurations (not the baselines or the upper bound), best composite first;
 * configurations without one (no critical test crop) last, in their order.
 */
export function rankConfigurations(configurations: readonly ConfigurationResult[], k: number): RankingRow[] {
  const rows = configurations
    .filter(({ role }) => role === 'model')
    .map((configuration) => {
      const exact = configuration.exact.overall;
      return {
        label: configuration.label,
        mode: configuration.mode,
        alpha: configuration.alpha,
        composite: exact.composite[k] ?? null,
        compositeHnsw: configuration.hnsw?.overall.composite[k] ?? null,
        map: exact.criteria.type.map[k] ?? null,
        criticalRecall: exact.criticalRecall[k] ?? null,
        strictCriticalRecall: exact.strictCriticalRecall[k] ?? null,
        mrr: exact.criteria.type.mrr,
      };
    });
  const order = rows
    .map((row, index) => ({ row, index }))
    .sort((a, b) => (b.row.composite ?? -1) - (a.row.composite ?? -1) || a.index - b.index);
  return order.map(({ row }, i) => ({ rank: i + 1, ...row }));
}

export function toRunMetrics(report: EvaluationReport, outDir: string, files: EvaluationFiles): EvaluationMetrics {
  return {
    modelId: report.model.id,
    randomWeights: report.model.randomWeights,
    k: report.k,
    rankingK: report.rankingK,
    trainCrops: report.split.trainCrops,
    testCrops: report.split.testCrops,
    ranking: report.ranking,
    findings: report.findings,
    agreement: report.agreement,
    control: report.control,
    sources: report.sources.map(({ configurations, ...source }) => ({
      ...source,
      configurations: configurations.map(({ label, role, metrics }) => ({ label, role, exact: metrics.overall })),
    })),
    discovery: report.discovery,
    configurations: report.configurations.map(({ role, label, mode, alpha, vectors, exact, hnsw, annRecall }) => ({
      role,
      label,
      mode,
      alpha,
      vectors,
      exact: exact.overall,
      hnsw: hnsw?.overall ?? null,
      annRecall,
      types: typeRows(exact),
    })),
    outDir,
    files,
  };
}

const CRITERION_NAMES = { damage: 'has_damage', type: 'damage type', zone: 'zone' } as const;

export function formatReportMarkdown(report: EvaluationReport, plotFile: string): string {
  const K = report.rankingK;
  const best = report.configurations.find((configuration) => configuration.label === report.ranking[0]?.label);
  const noCritical = report.configurations.every((configuration) => configuration.exact.overall.criticalQueries === 0);
  const lines: string[] = [`# Retrieval evaluation: ${report.dataset.name}`, ''];
  if (report.model.randomWeights) {
    lines.push(
      `> **⚠ ${capitalize(RANDOM_MODEL_WARNING)}.** \`${report.model.id}\` is the generated model with random weights that the tests use.`,
      '',
    );
  }
  const { adapter } = report.model;
  if (adapter && !adapter.sameSplit) {
    lines.push(
      `> **⚠ The adapter of \`${report.model.id}\` was trained on another split or dataset** (${adapter.dataset}, split ${adapter.splitSha256}): ` +
        'test photos of this evaluation may have been trained on, so its figures can be too good. Run `defect-rag adapt` with this split (`--split`).',
      '',
    );
  }
  lines.push(
    '| | |',
    '|---|---|',
    `| model | \`${report.model.id}\`${report.model.randomWeights ? ' (random weights)' : ''} |`,
    ...(adapter
      ? [
          `| adapter | a projection of \`${adapter.baseModel}\` learned by \`defect-rag adapt\` on ${adapter.dataset}'s train split (split ${adapter.splitSha256}, seed ${adapter.seed})` +
            `${adapter.sameSplit ? ': this evaluation’s train split, so no test photo was trained on' : ': **not this evaluation’s split**'} |`,
        ]
      : []),
    `| dataset | ${report.dataset.name} (\`${report.dataset.id}\`), ${report.dataset.root} |`,
    `| index | \`${report.collection}\`; its fused vectors have image weight α = ${report.indexAlpha} |`,
    `| split | ${report.split.file}: ${report.split.trainCrops} train crops (the index searched), ${report.split.testCrops} test crops (the queries) |`,
    `| ingestion | run \`${report.ingestion.runId}\`: ${report.ingestion.embedded} crops embedded, ${report.ingestion.unchanged} unchanged, ${report.ingestion.problems} problems |`,
    `| evaluation | run \`${report.runId}\`, ${report.createdAt} |`,
    `| k | ${report.k.join(', ')} (ranking at k = ${K}) |`,
    `| towers | ${report.model.towers.join(', ')}${towersNote(report.model, report.modes)} |`,
    '',
    '## What these figures show',
    '',
    ...report.findings.map((finding) => `- ${finding}`),
    '',
    `## Ranking by composite@${K}`,
    '',
    `Composite = 0.7 · mAP@${K} (damage type) + 0.3 · critical recall@${K}, exact search; only the model’s own configurations are ranked. ` +
      `Critical recall@${K} is the share of queries showing a critical type with at least one crop of that type among their first ${K} ` +
      '(the protocol’s “was the critical defect found”), per critical type, then over the types. Strict recall (the share of all relevant ' +
      `crops within the first ${K}) is its own column: with hundreds of relevant crops it cannot exceed ${K}/their number, so in the composite ` +
      'it would be about 0 by construction.' +
      (noCritical ? ' No test crop shows a critical damage type, so the composite is not available (—).' : ''),
    '',
    table(
      [
        '#',
        'configuration',
        `composite@${K}`,
        `composite@${K} HNSW`,
        `mAP@${K}`,
        `critical recall@${K}`,
        `strict critical recall@${K}`,
        'MRR',
        `P@${K} has_damage`,
      ],
      report.ranking.map((row) => {
        const configuration = report.configurations.find((candidate) => candidate.label === row.label)!;
        return [
          String(row.rank),
          row.label,
          num(row.composite),
          num(row.compositeHnsw),
          num(row.map),
          num(row.criticalRecall),
          num(row.strictCriticalRecall),
          num(row.mrr),
          num(configuration.exact.overall.criteria.damage.precision[K] ?? null),
        ];
      }),
    ),
    '',
    ...modelsAgainstBaselines(report),
    '',
    ...controlSection(report.agreement, report.control),
    '',
    ...sourcesSection(report),
    '',
    ...typeConfusionSection(report, best),
    '',
    '## Precision@k per mode',
    '',
    `![precision@k per mode, exact search](${plotFile})`,
    '',
    '## Exact vs HNSW',
    '',
    'The same queries through the HNSW graph and by exact comparison with every train crop. ANN recall@k is the share of the exact top k that HNSW found. ' +
      'Qdrant compares exhaustively while a filtered set or a segment is small (its `full_scan_threshold` and `indexing_threshold`), so on small datasets both agree. ' +
      'Re-fused weights exist in no index and are searched exactly only. ' +
      'Hubness: the share of all exact top-10 slots taken by the 1 % of train crops returned most often (about 0.01 without hubs; higher when the same few crops come back for most queries).',
    '',
    table(
      [
        'configuration',
        'vectors',
        `composite@${K} exact`,
        'HNSW',
        'Δ',
        ...report.k.map((k) => `ANN recall@${k}`),
        'hubness',
      ],
      report.configurations.map((configuration) => {
        const exact = configuration.exact.overall.composite[K] ?? null;
        const hnsw = configuration.hnsw?.overall.composite[K] ?? null;
        return [
          configuration.label,
          configuration.vectors,
          num(exact),
          num(hnsw),
          exact !== null && hnsw !== null ? num(hnsw - exact) : '—',
          ...report.k.map((k) => num(configuration.annRecall?.[k] ?? null)),
          num(configuration.hubness),
        ];
      }),
    ),
    '',
    '## Damaged vs clean at k = 1',
    '',
    ...(report.split.cleanCrops === 0
      ? [
          'Not measured against the index: the dataset has no clean photo, so every first result is damaged like the query. ' +
            'The same-source control above measures damaged vs clean on clean windows of the same photos.',
        ]
      : [
          'Test crops by their state → the state of their first result (exact search). Crops tied for first place share the count.',
          '',
          table(
            ['configuration', 'damaged → damaged', 'damaged → clean', 'clean → damaged', 'clean → clean', 'accuracy'],
            report.configurations.map(
              ({
                label,
                exact: {
                  overall: { confusion },
                },
              }) => [
                label,
                count(confusion.damagedAsDamaged),
                count(confusion.damagedAsClean),
                count(confusion.cleanAsDamaged),
                count(confusion.cleanAsClean),
                num(confusion.accuracy),
              ],
            ),
          ),
        ]),
    '',
    '## Results per mode',
  );
  report.configurations.forEach((configuration, index) => {
    const same = report.configurations.slice(0, index).find((earlier) => earlier.vectors === configuration.vectors);
    lines.push(
      '',
      ...(same
        ? [
            `### ${configuration.label}`,
            '',
            `Compares the same vectors as **${same.label}** (${configuration.vectors}): the same numbers.`,
          ]
        : modeSection(configuration, report.k)),
    );
  });
  if (best) {
    lines.push(
      '',
      `## Breakdown of the best configuration: ${best.label}, exact search`,
      '',
      'Every configuration’s breakdowns are in `evaluation.json`.',
    );
    lines.push('', '### Per zone of the test crop', '', breakdownTable('zone', best.exact.byZone, K));
    lines.push('', '### Per damage type of the test crop', '', breakdownTable('damage type', best.exact.byType, K));
  }
  lines.push('', ...levelsSection(report.levels, report.k));
  if (report.discovery) lines.push('', ...discoverySection(report.discovery));
  lines.push('', '## How the numbers are computed', '', ...DEFINITIONS.map((line) => `- ${line}`), '');
  return lines.join('\n');
}

/** Every configuration, baselines and upper bound included, at the smallest k. */
function modelsAgainstBaselines(report: EvaluationReport): string[] {
  const k = report.k[0]!;
  const roles: Record<ConfigurationRole, string> = {
    model: 'model',
    baseline: 'baseline',
    'upper-bound': 'upper bound',
  };
  return [
    `## The model against baselines at k = ${k}`,
    '',
    report.model.towers.includes('text')
      ? 'Queries are what a user has at query time: the test crop’s image, a prompt written from a template of its damage type and zone ' +
        `(${report.prompts.length} distinct prompts, listed in \`evaluation.json\`), or both. ` +
        'The upper bound queries with the test crop’s own stored description, written from its labels: no user has it, so it is never ranked.'
      : 'The model has an image tower only: the test crop’s image is the query' +
        (report.modes.includes('text')
          ? `, or a prompt naming its damage types and zone (${report.prompts.length} distinct prompts, listed in \`evaluation.json\`), ` +
            'answered by label prototypes: the mean image vector of the train crops with those labels.'
          : '.'),
    '',
    table(
      ['configuration', 'role', `P@${k} has_damage`, `P@${k} type`, `P@${k} zone`, `mAP@${k}`, `composite@${k}`],
      report.configurations.map((configuration) => {
        const overall = configuration.exact.overall;
        return [
          configuration.label,
          roles[configuration.role],
          num(overall.criteria.damage.precision[k] ?? null),
          num(overall.criteria.type.queries > 0 ? (overall.criteria.type.precision[k] ?? null) : null),
          num(overall.criteria.zone.precision[k] ?? null),
          num(overall.criteria.type.map[k] ?? null),
          num(overall.composite[k] ?? null),
        ];
      }),
    ),
  ];
}

function controlSection(split: readonly ControlRetrieverResult[], control: SameSourceControl): string[] {
  const p = (value: { queries: number; precision: number | null }) => `${num(value.precision)} (${value.queries})`;
  const agreementTable = (retrievers: readonly ControlRetrieverResult[]) =>
    table(
      ['retriever', 'has_damage', 'zone', 'zone within damaged', 'zone within clean'],
      retrievers.map((retriever) => [
        retriever.label,
        p(retriever.damage),
        p(retriever.zone.overall),
        p(retriever.zone.withinDamaged),
        p(retriever.zone.withinClean),
      ]),
    );
  return [
    '## Agreement at 1 within damaged and within clean crops',
    '',
    'Every crop of the dataset against the crops of every other photo (leave one photo out), image vectors, exact. ' +
      'Within damaged (or clean) crops, queries and candidates are all damaged (or all clean), so a difference of source between damaged and clean photos cannot help. P@1 (queries):',
    '',
    agreementTable(split),
    '',
    '## Same-source control',
    '',
    `${control.cleanWindows} clean 336-px windows cut from the damaged photos themselves (no defect pixel within ${control.marginPx} px, ` +
      `mostly on the vehicle, unmasked like the damage crops; written to \`${control.windowsDir}\`) and the ${control.damagedCrops} damage crops ` +
      `of the same ${control.photos} photos, as many of each (a seeded sample of the larger side); each queries the crops of every other photo. P@1 (queries):`,
    '',
    agreementTable(control.retrievers),
    '',
    `Test split only: the ${control.testSplit.queries} items of the ${control.testSplit.photos} test photos query the items of every other photo ` +
      '(the figure that judges an adapted model, which saw the train photos’ crops and windows). P@1 (queries):',
    '',
    agreementTable(control.testSplit.retrievers),
  ];
}

/** Every configuration within each source, beside the control within each source. */
function sourcesSection(report: EvaluationReport): string[] {
  const k = report.k[0]!;
  const K = report.rankingK;
  const lines = [
    '## Per source',
    '',
    `Sources named by \`${report.sourcePattern}\` on the photo’s file stem. Each source’s test crops query only its own train crops ` +
      '(exact search, in memory), with both baselines searched the same way: a type figure that tells sources apart overall shows ' +
      'here as what it is.',
    '',
  ];
  const rows = report.sources.flatMap((source) => {
    if (source.configurations.length === 0)
      return [
        [
          source.source,
          String(source.photos),
          `${source.trainCrops} / ${source.testCrops}`,
          '(not evaluated: no train or no test crop)',
          '',
          '',
          '',
          '',
          '',
          '',
        ],
      ];
    return source.configurations.map(({ label, metrics: { overall } }) => [
      source.source,
      String(source.photos),
      `${source.trainCrops} / ${source.testCrops}`,
      label,
      num(overall.criteria.type.queries > 0 ? (overall.criteria.type.precision[k] ?? null) : null),
      num(overall.criteria.type.queries > 0 ? (overall.criteria.type.precision[K] ?? null) : null),
      num(overall.criteria.type.map[K] ?? null),
      num(overall.criticalRecall[K] ?? null),
      num(overall.strictCriticalRecall[K] ?? null),
      num(overall.composite[K] ?? null),
    ]);
  });
  lines.push(
    table(
      [
        'source',
        'photos',
        'train / test crops',
        'configuration',
        `P@${k} type`,
        `P@${K} type`,
        `mAP@${K}`,
        `critical recall@${K}`,
        `strict critical recall@${K}`,
        `composite@${K}`,
      ],
      rows,
    ),
    '',
    'Same-source control within each source (damage crops and clean windows each against the other photos of their source only; the two sides need not be equal in number here, so the random baseline gives chance). P@1 damaged vs clean (queries):',
    '',
    table(
      ['source', 'damage crops / clean windows', 'retriever', 'has_damage'],
      report.control.bySource.flatMap((source) =>
        source.retrievers.map((retriever) => [
          source.source,
          `${source.damagedCrops} / ${source.cleanWindows}`,
          retriever.label,
          `${num(retriever.damage.precision)} (${retriever.damage.queries})`,
        ]),
      ),
    ),
  );
  return lines;
}

/** Per damage type P@k and the confusion of the first result, for the best configuration and the trivial baseline. */
function typeConfusionSection(report: EvaluationReport, best: ConfigurationResult | undefined): string[] {
  const k = report.k[0]!;
  const K = report.rankingK;
  const trivial = report.configurations.find((configuration) => configuration.label === 'baseline: trivial features');
  const shown = [best, trivial].filter((configuration): configuration is ConfigurationResult => !!configuration);
  const lines = [
    '## Type confusions',
    '',
    'Damaged test crops with a known type, exact search: per type, precision of the type criterion, and query type → type of the ' +
      'first result (rows: query types; a query with several types counts in each row; tied first results share the query). ' +
      'Every configuration’s table is in `evaluation.json` (`typeConfusion`).',
  ];
  for (const configuration of shown) {
    const byType = Object.entries(configuration.exact.byType).filter(([type]) => type !== '(clean)');
    const confusion = configuration.exact.typeConfusion;
    const columns = [...new Set(Object.values(confusion).flatMap((row) => Object.keys(row)))].sort();
    lines.push(
      '',
      `### ${configuration.label}`,
      '',
      table(
        ['query type', 'queries', `P@${k} type`, `P@${K} type`],
        byType.map(([type, metrics]) => [
          type,
          String(metrics.criteria.type.queries),
          num(metrics.criteria.type.queries > 0 ? (metrics.criteria.type.precision[k] ?? null) : null),
          num(metrics.criteria.type.queries > 0 ? (metrics.criteria.type.precision[K] ?? null) : null),
        ]),
      ),
      '',
      table(
        ['query type → first result', ...columns],
        Object.keys(confusion)
          .sort()
          .map((type) => [type, ...columns.map((column) => count(confusion[type]![column] ?? 0))]),
      ),
    );
  }
  return lines;
}

function modeSection(configuration: ConfigurationResult, ks: readonly number[]): string[] {
  const searches: [string, SearchMetrics][] = [['exact', configuration.exact]];
  if (configuration.hnsw) searches.push(['HNSW', configuration.hnsw]);
  const row = (name: string, value: (metrics: MetricSet, k: number) => number | null) => [
    name,
    ...searches.flatMap(([, search]) => ks.map((k) => num(value(search.overall, k)))),
  ];
  const criterionRows = (['damage', 'type', 'zone'] as const).flatMap((criterion) => [
    row(`precision ${CRITERION_NAMES[criterion]}`, (metrics, k) => metrics.criteria[criterion].precision[k] ?? null),
    row(`recall ${CRITERION_NAMES[criterion]}`, (metrics, k) => metrics.criteria[criterion].recall[k] ?? null),
  ]);
  const overall = configuration.exact.overall;
  const mrr = (criterion: keyof typeof CRITERION_NAMES) =>
    `${CRITERION_NAMES[criterion]} ${searches.map(([, search]) => num(search.overall.criteria[criterion].mrr)).join(' / ')}`;
  return [
    `### ${configuration.label}`,
    '',
    `${capitalize(configuration.vectors)}. Queries: ${overall.queries} test crops; ${queriesLine(overall.criteria.type, 'damage type')}; ${queriesLine(overall.criteria.zone, 'zone')}; ${overall.criticalQueries} with a critical type.`,
    '',
    table(
      ['metric', ...searches.flatMap(([search]) => ks.map((k) => `${search} @${k}`))],
      [
        ...criterionRows,
        row('mAP (damage type)', (metrics, k) => metrics.criteria.type.map[k] ?? null),
        row('critical recall (found@k)', (metrics, k) => metrics.criticalRecall[k] ?? null),
        row('strict critical recall', (metrics, k) => metrics.strictCriticalRecall[k] ?? null),
        row('composite', (metrics, k) => metrics.composite[k] ?? null),
      ],
    ),
    '',
    `MRR (${searches.map(([search]) => search).join(' / ')}): ${mrr('damage')}; ${mrr('type')}; ${mrr('zone')}.`,
  ];
}

/** "Crops or whole photos?": the same questions per photo, answered at each level. */
function levelsSection(levels: LevelComparison, ks: readonly number[]): string[] {
  const k = ks[0]!;
  const K = ks.at(-1)!;
  const row = (configuration: LevelComparison['configurations'][number]) => {
    const { overall } = configuration.metrics;
    return [
      configuration.label,
      String(overall.queries),
      num(overall.criteria.damage.precision[k] ?? null),
      num(overall.criteria.type.precision[k] ?? null),
      num(overall.criteria.zone.precision[k] ?? null),
      num(overall.criteria.damage.map[K] ?? null),
      num(overall.criteria.zone.map[K] ?? null),
    ];
  };
  const header = [
    'configuration',
    'queries',
    `P@${k} has_damage`,
    `P@${k} type`,
    `P@${k} zone`,
    `mAP@${K} has_damage`,
    `mAP@${K} zone`,
  ];
  const perPhoto = levels.configurations.filter(
    (configuration) => configuration.index === 'photos' && configuration.query !== 'crop',
  );
  const across = levels.configurations.filter((configuration) => !perPhoto.includes(configuration));
  const lines = [
    '## Crops or whole photos?',
    '',
    `Image vectors of the same model, exact search. Each of the ${levels.testPhotos} test photos that have crops asks for ` +
      `the ${levels.trainPhotos} train photos that have crops, judged on photo labels (damaged when it has a defect; the damage types ` +
      `of all its defects; its zone: that of its first defect, else the one it shows most): with its photo vector ` +
      `(photo points, view \`${levels.view}\`) or with its crops (a train photo scores its best crop-to-crop similarity).`,
    '',
    table(header, perPhoto.map(row)),
    '',
    'Across levels (judged on the labels of both sides, as crops are):',
    '',
    table(header, across.map(row)),
  ];
  for (const configuration of levels.configurations.filter(
    (candidate) => candidate.role === 'model' && candidate.index === 'photos' && candidate.query !== 'crop',
  )) {
    lines.push(
      '',
      `### ${configuration.label}: per class and zone of the test photo`,
      '',
      breakdownTable('class', configuration.metrics.byType, k),
      '',
      breakdownTable('zone', configuration.metrics.byZone, k),
    );
  }
  return lines;
}

/** Discovery precision@k (`evaluate --discovery`), as the discovery tool prints it. */
function discoverySection(discovery: DiscoveryReport): string[] {
  return [
    '## Discovery in unlabelled photos',
    '',
    'The damaged test photos are cut as an unlabelled dataset is cut (unmasked windows, their annotations hidden); up to ' +
      `${discovery.queriesPerType} train damage crops per damage type (a seeded sample) each rank every window by exact cosine. Precision@k: the share of the ` +
      `first k windows that show a hidden defect of the query’s type (same type), or of any type; a window shows a defect when at least ` +
      `${discovery.overlap.defectShare * 100} % of the defect lies inside it or it covers at least ${discovery.overlap.windowShare * 100} % ` +
      'of the window. “One per photo” keeps each photo’s best window; random windows give the share of windows showing a defect. ' +
      'Rows per query type, then all queries, each weighing the same.',
    '',
    formatDiscoveryMarkdown(discovery).trimEnd(),
  ];
}

function queriesLine(metrics: CriterionMetrics, name: string): string {
  return `${metrics.queries} judged by ${name} (${metrics.withRelevant} with a relevant train crop)`;
}

function breakdownTable(groupName: string, groups: Record<string, MetricSet>, k: number): string {
  return table(
    [
      groupName,
      'queries',
      `P@${k} has_damage`,
      `P@${k} type`,
      `P@${k} zone`,
      `mAP@${k}`,
      'MRR (type)',
      `composite@${k}`,
    ],
    Object.entries(groups).map(([group, metrics]) => [
      group,
      String(metrics.queries),
      num(metrics.criteria.damage.precision[k] ?? null),
      num(metrics.criteria.type.precision[k] ?? null),
      num(metrics.criteria.zone.precision[k] ?? null),
      num(metrics.criteria.type.map[k] ?? null),
      num(metrics.criteria.type.mrr),
      num(metrics.composite[k] ?? null),
    ]),
  );
}

const DEFINITIONS = [
  'The test crops query the train crops of the same dataset (Qdrant filter `split = train`, dataset id). The split is by image, so no test crop has a sibling crop of its image in the index.',
  'Baselines: **random vectors** (a seeded random unit vector per crop) and **trivial features** (a 64-bin colour histogram, the share of black pixels and the source photo’s width and height, standardised, each group weighing the same). A model configuration that does not beat trivial features clearly has found a shortcut, not the labels.',
  'A retrieved crop is relevant under **has_damage** when it is damaged exactly when the query is; under **damage type** when it shares a damage type with a damaged query (clean queries and queries with only unknown types are not judged by type); under **zone** when it has the query’s vehicle zone (`unknown` zones match nothing).',
  '**precision@k** = relevant crops among the first k results / k (a list shorter than k counts the missing ranks as not relevant); the mean over the queries the criterion judges.',
  '**recall@k** = relevant crops among the first k / every relevant train crop of the index for that query; the mean over queries with at least one relevant train crop (as in the original protocol, it is small when k is much smaller than the number of relevant crops).',
  '**AP@k** = Σ precision@i over the relevant ranks i ≤ k, divided by min(k, relevant train crops); **mAP@k** its mean. **MRR** = mean of 1 / rank of the first relevant result among the first max(k), 0 when none; both over queries with a relevant train crop.',
  '**critical recall@k** (found@k): for each damage type the taxonomy flags `critical` (by default fracture, scratch, deep scratch, contamination), the share of the test crops showing it that have at least one crop of that type among their first k results (recall@k as image retrieval uses it: was the critical defect found); then the mean over those types, each weighing the same. Tied results count with the probability that one of them falls within k.',
  '**strict critical recall@k**: the same averages of recall@k as defined above (crops of that type among the first k / every train crop of that type). It is at most k / (train crops of that type), so with hundreds of scratches in the index it is near 0 whatever the model does: reported, but not in the composite.',
  '**composite@k** = 0.7 · mAP@k (damage type) + 0.3 · critical recall@k (found@k); not available (—) when no test crop shows a critical type.',
  '**Sources**: a photo’s source is named from its file stem by the source pattern (by default the stem up to the first `_`). Within a source, its test crops query its train crops only (exact, in memory) and the control’s crops query the other photos of their source only, so a figure that tells sources apart (photo size, a site’s colours) cannot show there.',
  '**Type confusion**: each damaged test crop with a known type, per type it shows → the types of its first result (tied first results share the query, a result with several types shares its part; `(none)`: no known type).',
  'Ties: results with exactly equal scores (identical description texts give identical text vectors) are in no meaningful order, so every metric is its expected value over the orders of the tied results (McSherry & Najork, ECIR 2008).',
  'Fusion weights: `image+prompt α=a` queries with `a · image + (1 − a) · prompt` (unit vectors, renormalised) against the index fused with the same weight: the index’s own weight is its stored fused vector; other weights re-fuse the stored image and text vectors of every crop and are searched exactly in memory. An encoder pair (image and text towers in separate spaces) fuses by concatenation instead, `[√a · image, √(1 − a) · prompt]`, so a fused cosine is a · image cosine + (1 − a) · text cosine.',
];

function towersNote(model: EvaluationReport['model'], modes: readonly VectorKind[]): string {
  if (!model.towers.includes('text'))
    return modes.includes('text')
      ? ' (image only: text queries through label prototypes of the train crops, no fused queries)'
      : ' (image only: no text or fused queries)';
  return model.space === 'separate'
    ? ' (an encoder pair in separate spaces: image → fused and prompt → fused, which would compare across them, are not run)'
    : '';
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function num(value: number | null): string {
  return value === null ? '—' : value.toFixed(3);
}

/** Counts are fractional only where tied first results share a query. */
function count(value: number): string {
  return Math.abs(value - Math.round(value)) < 1e-9 ? String(Math.round(value)) : value.toFixed(1);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
