import { zonesWithin } from '@defect-rag/taxonomy';
import type { CropFilter } from '@defect-rag/vector-store';
import type { Backend } from '@defect-rag/runs';
import { activeTaxonomy } from './taxonomy';

/**
 * The filter with each zone widened to the zones below it in the taxonomy (`side` → `side`,
 * `left_side`, `right_side`), since crops keep their most specific zone. The taxonomy is the
 * filtered dataset's, else the default. Every search builds its Qdrant filter from this.
 */
export async function expandZones(backend: Backend, filter: CropFilter | undefined): Promise<CropFilter | undefined> {
  if (!filter?.zones || filter.zones.length === 0) return filter;
  const taxonomy = await activeTaxonomy(backend, filter.datasetId);
  return { ...filter, zones: zonesWithin(taxonomy, filter.zones) };
}
