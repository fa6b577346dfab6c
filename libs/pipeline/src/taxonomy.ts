import { loadDatasetTaxonomy, loadTaxonomy, type Taxonomy } from '@defect-rag/taxonomy';
import type { Backend } from './backend';
import { getDataset } from './catalog';

/**
 * The taxonomy that names a dataset's damage types, zones and areas: the file its last ingestion
 * used (recorded in the dataset's config), else its own `taxonomy.yaml`, else the shipped default.
 * Without a dataset, the shipped default. DATASET_NOT_FOUND for an unknown dataset id.
 */
export async function activeTaxonomy(backend: Backend, datasetId?: string): Promise<Taxonomy> {
  if (datasetId === undefined) return loadTaxonomy();
  const dataset = await getDataset(backend, datasetId);
  const recorded = dataset.config.taxonomyFile;
  return loadDatasetTaxonomy(dataset.root, typeof recorded === 'string' ? recorded : undefined);
}
