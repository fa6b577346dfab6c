import type { SimilarityResult } from './search';

export type RagContextFormat = 'text' | 'markdown';

/**
 * The retrieved crops as a block a vision-language model reads: numbered items, each with its
 * description, zone, area, damage types, score and crop id, and the instruction to cite by crop id.
 * Only the given items appear, in their order, so the citations match what was retrieved.
 */
export function formatRagContext(result: SimilarityResult, format: RagContextFormat = 'text'): string {
  const header = `Retrieved ${result.items.length} similar vehicle-damage crop(s) (mode ${result.mode}, model ${result.modelId}${result.randomWeights ? ', random test weights: similarity is meaningless' : ''}).`;
  const footer = 'Cite the items you use by their crop id, e.g. [crop:<id>].';
  const lines = result.items.map(({ score, crop }, index) => {
    const damage = crop.damageTypes.length > 0 ? crop.damageTypes.join(', ') : 'none (clean)';
    const fields = `zone: ${crop.vehicleZone}; area: ${crop.area}; damage: ${damage}; score: ${score.toFixed(3)}`;
    return format === 'markdown'
      ? `${index + 1}. **[crop:${crop.id}]** ${crop.textDescription}  \n   _${fields}_`
      : `[${index + 1}] crop:${crop.id} | ${fields}\n    ${crop.textDescription}`;
  });
  if (lines.length === 0)
    lines.push(format === 'markdown' ? '_No crop matched the query._' : '(no crop matched the query)');
  return [header, '', ...lines, '', footer].join('\n');
}
