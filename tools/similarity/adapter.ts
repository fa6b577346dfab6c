// npx tsx tools/similarity/adapter.ts --typed DIR --sample DIR [--head mixed5_rmac] [--options JSON]
// Base vs adapted figures from the caches embed.ts wrote: the adapter (trainProjection of
// @defect-rag/embedding, the training `defect-rag adapt` runs) is fitted on each cache's train-split
// items only (train crops, control windows of train photos), then both datasets are measured with it
// (a cross-dataset row shows what carries over). Test-split figures only: type P@1 / mAP@10 of test
// crops against train crops (overall and within each source, trivial features beside), control P@1
// of the test photos' items against every other photo's items, zone P@1 within clean crops of test
// photos; binomial standard errors for the number of queries.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { seededShuffle } from '@defect-rag/dataset';
import { trainProjection, type AdapterTrainingOptions } from '@defect-rag/embedding';
import {
  adapterLabels,
  agreementAtOne,
  CONTROL_SEED,
  memoryRetriever,
  RelevantCounts,
  scoreQuery,
  sourceNamer,
  trivialFeatures,
  type AgreementItem,
  type EvaluationCrop,
} from '@defect-rag/evaluation';
import type { CropPayload } from '@defect-rag/vector-store';
import type { CachedItem } from './cache';

const { values } = parseArgs({
  options: {
    typed: { type: 'string' },
    sample: { type: 'string' },
    head: { type: 'string', default: 'mixed5_rmac' },
    options: { type: 'string', default: '{}' },
  },
});
if (!values.typed || !values.sample) throw new Error('usage: adapter.ts --typed DIR --sample DIR [--options JSON]');
const trainingOptions = { seed: 42, ...(JSON.parse(values.options!) as Partial<AdapterTrainingOptions>) };
const sourceOf = sourceNamer();
const NONE = new Float32Array(1);

interface Cache {
  name: string;
  items: (CachedItem & { photoSplit: 'train' | 'test' | null; image: string })[];
  vectors: Float32Array[];
  trivial: Float32Array[];
}

async function readCache(dir: string): Promise<Cache> {
  const items = JSON.parse(readFileSync(path.join(dir, 'items.json'), 'utf8')) as CachedItem[];
  const split = JSON.parse(readFileSync(path.join(dir, 'split.json'), 'utf8')) as {
    images: { image: string; image_id: string; split: 'train' | 'test' }[];
  };
  const byId = new Map(split.images.map((entry) => [entry.image_id, entry]));
  const buffer = readFileSync(path.join(dir, 'vectors', `${values.head}.f32`));
  const all = new Float32Array(buffer.buffer, buffer.byteOffset, buffer.byteLength / 4);
  const dim = all.length / items.length;
  const root = (
    JSON.parse(readFileSync(path.join(dir, 'metadata_crops_phase1.json'), 'utf8')) as { dataset: { root: string } }
  ).dataset.root;
  const withSplit = items.map((item) => ({
    ...item,
    photoSplit: byId.get(item.photo)?.split ?? null,
    image: byId.get(item.photo)!.image,
  }));
  const trivial = await trivialFeatures(
    withSplit.map((item) => ({ cropFile: item.file, sourceFile: path.join(root, item.image) })),
  );
  return {
    name: path.basename(dir),
    items: withSplit,
    vectors: items.map((_, i) => unit(all.slice(i * dim, (i + 1) * dim))),
    trivial,
  };
}

function unit(vector: Float32Array): Float32Array {
  const norm = Math.hypot(...vector) || 1;
  return vector.map((value) => value / norm);
}

function project(matrix: Float32Array, inputDim: number, outputDim: number, vector: Float32Array): Float32Array {
  const out = new Float32Array(outputDim);
  for (let r = 0; r < outputDim; r++) {
    let sum = 0;
    for (let c = 0; c < inputDim; c++) sum += matrix[r * inputDim + c]! * vector[c]!;
    out[r] = sum;
  }
  return unit(out);
}

interface Figure {
  value: number | null;
  queries: number;
}
const mean = (list: number[]): Figure => ({
  value: list.length > 0 ? list.reduce((sum, value) => sum + value, 0) / list.length : null,
  queries: list.length,
});

async function typeFigures(cache: Cache, vectors: Float32Array[], source?: string) {
  const crops = cache.items
    .map((item, i) => ({ item, vector: vectors[i]! }))
    .filter(({ item }) => item.kind === 'crop' && (source === undefined || sourceOf(item.image) === source));
  const asCrop = ({ item, vector }: { item: CachedItem; vector: Float32Array }): EvaluationCrop => ({
    labels: { cropId: item.id, hasDamage: item.damaged, zone: item.zone, damageTypes: item.types },
    payload: {} as CropPayload,
    vectors: { image: vector },
  });
  const train = crops.filter(({ item }) => item.split === 'train').map(asCrop);
  const test = crops.filter(({ item }) => item.split === 'test').map(asCrop);
  const retrieve = memoryRetriever(train, {
    indexVector: (crop) => crop.vectors.image,
    queryVector: (crop) => crop.vectors.image,
    limit: 10,
  });
  const counts = new RelevantCounts(train.map((crop) => crop.labels));
  const p1: number[] = [];
  const ap: number[] = [];
  for (const query of test) {
    const type = scoreQuery(query.labels, await retrieve(query), [1, 10], counts, new Set()).criteria.type;
    if (!type) continue;
    p1.push(type.precision[0]!);
    if (type.averagePrecision[1] !== null) ap.push(type.averagePrecision[1]!);
  }
  return { p1: mean(p1), map10: mean(ap) };
}

/** The control's items (windows + as many damage crops, as the evaluation samples them) and zone items. */
function agreementFigures(cache: Cache, vectors: Float32Array[]) {
  const item = (i: number): AgreementItem => ({
    photo: cache.items[i]!.photo,
    source: sourceOf(cache.items[i]!.image),
    damaged: cache.items[i]!.damaged,
    zone: cache.items[i]!.zone,
    vectors: { model: vectors[i]!, random: NONE, trivial: NONE },
  });
  const indices = cache.items.map((_, i) => i);
  const windows = indices.filter((i) => cache.items[i]!.kind === 'window');
  const damaged = indices
    .filter((i) => cache.items[i]!.kind === 'crop' && cache.items[i]!.damaged)
    .sort((a, b) => (cache.items[a]!.id < cache.items[b]!.id ? -1 : 1));
  const control = [...seededShuffle(damaged, CONTROL_SEED).slice(0, windows.length), ...windows].map(item);
  const test = control.filter((entry) => cache.items.find((it) => it.photo === entry.photo)!.photoSplit === 'test');
  const [controlTest] = agreementAtOne(test, control, 'model');
  const crops = indices.filter((i) => cache.items[i]!.kind === 'crop').map(item);
  const testCrops = crops.filter((entry) => cache.items.find((it) => it.photo === entry.photo)!.photoSplit === 'test');
  const [zone] = agreementAtOne(testCrops, crops, 'model');
  return {
    control: { value: controlTest!.damage.precision, queries: controlTest!.damage.queries },
    zoneClean: { value: zone!.zone.withinClean.precision, queries: zone!.zone.withinClean.queries },
  };
}

const f = (figure: Figure) =>
  figure.value === null
    ? '–'
    : `${figure.value.toFixed(3)} (${figure.queries}, SE ${Math.sqrt((figure.value * (1 - figure.value)) / figure.queries).toFixed(3)})`;

const caches = [await readCache(values.typed), await readCache(values.sample)];
const adapters = new Map<string, (vector: Float32Array) => Float32Array>();
for (const cache of caches) {
  const trainItems = cache.items
    .map((item, i) => ({ item, vector: cache.vectors[i]! }))
    .filter(({ item }) => item.photoSplit === 'train');
  const started = performance.now();
  const trained = await trainProjection(
    trainItems.map(({ item, vector }) => ({ vector, labels: adapterLabels(item) })),
    trainingOptions,
  );
  console.log(
    `adapter of ${cache.name}: ${trainItems.length} train items, ${JSON.stringify(trained.figures)}, ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  adapters.set(cache.name, (vector) => project(trained.matrix, trained.inputDim, trained.outputDim, vector));
}

console.log(
  '\n| vectors | evaluated on | control P@1, test photos | type P@1 | type mAP@10 | type P@1 within lns | within ilj | zone P@1 within clean, test photos |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const cache of caches) {
  const rows: [string, Float32Array[]][] = [
    [`base ${values.head}`, cache.vectors],
    ...caches.map((trained): [string, Float32Array[]] => [
      `adapted on ${trained.name} train split`,
      cache.vectors.map(adapters.get(trained.name)!),
    ]),
    ['trivial features', cache.trivial],
  ];
  for (const [label, vectors] of rows) {
    const type = await typeFigures(cache, vectors);
    const lns = await typeFigures(cache, vectors, 'lns');
    const ilj = await typeFigures(cache, vectors, 'ilj');
    const agreement = agreementFigures(cache, vectors);
    console.log(
      `| ${label} | ${cache.name} | ${f(agreement.control)} | ${f(type.p1)} | ${f(type.map10)} | ${f(lns.p1)} | ${f(ilj.p1)} | ${f(agreement.zoneClean)} |`,
    );
  }
}
