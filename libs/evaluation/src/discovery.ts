import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cropConfig, cutCrops, planImageCrops, type CropConfig, type CropRecord } from '@defect-rag/crops';
import {
  areaInside,
  readDataset,
  seededShuffle,
  splitDataset,
  type Box,
  type DatasetImage,
  type Polygon,
  type SplitFile,
} from '@defect-rag/dataset';
import type { Embedder } from '@defect-rag/embedding';
import { taxonomyClassifier } from '@defect-rag/ingestion';
import { DefectRagError, noProgress, type ProgressListener } from '@defect-rag/runtime';
import { datasetTaxonomyFile, loadTaxonomy, TaxonomyNormalizer } from '@defect-rag/taxonomy';
import { trivialFeatures } from './features';

/**
 * A window counts as showing a hidden defect when at least this share of the defect lies inside it
 * (a small defect wholly or half in view), or when the defect covers at least this share of the
 * window (a large one an analyst would see at once). A defect that only grazes the window is not
 * what the query asked to find.
 */
export const DISCOVERY_OVERLAP = { defectShare: 0.5, windowShare: 0.01 } as const;

/** A window of an unlabelled photo, with the types of the hidden defects it shows (the answer key). */
export interface DiscoveryWindow {
  id: string;
  photo: string;
  box: Box;
  types: readonly string[];
}

/** A labelled damage crop used as the example, asked to find windows of `type`. */
export interface DiscoveryQuery {
  id: string;
  type: string;
}

export interface DiscoveryAtK {
  k: number;
  /** Share of the top k windows that show a hidden defect of the query's type. */
  sameType: number;
  /** Share of the top k windows that show a hidden defect of any type. */
  anyType: number;
}

export interface DiscoveryRow {
  /** A damage type, or `all` (every query, each weighing the same). */
  type: string;
  queries: number;
  atK: DiscoveryAtK[];
}

/**
 * The defect types a window shows under `DISCOVERY_OVERLAP`, each once, in the defects' order.
 * `defects` are the photo's hidden defects, in photo pixels, with the damage types their labels name.
 */
export function hiddenDefectTypes(
  window: Box,
  defects: readonly { polygon: Polygon; area: number; types: readonly string[] }[],
): string[] {
  const windowArea = window.width * window.height;
  const types = new Set<string>();
  for (const defect of defects) {
    const inside = areaInside(defect.polygon, window);
    if (inside <= 0) continue;
    if (inside >= DISCOVERY_OVERLAP.defectShare * defect.area || inside >= DISCOVERY_OVERLAP.windowShare * windowArea)
      for (const type of defect.types) types.add(type);
  }
  return [...types];
}

/** A photo as an unlabelled dataset has it: no annotation, no defects, damage unknown. */
export function unlabelledView(image: DatasetImage): DatasetImage {
  return { ...image, damaged: false, labelled: false, annotation: null, defects: [] };
}

/**
 * Discovery precision@k: each query ranks the windows by cosine (vectors are unit length), keeps
 * the first `k` (with `onePerPhoto`, only each photo's best window), and counts those that show a
 * hidden defect of its type, and of any type. Rows per query type, then `all`.
 */
export function discoveryPrecision(
  queries: readonly DiscoveryQuery[],
  queryVectors: readonly Float32Array[],
  windows: readonly DiscoveryWindow[],
  windowVectors: readonly Float32Array[],
  { ks, onePerPhoto }: { ks: readonly number[]; onePerPhoto: boolean },
): DiscoveryRow[] {
  const maxK = Math.max(...ks);
  const perQuery = queries.map((query, q) => {
    const vector = queryVectors[q]!;
    const order = windows
      .map((_, w) => ({ w, score: dot(vector, windowVectors[w]!) }))
      .sort((a, b) => b.score - a.score || a.w - b.w);
    const kept: DiscoveryWindow[] = [];
    const photos = new Set<string>();
    for (const { w } of order) {
      const window = windows[w]!;
      if (onePerPhoto && photos.has(window.photo)) continue;
      photos.add(window.photo);
      kept.push(window);
      if (kept.length === maxK) break;
    }
    return ks.map((k) => {
      const top = kept.slice(0, k);
      return {
        k,
        sameType: top.filter((window) => window.types.includes(query.type)).length / k,
        anyType: top.filter((window) => window.types.length > 0).length / k,
      };
    });
  });
  return rowsByType(queries, perQuery, ks);
}

/**
 * What random windows give, in expectation: the share of windows that show a defect of the query's
 * type, and of any type (precision@k of a uniform draw is that share, for every k).
 */
export function randomDiscovery(
  queries: readonly DiscoveryQuery[],
  windows: readonly DiscoveryWindow[],
  ks: readonly number[],
): DiscoveryRow[] {
  const share = (predicate: (window: DiscoveryWindow) => boolean) =>
    windows.length === 0 ? 0 : windows.filter(predicate).length / windows.length;
  const anyType = share((window) => window.types.length > 0);
  const perQuery = queries.map((query) => {
    const sameType = share((window) => window.types.includes(query.type));
    return ks.map((k) => ({ k, sameType, anyType }));
  });
  return rowsByType(queries, perQuery, ks);
}

function rowsByType(queries: readonly DiscoveryQuery[], perQuery: DiscoveryAtK[][], ks: readonly number[]) {
  const mean = (indices: number[]): DiscoveryAtK[] =>
    ks.map((k, i) => ({
      k,
      sameType: average(indices.map((q) => perQuery[q]![i]!.sameType)),
      anyType: average(indices.map((q) => perQuery[q]![i]!.anyType)),
    }));
  const types = [...new Set(queries.map((query) => query.type))].sort();
  const rows = types.map((type) => {
    const indices = queries.flatMap((query, q) => (query.type === type ? [q] : []));
    return { type, queries: indices.length, atK: mean(indices) };
  });
  return [...rows, { type: 'all', queries: queries.length, atK: mean(queries.map((_, q) => q)) }];
}

function average(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

export interface DiscoveryOptions {
  datasetDir: string;
  /** The model that embeds the windows and the queries: the evaluated one. */
  embedder: Embedder;
  /** Cut windows and queries, and the model's vectors of them, are kept here and reused. */
  cacheDir: string;
  ks?: readonly number[];
  /** Train damage crops asked per damage type (seeded sample); fewer when a type has fewer. */
  queriesPerType?: number;
  /** Test photos are taken in a seeded order until their windows would pass this many. */
  maxWindows?: number;
  /** Orders the test photos and samples the queries. */
  seed?: number;
  /** The train/test split; by default the seeded one `evaluate` makes (seed `seed`). */
  split?: SplitFile;
  /** The dataset's taxonomy file; its own (`taxonomy.yaml`) or the default by default. */
  taxonomyFile?: string;
  /** The crop settings the dataset is indexed with (balancing aside: every window is kept). */
  crop?: Partial<CropConfig>;
  onProgress?: ProgressListener;
}

export interface DiscoveryReport {
  dataset: string;
  model: string;
  randomWeights: boolean;
  /** The split's seed. */
  seed: number;
  overlap: typeof DISCOVERY_OVERLAP;
  testPhotos: number;
  /** Test photos whose windows were indexed as unlabelled (all of them unless `maxWindows` cut). */
  photos: number;
  windows: number;
  windowsWithDefect: number;
  /** The most train damage crops asked per type. */
  queriesPerType: number;
  ks: number[];
  /** Per retriever (model, trivial features, random) and ranking (every window, one per photo). */
  results: { retriever: 'model' | 'trivial' | 'random'; onePerPhoto: boolean; rows: DiscoveryRow[] }[];
}

/**
 * The discovery measurement on a labelled dataset: the test split's damaged photos (the given split,
 * else the seeded one `evaluate` makes by default) are planned as an unlabelled dataset plans them (unmasked windows, no
 * annotation read: no test label reaches a window), the train split's damage crops are the
 * examples, and each is asked for the windows most like it. Scored against the hidden annotations
 * (`hiddenDefectTypes`), beside trivial features and random windows. Exact cosine over every
 * window: what an exact search of the index answers.
 */
export async function measureDiscovery(options: DiscoveryOptions): Promise<DiscoveryReport> {
  const { embedder, ks = [1, 5, 10], queriesPerType = 20, maxWindows = 1500, seed = 42 } = options;
  const onProgress = options.onProgress ?? noProgress;
  const root = path.resolve(options.datasetDir);
  const taxonomy = loadTaxonomy(datasetTaxonomyFile(root, options.taxonomyFile));
  const normalizer = new TaxonomyNormalizer(taxonomy);
  const dataset = await readDataset(root);
  const split = options.split ?? splitDataset(dataset, { seed, classifier: taxonomyClassifier(normalizer) });
  const splitOf = new Map(split.images.map((entry) => [entry.image, entry.split]));
  const config = cropConfig({ ...options.crop, balance: false });
  const context = { datasetName: dataset.name, config, normalizer };

  const testPhotos = dataset.images.filter((image) => image.damaged && splitOf.get(image.path) === 'test');
  const windows: { window: DiscoveryWindow; crop: CropRecord; image: DatasetImage }[] = [];
  let photos = 0;
  for (const image of seededShuffle(testPhotos, `discovery:${seed}`)) {
    const hidden = unlabelledView(image);
    const crops = planImageCrops(hidden, context).crops;
    if (windows.length + crops.length > maxWindows) break;
    photos++;
    const defects = image.defects.map((defect) => ({ ...defect, types: normalizer.damageTypes(defect.label) }));
    for (const crop of crops)
      windows.push({
        window: { id: crop.crop_id, photo: image.id, box: crop.box, types: hiddenDefectTypes(crop.box, defects) },
        crop,
        image: hidden,
      });
  }
  if (windows.length === 0)
    throw new DefectRagError('DATASET_INVALID', `no damaged test photo in ${root} fits ${maxWindows} windows`);

  const trainCrops = dataset.images
    .filter((image) => image.damaged && splitOf.get(image.path) === 'train')
    .flatMap((image) => planImageCrops(image, context).crops.map((crop) => ({ crop, image })));
  const types = [...new Set(trainCrops.flatMap(({ crop }) => crop.damage_types))].sort();
  const queries = types.flatMap((type) =>
    seededShuffle(
      trainCrops.filter(({ crop }) => crop.damage_types.includes(type)),
      `discovery:${seed}:${type}`,
    )
      .slice(0, queriesPerType)
      .map((item) => ({ ...item, query: { id: item.crop.crop_id, type } })),
  );

  const windowsDir = path.join(options.cacheDir, 'windows');
  const queriesDir = path.join(options.cacheDir, 'queries');
  await cutMissing(root, windowsDir, windows, config);
  await cutMissing(root, queriesDir, queries, config);
  const windowFiles = windows.map(({ crop }) => path.join(windowsDir, crop.file));
  const queryFiles = queries.map(({ crop }) => path.join(queriesDir, crop.file));

  const vectors = await cachedVectors(
    path.join(options.cacheDir, `vectors-${embedder.contentHash.slice(0, 16)}.json`),
    [
      ...windows.map(({ crop }) => ({ id: crop.crop_id, file: path.join(windowsDir, crop.file) })),
      ...queries.map(({ crop }) => ({ id: crop.crop_id, file: path.join(queriesDir, crop.file) })),
    ],
    (files) => embedder.embedImages(files),
    onProgress,
  );
  const trivial = await trivialFeatures(
    [...windowFiles, ...queryFiles].map((file, i) => ({
      cropFile: file,
      sourceFile: path.join(root, (i < windows.length ? windows[i]!.image : queries[i - windows.length]!.image).path),
    })),
  );

  const windowItems = windows.map(({ window }) => window);
  const queryItems = queries.map(({ query }) => query);
  const results: DiscoveryReport['results'] = [];
  for (const onePerPhoto of [false, true]) {
    const score = (queryVectors: Float32Array[], windowVectors: Float32Array[]) =>
      discoveryPrecision(queryItems, queryVectors, windowItems, windowVectors, { ks, onePerPhoto });
    results.push(
      {
        retriever: 'model',
        onePerPhoto,
        rows: score(
          queries.map(({ crop }) => vectors.get(crop.crop_id)!),
          windows.map(({ crop }) => vectors.get(crop.crop_id)!),
        ),
      },
      {
        retriever: 'trivial',
        onePerPhoto,
        rows: score(trivial.slice(windows.length), trivial.slice(0, windows.length)),
      },
    );
  }
  results.push({ retriever: 'random', onePerPhoto: false, rows: randomDiscovery(queryItems, windowItems, ks) });
  return {
    dataset: dataset.name,
    model: embedder.modelId,
    randomWeights: embedder.randomWeights,
    seed: split.seed,
    overlap: DISCOVERY_OVERLAP,
    testPhotos: testPhotos.length,
    photos,
    windows: windows.length,
    windowsWithDefect: windowItems.filter((window) => window.types.length > 0).length,
    queriesPerType,
    ks: [...ks],
    results,
  };
}

/** Cuts the crops whose files are not in `outDir` yet. */
async function cutMissing(
  root: string,
  outDir: string,
  items: readonly { crop: CropRecord; image: DatasetImage }[],
  config: ReturnType<typeof cropConfig>,
): Promise<void> {
  const missing = new Map<DatasetImage, CropRecord[]>();
  for (const { crop, image } of items) {
    if (existsSync(path.join(outDir, crop.file))) continue;
    missing.set(image, [...(missing.get(image) ?? []), crop]);
  }
  for (const [image, crops] of missing) {
    const { problems } = await cutCrops(image, crops, { root, outDir, config });
    if (problems.length > 0) throw new DefectRagError('IMAGE_DECODE_FAILED', problems[0]!.message);
  }
}

/** The vectors of `items` by id, read from `file` where it has them, the rest embedded and written back. */
async function cachedVectors(
  file: string,
  items: readonly { id: string; file: string }[],
  embed: (files: string[]) => Promise<Float32Array[]>,
  onProgress: ProgressListener,
): Promise<Map<string, Float32Array>> {
  const cached: Record<string, number[]> = existsSync(file) ? JSON.parse(await readFile(file, 'utf8')) : {};
  const missing = items.filter((item) => !cached[item.id]);
  const CHUNK = 64;
  for (let start = 0; start < missing.length; start += CHUNK) {
    const chunk = missing.slice(start, start + CHUNK);
    const vectors = await embed(chunk.map((item) => item.file));
    chunk.forEach((item, i) => (cached[item.id] = Array.from(vectors[i]!)));
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(cached));
    onProgress({ stage: 'embedding', done: Math.min(start + CHUNK, missing.length), total: missing.length });
  }
  return new Map(items.map((item) => [item.id, Float32Array.from(cached[item.id]!)]));
}

/** How a result ranks the windows, in words. */
export function discoveryRanking({ retriever, onePerPhoto }: DiscoveryReport['results'][number]): string {
  return retriever === 'random' ? 'expected' : onePerPhoto ? 'one per photo' : 'windows';
}

/** The report as Markdown: per retriever and ranking, precision@k of the query's type and of any type. */
export function formatDiscoveryMarkdown(report: DiscoveryReport): string {
  const lines = [
    `Discovery on ${report.dataset}: ${report.windows} unmasked windows of ${report.photos} of the ${report.testPhotos} damaged test photos (split seed ${report.seed}), ${report.windowsWithDefect} of them showing a hidden defect; model ${report.model}${report.randomWeights ? ' (random test weights: these figures mean nothing)' : ''}.`,
    '',
    `| retriever | ranking | query type | queries | ${report.ks.map((k) => `P@${k} same type | P@${k} any type`).join(' | ')} |`,
    `|---|---|---|---|${report.ks.map(() => '---|---').join('|')}|`,
  ];
  for (const result of report.results) {
    for (const row of result.rows) {
      const cells = row.atK.map(({ sameType, anyType }) => `${sameType.toFixed(3)} | ${anyType.toFixed(3)}`);
      lines.push(
        `| ${result.retriever} | ${discoveryRanking(result)} | ${row.type} | ${row.queries} | ${cells.join(' | ')} |`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
