import { describe, expect, it } from 'vitest';
import { precisionPlotSvg } from '../src/plot';
import type { SameSourceControl } from '../src/control';
import type { ConfigurationResult, SearchMetrics } from '../src/protocol';
import { formatReportMarkdown, RANDOM_MODEL_WARNING, rankConfigurations, type EvaluationReport } from '../src/report';
import { DISCOVERY_OVERLAP, type DiscoveryReport } from '../src/discovery';
import type { CropLabels } from '../src/relevance';
import { aggregate, RelevantCounts, scoreQuery, typeConfusion } from '../src/scoring';

const ks = [1, 2];
const dent = (id: string): CropLabels => ({ cropId: id, hasDamage: true, zone: 'front', damageTypes: ['dent'] });
const clean = (id: string): CropLabels => ({ cropId: id, hasDamage: false, zone: 'front', damageTypes: [] });
const counts = new RelevantCounts([dent('t1'), clean('t2')]);

/** A search whose one damaged query finds the dent first (`good`) or second. */
function search(good: boolean, critical: ReadonlySet<string>): SearchMetrics {
  const hits = good
    ? [
        { score: 0.9, crop: dent('t1') },
        { score: 0.5, crop: clean('t2') },
      ]
    : [
        { score: 0.9, crop: clean('t2') },
        { score: 0.5, crop: dent('t1') },
      ];
  const scores = [scoreQuery(dent('q'), hits, ks, counts, critical)];
  const overall = aggregate(scores, ks);
  return { overall, byZone: { front: overall }, byType: { dent: overall }, typeConfusion: typeConfusion(scores) };
}

function configuration(
  label: string,
  vectors: string,
  good: boolean,
  withHnsw: boolean,
  critical: ReadonlySet<string>,
): ConfigurationResult {
  return {
    role: 'model',
    mode: label === 'image' ? 'image' : 'fused',
    alpha: label === 'image' ? null : 1,
    label,
    vectors,
    exact: search(good, critical),
    hnsw: withHnsw ? search(good, critical) : null,
    annRecall: withHnsw ? { 1: 1, 2: 1 } : null,
    hubness: 0.25,
  };
}

const control: SameSourceControl = {
  photos: 2,
  damagedCrops: 2,
  cleanWindows: 2,
  marginPx: 32,
  windowsDir: '/out/same-source-control',
  retrievers: [
    {
      label: 'org/model image vectors',
      role: 'model',
      damage: { queries: 4, precision: 0.75 },
      zone: {
        overall: { queries: 4, precision: 0.5 },
        withinDamaged: { queries: 2, precision: 1 },
        withinClean: { queries: 2, precision: 0 },
      },
    },
  ],
  bySource: [
    {
      source: 'lns',
      photos: 2,
      damagedCrops: 2,
      cleanWindows: 2,
      retrievers: [
        {
          label: 'org/model image vectors',
          role: 'model',
          damage: { queries: 4, precision: 0.25 },
          zone: {
            overall: { queries: 0, precision: null },
            withinDamaged: { queries: 0, precision: null },
            withinClean: { queries: 0, precision: null },
          },
        },
      ],
    },
  ],
  testSplit: {
    photos: 1,
    queries: 2,
    retrievers: [
      {
        label: 'org/model image vectors',
        role: 'model',
        damage: { queries: 2, precision: 0.5 },
        zone: {
          overall: { queries: 0, precision: null },
          withinDamaged: { queries: 0, precision: null },
          withinClean: { queries: 0, precision: null },
        },
      },
    ],
  },
};

/** `critical`: the dent counts as critical, so the composite is defined. */
function report(randomWeights: boolean, critical = true, cleanCrops = 1): EvaluationReport {
  const types = new Set(critical ? ['dent'] : []);
  const configurations = [
    configuration('image', 'stored image vectors', false, true, types),
    configuration('fused α=1', 'stored image vectors', false, true, types),
    configuration('fused α=0.3', 're-fused', true, false, types),
    {
      ...configuration('baseline: random vectors', 'random', true, false, types),
      role: 'baseline' as const,
      mode: null,
      alpha: null,
    },
  ];
  return {
    runId: 'run-1',
    createdAt: '2025-01-01T00:00:00.000Z',
    dataset: { id: 'd', name: 'cars', root: '/data/cars' },
    model: { id: 'org/model', randomWeights, towers: ['image', 'text'], space: 'shared', adapter: null },
    collection: 'crops_org-model_8',
    split: { file: '/data/split.json', trainCrops: 2, testCrops: 1, cleanCrops },
    ingestion: { runId: 'run-0', embedded: 0, unchanged: 3, problems: 0 },
    indexAlpha: 0.5,
    k: ks,
    rankingK: 2,
    modes: ['image', 'fused'],
    alphas: [0.3, 1],
    prompts: ['a photo of dent on the front of a car'],
    ranking: rankConfigurations(configurations, 2),
    configurations,
    agreement: control.retrievers,
    control,
    sourcePattern: '^([^_]+)_',
    sources: [
      {
        source: 'ilj',
        photos: 1,
        trainCrops: 0,
        testCrops: 1,
        configurations: [],
      },
      {
        source: 'lns',
        photos: 3,
        trainCrops: 2,
        testCrops: 1,
        configurations: [
          { label: 'image', role: 'model', metrics: search(true, types) },
          { label: 'baseline: trivial features', role: 'baseline', metrics: search(false, types) },
        ],
      },
    ],
    levels: {
      view: 'tiles',
      testPhotos: 1,
      trainPhotos: 2,
      configurations: [
        { label: 'photo → photos', query: 'photo', index: 'photos', role: 'model', metrics: search(true, types) },
        {
          label: 'photo crops → photos (best crop)',
          query: 'photo crops',
          index: 'photos',
          role: 'model',
          metrics: search(false, types),
        },
        { label: 'crop → photos', query: 'crop', index: 'photos', role: 'model', metrics: search(false, types) },
      ],
    },
    discovery: null,
    findings: ['A finding.'],
  };
}

describe('evaluation report', () => {
  it('ranks the model configurations by composite at the ranking k, best first, keeping the given order among equals', () => {
    // The bad searches: AP@2 = 0.5 (the dent second), critical recall@2 = 1 → 0.7 · 0.5 + 0.3 · 1.
    expect(report(false).ranking.map((row) => [row.rank, row.label, row.composite])).toEqual([
      [1, 'fused α=0.3', 1],
      [2, 'image', 0.7 * 0.5 + 0.3 * 1],
      [3, 'fused α=1', 0.7 * 0.5 + 0.3 * 1],
    ]);
  });

  it('warns at the top only for a random-weight model, and names the model either way', () => {
    const random = formatReportMarkdown(report(true), 'plot.svg');
    expect(random.split('\n').slice(0, 3).join('\n').toLowerCase()).toContain(RANDOM_MODEL_WARNING);
    const real = formatReportMarkdown(report(false), 'plot.svg');
    expect(real.toLowerCase()).not.toContain(RANDOM_MODEL_WARNING);
    expect(real).toContain('`org/model`');
    expect(real).toContain('![precision@k per mode, exact search](plot.svg)');
  });

  it('says what an adapter was trained on, and warns when it is not this evaluation’s split', () => {
    const adapted = (sameSplit: boolean) => {
      const base = report(false);
      const adapter = { baseModel: 'org/base', dataset: 'cars', seed: 42, splitSha256: 'sha256:abc', sameSplit };
      return formatReportMarkdown({ ...base, model: { ...base.model, adapter } }, 'plot.svg');
    };
    expect(adapted(true)).toContain('no test photo was trained on');
    expect(adapted(true)).not.toContain('trained on another split');
    expect(adapted(false)).toContain('was trained on another split or dataset');
    expect(formatReportMarkdown(report(false), 'plot.svg')).not.toContain('| adapter |');
    expect(adapted(true)).toContain('Test split only: the 2 items of the 1 test photos');
  });

  it('compares crop-level and photo-level retrieval per photo, across levels, and per class and zone', () => {
    const markdown = formatReportMarkdown(report(false), 'plot.svg');
    const section = markdown.slice(markdown.indexOf('## Crops or whole photos?'));
    expect(section).toContain('Each of the 1 test photos that have crops asks for the 2 train photos');
    expect(section).toContain('view `tiles`');
    // The good search finds the dent first (P@1 has_damage 1), the bad one second.
    expect(section).toContain('| photo → photos | 1 | 1.000 | 1.000 | 1.000 |');
    // Its first result is clean but on the same zone.
    expect(section).toContain('| photo crops → photos (best crop) | 1 | 0.000 | 0.000 | 1.000 |');
    expect(section).toMatch(/Across levels[^\n]*\n\n\| configuration [^\n]*\n[^\n]*\n\| crop → photos \| 1 \| 0\.000/);
    expect(section).toContain('### photo → photos: per class and zone of the test photo');
    expect(section).toContain('### photo crops → photos (best crop): per class and zone of the test photo');
    expect(section).not.toContain('### crop → photos');
  });

  it('prints one table per distinct set of vectors, the baselines and the control, and says when the composite is not available', () => {
    const markdown = formatReportMarkdown(report(false, false), 'plot.svg');
    expect(markdown).toContain('| metric | exact @1 | exact @2 | HNSW @1 | HNSW @2 |');
    expect(markdown).toContain('Compares the same vectors as **image**');
    expect(markdown).toContain('| metric | exact @1 | exact @2 |\n');
    expect(markdown).toContain('the composite is not available (—)');
    expect(markdown).toContain('| baseline: random vectors | baseline | 1.000 |');
    expect(markdown).toContain('| org/model image vectors | 0.750 (4) | 0.500 (4) | 1.000 (2) | 0.000 (2) |');
    expect(markdown).toContain('- A finding.');
    // The HNSW column of the re-fused weight is empty.
    expect(markdown).toContain('| fused α=0.3 | re-fused | — | — | — | — | — |');
  });

  it('shows every configuration and the control within each source, and the type confusion of the best configuration', () => {
    const markdown = formatReportMarkdown(report(false), 'plot.svg');
    const perSource = markdown.slice(markdown.indexOf('## Per source'), markdown.indexOf('## Type confusions'));
    expect(perSource).toContain('Sources named by `^([^_]+)_`');
    expect(perSource).toContain('| ilj | 1 | 0 / 1 | (not evaluated: no train or no test crop) |');
    // Within lns, the image search finds the dent first; the trivial one second.
    expect(perSource).toContain('| lns | 3 | 2 / 1 | image | 1.000 | 0.500 | 1.000 | 1.000 | 1.000 | 1.000 |');
    expect(perSource).toContain(
      '| lns | 3 | 2 / 1 | baseline: trivial features | 0.000 | 0.500 | 0.500 | 1.000 | 1.000 | 0.650 |',
    );
    expect(perSource).toContain('| lns | 2 / 2 | org/model image vectors | 0.250 (4) |');
    const confusions = markdown.slice(markdown.indexOf('## Type confusions'));
    expect(confusions).toContain('### fused α=0.3');
    expect(confusions).toContain(
      '| query type | queries | P@1 type | P@2 type |\n| --- | --- | --- | --- |\n| dent | 1 | 1.000 | 0.500 |',
    );
    expect(confusions).toContain('| query type → first result | dent |\n| --- | --- |\n| dent | 1 |');
  });

  it('says so instead of a damaged-vs-clean table when the dataset has no clean crop', () => {
    const markdown = formatReportMarkdown(report(false, true, 0), 'plot.svg');
    expect(markdown).toContain('Not measured against the index: the dataset has no clean photo');
    expect(markdown).not.toContain('| configuration | damaged → damaged |');
    expect(formatReportMarkdown(report(false), 'plot.svg')).toContain('| configuration | damaged → damaged |');
  });

  it('adds the discovery section only when the evaluation measured it', () => {
    expect(formatReportMarkdown(report(false), 'plot.svg')).not.toContain('## Discovery');
    const atK = (sameType: number, anyType: number) => [{ k: 1, sameType, anyType }];
    const discovery: DiscoveryReport = {
      dataset: 'cars',
      model: 'org/model',
      randomWeights: false,
      seed: 42,
      overlap: DISCOVERY_OVERLAP,
      testPhotos: 3,
      photos: 3,
      windows: 20,
      windowsWithDefect: 5,
      queriesPerType: 20,
      ks: [1],
      results: [
        { retriever: 'model', onePerPhoto: false, rows: [{ type: 'all', queries: 4, atK: atK(0.5, 0.75) }] },
        { retriever: 'random', onePerPhoto: false, rows: [{ type: 'all', queries: 4, atK: atK(0.1, 0.25) }] },
      ],
    };
    const markdown = formatReportMarkdown({ ...report(false), discovery }, 'plot.svg');
    const section = markdown.slice(markdown.indexOf('## Discovery in unlabelled photos'));
    expect(section).toContain('20 unmasked windows of 3 of the 3 damaged test photos');
    expect(section).toContain('up to 20 train damage crops per damage type');
    expect(section).toContain('| model | windows | all | 4 | 0.500 | 0.750 |');
    expect(section).toContain('| random | expected | all | 4 | 0.100 | 0.250 |');
    expect(section.indexOf('## How the numbers are computed')).toBeGreaterThan(0);
  });

  it('plots one line per configuration and panel, skipping undefined precision', () => {
    const configurations = report(false).configurations;
    const svg = precisionPlotSvg(configurations, ks);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    // has_damage and damage type are defined for the one damaged query; zone too (front).
    expect(svg.match(/<polyline /g)).toHaveLength(3 * configurations.length);
    expect(svg).toContain('fused α=0.3');
    const withoutType = configurations.map((configuration) => {
      const overall = aggregate([], ks);
      return { ...configuration, exact: { ...configuration.exact, overall } };
    });
    expect(precisionPlotSvg(withoutType, ks)).not.toContain('<polyline ');
  });
});
