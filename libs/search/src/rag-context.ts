import { DefectRagError } from '@defect-rag/runtime';
import type { Backend } from '@defect-rag/runs';
import {
  prepareSearch,
  runSearch,
  type CropView,
  type PreparedSearch,
  type SimilarityQuery,
  type SimilarityResult,
} from './search';

export type RagContextFormat = 'text' | 'markdown';
export type RagItemRole = 'similar' | 'normal-reference';

/** The most normal references one context adds. */
export const MAX_NORMAL_REFERENCES = 20;

export interface RagContextOptions {
  format?: RagContextFormat;
  /**
   * Up to this many clean crops of the zones and areas of the similar damaged crops, most similar
   * to the query first, added after them as normal references: what that bodywork looks like
   * undamaged. 0 by default.
   */
  normalReferences?: number;
  /** The block is at most this long: items are left out from the end until it fits. */
  maxCharacters?: number;
  /** The URL of a crop's image, written into its item. */
  imageUrl?: (crop: CropView) => string;
}

export interface RagContextItem {
  role: RagItemRole;
  score: number;
  crop: CropView;
}

export interface RagContext {
  context: string;
  /** Exactly the items the block cites, in its order. */
  items: RagContextItem[];
}

/**
 * The retrieval of `searchSimilar`, plus normal references, as a block a vision-language model
 * reads: numbered items, each with its role, description, zone, area, damage types, score, crop id
 * and image URL, and the instruction to cite by crop id.
 */
export async function ragContext(
  backend: Backend,
  query: SimilarityQuery,
  options: RagContextOptions = {},
): Promise<RagContext> {
  const normalReferences = options.normalReferences ?? 0;
  if (!Number.isInteger(normalReferences) || normalReferences < 0 || normalReferences > MAX_NORMAL_REFERENCES) {
    throw new DefectRagError(
      'BAD_INPUT',
      `normalReferences must be an integer from 0 to ${MAX_NORMAL_REFERENCES}, got ${normalReferences}`,
    );
  }
  const prepared = await prepareSearch(backend, query);
  const result = await runSearch(backend, prepared, prepared.search);
  const items: RagContextItem[] = [
    ...result.items.map((item) => ({ role: 'similar' as const, ...item })),
    ...(await findNormalReferences(backend, prepared, result, normalReferences)),
  ];
  return formatRagContext(result, items, options);
}

/**
 * The clean crops most similar to the query among those of the zone and area of each similar
 * damaged crop (one search per distinct pair, within the query's dataset and split), best first,
 * none of them already an item.
 */
async function findNormalReferences(
  backend: Backend,
  prepared: PreparedSearch,
  result: SimilarityResult,
  count: number,
): Promise<RagContextItem[]> {
  if (count === 0) return [];
  const pairs = new Map<string, { zone: string; area: string }>();
  for (const { crop } of result.items) {
    if (crop.hasDamage)
      pairs.set(JSON.stringify([crop.vehicleZone, crop.area]), { zone: crop.vehicleZone, area: crop.area });
  }
  const { datasetId, split } = prepared.search.filter ?? {};
  const found = await Promise.all(
    [...pairs.values()].map(({ zone, area }) =>
      runSearch(backend, prepared, {
        ...prepared.search,
        filter: { datasetId, split, hasDamage: false, zones: [zone], areas: [area] },
        limit: count,
        offset: 0,
        onePerPhoto: false,
        scoreThreshold: undefined,
      }),
    ),
  );
  const seen = new Set(result.items.map(({ crop }) => crop.id));
  return found
    .flatMap(({ items }) => items)
    .sort((a, b) => b.score - a.score)
    .filter(({ crop }) => !seen.has(crop.id) && seen.add(crop.id))
    .slice(0, count)
    .map((item) => ({ role: 'normal-reference', ...item }));
}

/**
 * The block of the given items, in their order, so the citations match what was retrieved. With
 * `maxCharacters`, items are left out from the end until the block fits; BAD_INPUT when not even
 * its header and footer do.
 */
export function formatRagContext(
  result: Pick<SimilarityResult, 'mode' | 'modelId' | 'randomWeights'>,
  items: readonly RagContextItem[],
  { format = 'text', maxCharacters, imageUrl }: RagContextOptions = {},
): RagContext {
  const markdown = format === 'markdown';
  const lines = items.map(({ role, score, crop }, index) => {
    const damage = crop.damageTypes.length > 0 ? crop.damageTypes.join(', ') : 'none (clean)';
    const image = imageUrl ? `; image: ${imageUrl(crop)}` : '';
    const fields = `zone: ${crop.vehicleZone}; area: ${crop.area}; damage: ${damage}; score: ${score.toFixed(3)}${image}`;
    const label = role === 'normal-reference' ? 'normal reference' : 'similar';
    return markdown
      ? `${index + 1}. **[crop:${crop.id}]** (${label}) ${crop.textDescription}  \n   _${fields}_`
      : `[${index + 1}] ${label} crop:${crop.id} | ${fields}\n    ${crop.textDescription}`;
  });
  const block = (count: number) => {
    const kept = items.slice(0, count);
    const similar = kept.filter((item) => item.role === 'similar').length;
    const references = kept.length - similar;
    const header =
      `Retrieved ${similar} similar vehicle-damage crop(s)` +
      (references > 0
        ? ` and ${references} normal reference(s): clean crops of the same zone and area, showing that bodywork undamaged`
        : '') +
      ` (mode ${result.mode}, model ${result.modelId}${result.randomWeights ? ', random test weights: similarity is meaningless' : ''}).`;
    const body =
      count > 0 ? lines.slice(0, count) : [markdown ? '_No crop matched the query._' : '(no crop matched the query)'];
    return [header, '', ...body, '', 'Cite the items you use by their crop id, e.g. [crop:<id>].'].join('\n');
  };
  let count = items.length;
  if (maxCharacters !== undefined) {
    if (!Number.isInteger(maxCharacters) || maxCharacters < 1) {
      throw new DefectRagError('BAD_INPUT', `maxCharacters must be a positive integer, got ${maxCharacters}`);
    }
    while (count > 0 && block(count).length > maxCharacters) count--;
    if (block(count).length > maxCharacters) {
      throw new DefectRagError(
        'BAD_INPUT',
        `maxCharacters ${maxCharacters} cannot hold even the context's header and footer (${block(0).length} characters)`,
      );
    }
  }
  return { context: block(count), items: items.slice(0, count) };
}
