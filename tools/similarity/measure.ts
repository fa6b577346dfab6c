// npx tsx tools/similarity/measure.ts --typed DIR --sample DIR [--variants a,b,...] [--qe K,ALPHA] [--json FILE]
// The rule figures of docs/similarity.md for each variant, from the caches embed.ts wrote (one per
// dataset), with the evaluation library's own measures: agreementAtOne for the same-source control
// and the zone agreement, scoreQuery (metrics.ts) for type P@1 and mAP@10, hubness for hubs.
// --qe K,ALPHA measures each variant again with alpha query expansion (αQE): every query becomes
// unit(q + Σ sᵢ^α xᵢ) over its K nearest indexed crops (train split, other photos).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { applyWhitening, fitWhitening } from '@defect-rag/embedding';
import {
  agreementAtOne,
  CONTROL_SEED,
  hubness,
  sourceNamer,
  memoryRetriever,
  RelevantCounts,
  scoreQuery,
  type AgreementItem,
  type EvaluationCrop,
} from '@defect-rag/evaluation';
import { seededShuffle } from '@defect-rag/dataset';
import type { CropPayload } from '@defect-rag/vector-store';
import type { CachedItem } from './cache';
import { DEFECT_VARIANTS } from './defect-pooling';
import { MEASURED_VARIANTS, type Variant } from './variants';

const { values } = parseArgs({
  options: {
    typed: { type: 'string' },
    sample: { type: 'string' },
    variants: { type: 'string' },
    qe: { type: 'string' },
    json: { type: 'string' },
  },
});

const NO_BASELINE = new Float32Array(1);
/** The evaluation's default photo source (the stem up to the first `_`). */
const sourceOf = sourceNamer();

interface Cache {
  name: string;
  items: CachedItem[];
  heads: Map<string, Float32Array[]>;
}

function readCache(dir: string): Cache {
  const items = JSON.parse(readFileSync(path.join(dir, 'items.json'), 'utf8')) as CachedItem[];
  return { name: path.basename(dir), items, heads: new Map() };
}

function headRows(cache: Cache, dir: string, head: string): Float32Array[] {
  let rows = cache.heads.get(head);
  if (!rows) {
    const buffer = readFileSync(path.join(dir, 'vectors', `${head}.f32`));
    const all = new Float32Array(buffer.buffer, buffer.byteOffset, buffer.byteLength / 4);
    const dim = all.length / cache.items.length;
    rows = cache.items.map((_, i) => all.slice(i * dim, (i + 1) * dim));
    cache.heads.set(head, rows);
  }
  return rows;
}

function unit(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const value of vector) norm += value * value;
  const scale = 1 / Math.max(Math.sqrt(norm), 1e-12);
  return vector.map((value) => value * scale);
}

/** The variant's vector of every item: heads concatenated (each already unit length), normalised, then whitened if asked. */
function variantVectors(cache: Cache, dir: string, variant: Variant): Float32Array[] {
  const parts = variant.heads.map((head) => headRows(cache, dir, head));
  const joined = cache.items.map((_, i) => {
    const pieces = parts.map((rows) => rows[i]!);
    const out = new Float32Array(pieces.reduce((sum, piece) => sum + piece.length, 0));
    let at = 0;
    for (const piece of pieces) {
      out.set(piece, at);
      at += piece.length;
    }
    return unit(out);
  });
  if (!variant.whiten) return joined;
  // Fitted on the indexed side only (the train split's crops), applied to every item alike.
  const fitted = fitWhitening(
    joined.filter((_, i) => cache.items[i]!.kind === 'crop' && cache.items[i]!.split === 'train'),
    variant.whiten,
  );
  return joined.map((vector) => applyWhitening(fitted, vector));
}

/** The queries' vectors where the variant names other heads for them; undefined: the indexed ones. */
function queryVectors(cache: Cache, dir: string, variant: Variant): Float32Array[] | undefined {
  if (!variant.queryHeads) return undefined;
  if (variant.whiten) throw new Error(`${variant.name}: whitening with query heads is not measured`);
  return variantVectors(cache, dir, { name: variant.name, heads: variant.queryHeads });
}

/**
 * αQE (Radenović et al.): each query moves towards its `k` nearest indexed crops (train split,
 * other photos than its own), weighted by similarity^α; a second search then uses it.
 */
function expandQueries(
  cache: Cache,
  vectors: Float32Array[],
  queries: Float32Array[],
  k: number,
  alpha: number,
): Float32Array[] {
  const indexed = cache.items.flatMap((item, i) =>
    item.kind === 'crop' && item.split === 'train' ? [{ photo: item.photo, vector: vectors[i]! }] : [],
  );
  return queries.map((query, i) => {
    const photo = cache.items[i]!.photo;
    const scored = indexed
      .filter((candidate) => candidate.photo !== photo)
      .map((candidate) => {
        let dot = 0;
        for (let d = 0; d < query.length; d++) dot += query[d]! * candidate.vector[d]!;
        return { dot, vector: candidate.vector };
      })
      .sort((a, b) => b.dot - a.dot)
      .slice(0, k);
    const out = Float32Array.from(query);
    for (const { dot, vector } of scored) {
      const weight = Math.max(dot, 0) ** alpha;
      for (let d = 0; d < out.length; d++) out[d]! += weight * vector[d]!;
    }
    return unit(out);
  });
}

interface Figure {
  value: number | null;
  queries: number;
}

interface DatasetFigures {
  control: Figure;
  typeP1: Figure;
  typeMap10: Figure;
  zoneWithinClean: Figure;
  hubness: number | null;
  dimensions: number;
}

/** `queries`: the vectors an item has when it is the query (its indexed vector unless a variant says otherwise). */
async function measure(cache: Cache, vectors: Float32Array[], queries = vectors): Promise<DatasetFigures> {
  const crops = cache.items
    .map((item, i) => ({ item, vector: vectors[i]!, query: queries[i]! }))
    .filter(({ item }) => item.kind === 'crop');
  const asCrop = ({ item, vector }: { item: CachedItem; vector: Float32Array }): EvaluationCrop => ({
    labels: { cropId: item.id, hasDamage: item.damaged, zone: item.zone, damageTypes: item.types },
    payload: {} as CropPayload,
    vectors: { image: vector },
  });
  const train = crops.filter(({ item }) => item.split === 'train').map(asCrop);
  const test = crops
    .filter(({ item }) => item.split === 'test')
    .map(({ item, query }) => asCrop({ item, vector: query }));
  const retrieve = memoryRetriever(train, {
    indexVector: (crop) => crop.vectors.image,
    queryVector: (crop) => crop.vectors.image,
    limit: 10,
  });
  const counts = new RelevantCounts(train.map((crop) => crop.labels));
  const typeP1: number[] = [];
  const typeMap: number[] = [];
  const lists: string[][] = [];
  for (const query of test) {
    const retrieved = await retrieve(query);
    lists.push(retrieved.map((hit) => hit.crop.cropId));
    const scores = scoreQuery(query.labels, retrieved, [1, 10], counts, new Set());
    const type = scores.criteria.type;
    if (!type) continue;
    typeP1.push(type.precision[0]!);
    if (type.averagePrecision[1] !== null) typeMap.push(type.averagePrecision[1]!);
  }
  const mean = (list: number[]): Figure => ({
    value: list.length > 0 ? list.reduce((sum, value) => sum + value, 0) / list.length : null,
    queries: list.length,
  });

  // The same-source control: the windows against as many damage crops of the damaged photos, chosen as the evaluation does.
  const agreementItem = ({ item, vector }: { item: CachedItem; vector: Float32Array }): AgreementItem => ({
    photo: item.photo,
    source: sourceOf(item.photo),
    damaged: item.damaged,
    zone: item.zone,
    // Only the model's figures are read: one-value baselines keep agreementAtOne's other two retrievers cheap.
    vectors: { model: vector, random: NO_BASELINE, trivial: NO_BASELINE },
  });
  const windows = cache.items
    .map((item, i) => ({ item, vector: vectors[i]!, query: queries[i]! }))
    .filter(({ item }) => item.kind === 'window');
  const damagedPhotos = new Set(crops.filter(({ item }) => item.damaged).map(({ item }) => item.photo));
  const allDamaged = crops
    .filter(({ item }) => item.damaged && damagedPhotos.has(item.photo))
    .sort((a, b) => (a.item.id < b.item.id ? -1 : a.item.id > b.item.id ? 1 : 0));
  const controlPicked = [...seededShuffle(allDamaged, CONTROL_SEED).slice(0, windows.length), ...windows];
  const asQuery = ({ item, query }: { item: CachedItem; query: Float32Array }) =>
    agreementItem({ item, vector: query });
  const [control] = agreementAtOne(controlPicked.map(asQuery), controlPicked.map(agreementItem), 'model');
  const [agreement] = agreementAtOne(crops.map(asQuery), crops.map(agreementItem), 'model');
  return {
    control: { value: control!.damage.precision, queries: control!.damage.queries },
    typeP1: mean(typeP1),
    typeMap10: mean(typeMap),
    zoneWithinClean: {
      value: agreement!.zone.withinClean.precision,
      queries: agreement!.zone.withinClean.queries,
    },
    hubness: hubness(lists, train.length),
    dimensions: vectors[0]!.length,
  };
}

const dirs = { typed: values.typed, sample: values.sample };
if (!dirs.typed || !dirs.sample)
  throw new Error('usage: measure.ts --typed DIR --sample DIR [--variants a,b] [--json FILE]');
const typed = readCache(dirs.typed);
const sample = readCache(dirs.sample);
const asked = values.variants?.split(',');
// The defect-pooled variants need the heads embed-defect.ts writes: measured only when asked for.
const variants = asked
  ? [...MEASURED_VARIANTS, ...DEFECT_VARIANTS].filter((variant) => asked.includes(variant.name))
  : MEASURED_VARIANTS;

const rows: { variant: string; typed: DatasetFigures; sample: DatasetFigures; score: number | null }[] = [];
const f = (value: number | null | undefined) => (value === null || value === undefined ? '–' : value.toFixed(3));
console.log(
  '| variant | dim | typed control P@1 | typed type mAP@10 | sample control P@1 | sample zone P@1 within clean | **score** | typed type P@1 | hubness typed | hubness sample |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|');
const [qeK, qeAlpha] = (values.qe ?? '').split(',').map(Number);
const runs = variants.flatMap((variant) => [
  { variant, name: variant.name, qe: false },
  ...(values.qe ? [{ variant, name: `${variant.name} +αQE k${qeK} α${qeAlpha}`, qe: true }] : []),
]);
const figuresOf = (cache: Cache, dir: string, variant: Variant, qe: boolean) => {
  const vectors = variantVectors(cache, dir, variant);
  const queries = queryVectors(cache, dir, variant) ?? vectors;
  return measure(cache, vectors, qe ? expandQueries(cache, vectors, queries, qeK!, qeAlpha!) : queries);
};
for (const { variant, name, qe } of runs) {
  const t = await figuresOf(typed, dirs.typed, variant, qe);
  const s = await figuresOf(sample, dirs.sample, variant, qe);
  const four = [t.control.value, t.typeMap10.value, s.control.value, s.zoneWithinClean.value];
  const score = four.every((value) => value !== null) ? four.reduce((sum, v) => sum! + v!, 0)! / 4 : null;
  rows.push({ variant: name, typed: t, sample: s, score });
  console.log(
    `| ${name} | ${t.dimensions} | ${f(t.control.value)} | ${f(t.typeMap10.value)} | ${f(s.control.value)} | ${f(s.zoneWithinClean.value)} | **${f(score)}** | ${f(t.typeP1.value)} | ${f(t.hubness)} | ${f(s.hubness)} |`,
  );
}
const base = rows[0]!;
const se = (figure: Figure) =>
  figure.value === null ? '–' : Math.sqrt((figure.value * (1 - figure.value)) / figure.queries).toFixed(3);
console.log(
  `\nqueries (binomial SE of ${base.variant}): typed control ${base.typed.control.queries} (${se(base.typed.control)}), ` +
    `typed type ${base.typed.typeMap10.queries} (P@1 SE ${se(base.typed.typeP1)}), sample control ${base.sample.control.queries} (${se(base.sample.control)}), ` +
    `sample zone within clean ${base.sample.zoneWithinClean.queries} (${se(base.sample.zoneWithinClean)})`,
);
if (values.json) writeFileSync(values.json, `${JSON.stringify(rows, null, 2)}\n`);
