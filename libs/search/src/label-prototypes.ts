import { DefectRagError } from '@defect-rag/runtime';
import { parseLabelQuery, zonesWithin, type LabelQuery, type Taxonomy } from '@defect-rag/taxonomy';
import type { CropFilter, VectorStore } from '@defect-rag/vector-store';

/**
 * Text search without a text tower. A text query is read as the taxonomy's damage types and
 * zones (`parseLabelQuery`: names, plurals, Spanish and English synonyms, part names); its vector
 * is the L2-normalised mean of the image vectors of the indexed crops that carry those labels (a
 * damage type among them, and a zone among them, when the text names any). It is computed from
 * the collection at query time, so an ingestion that adds or replaces crops changes the next
 * prototype without a cache to refresh; at most PROTOTYPE_SAMPLE crops are read, which bounds the
 * work of one query on a large collection (their mean moves little past a few hundred crops). They
 * are the first in point order: point ids are hashes of crop ids, so that is an arbitrary sample
 * that stays the same while the collection does.
 */
export const PROTOTYPE_SAMPLE = 2000;

export interface LabelPrototype {
  labels: LabelQuery;
  /** Indexed crops averaged. */
  crops: number;
  vector: Float32Array;
}

/** Points read per request. */
const READ_BATCH = 256;

export async function labelPrototype(
  store: VectorStore,
  collection: string,
  taxonomy: Taxonomy,
  text: string,
  scope: Omit<CropFilter, 'level' | 'damageTypes' | 'zones' | 'hasDamage'> = {},
): Promise<LabelPrototype> {
  const labels = parseLabelQuery(taxonomy, text);
  const filter: CropFilter = {
    ...scope,
    level: 'crop',
    ...(labels.damageTypes.length > 0 && { hasDamage: true, damageTypes: labels.damageTypes }),
    ...(labels.zones.length > 0 && { zones: zonesWithin(taxonomy, labels.zones) }),
  };
  const ids = (await store.scrollPayloads(collection, filter, { limit: PROTOTYPE_SAMPLE })).map((ref) => ref.cropId);
  if (ids.length === 0) {
    throw new DefectRagError(
      'BAD_INPUT',
      `no indexed crop shows ${[...labels.damageTypes, ...labels.zones].join(', ')}: a model without a text tower ` +
        'answers text with the mean image vector of the crops that carry those labels',
    );
  }
  let sum: Float64Array | undefined;
  for (let start = 0; start < ids.length; start += READ_BATCH) {
    const points = await store.getPoints(collection, ids.slice(start, start + READ_BATCH), { withVectors: true });
    for (const point of points) {
      const image = point.vectors!.image;
      sum ??= new Float64Array(image.length);
      for (let d = 0; d < image.length; d++) sum[d]! += image[d]!;
    }
  }
  const norm = Math.max(Math.hypot(...sum!), 1e-12);
  return { labels, crops: ids.length, vector: Float32Array.from(sum!, (value) => value / norm) };
}
