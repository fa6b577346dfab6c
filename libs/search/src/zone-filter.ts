import { UNKNOWN, zonesWithin, type Taxonomy } from '@defect-rag/taxonomy';
import type { CropFilter } from '@defect-rag/vector-store';
import { DefectRagError } from '@defect-rag/runtime';
import type { Backend } from '@defect-rag/runs';
import { activeTaxonomy } from './taxonomy';

/**
 * The filter with each zone widened to the zones below it in the taxonomy (`side` → `side`,
 * `left_side`, `right_side`), since crops keep their most specific zone. The taxonomy is the
 * filtered dataset's, else the default. Every search builds its Qdrant filter from this, so this
 * is also where a zone, area or damage type that no taxonomy knows is refused (BAD_INPUT naming the
 * known ones) rather than silently matching nothing.
 */
export async function expandZones(backend: Backend, filter: CropFilter | undefined): Promise<CropFilter | undefined> {
  if (!filter || (!filter.zones?.length && !filter.areas?.length && !filter.damageTypes?.length)) return filter;
  const taxonomy = await activeTaxonomy(backend, filter.datasetId);
  checkVocabulary(filter, filter.datasetId === undefined ? await everyTaxonomy(backend, taxonomy) : [taxonomy]);
  if (!filter.zones?.length) return filter;
  return { ...filter, zones: zonesWithin(taxonomy, filter.zones) };
}

/** The default taxonomy and every registered dataset's: what the crops of all datasets were labelled with. */
async function everyTaxonomy(backend: Backend, defaultTaxonomy: Taxonomy): Promise<Taxonomy[]> {
  const taxonomies = [defaultTaxonomy];
  for (let after: string | undefined; ;) {
    const page = await backend.db.datasets.list({ first: 100, after });
    for (const dataset of page.items) taxonomies.push(await activeTaxonomy(backend, dataset.id));
    if (!page.hasNextPage || page.items.length === 0) return taxonomies;
    after = page.endCursor ?? undefined;
  }
}

const VOCABULARIES = [
  { field: 'zones', name: 'zone', known: (taxonomy: Taxonomy) => taxonomy.zones.map((zone) => zone.id) },
  { field: 'areas', name: 'area', known: (taxonomy: Taxonomy) => taxonomy.areas.map((area) => area.id) },
  {
    field: 'damageTypes',
    name: 'damage type',
    // Labels no damage type matches are stored as `unknown`, so a filter may ask for those.
    known: (taxonomy: Taxonomy) => [...taxonomy.damageTypes.map((type) => type.id), UNKNOWN],
  },
] as const;

function checkVocabulary(filter: CropFilter, taxonomies: readonly Taxonomy[]): void {
  const problems: string[] = [];
  for (const { field, name, known } of VOCABULARIES) {
    const ids = new Set(taxonomies.flatMap(known));
    const unknown = (filter[field] ?? []).filter((value) => !ids.has(value));
    if (unknown.length > 0)
      problems.push(
        `${field}: unknown ${name} ${unknown.map((value) => `"${value}"`).join(', ')} (known: ${[...ids].join(', ')})`,
      );
  }
  if (problems.length > 0) throw new DefectRagError('BAD_INPUT', problems.join('; '));
}
