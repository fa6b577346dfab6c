import { findDatasetTaxonomy, loadTaxonomy, type Taxonomy } from '@defect-rag/taxonomy';
import { DefectRagError } from '@defect-rag/runtime';
import type { Backend } from './backend';

/**
 * The taxonomy that names a dataset's damage types, zones and areas: the file its last ingestion
 * used (recorded in the dataset's config), else its own `taxonomy.yaml`, else the shipped default.
 * Without a dataset, the shipped default. DATASET_NOT_FOUND for an unknown dataset id.
 */
export async function activeTaxonomy(backend: Backend, datasetId?: string): Promise<Taxonomy> {
  if (datasetId === undefined) return loadTaxonomy();
  const dataset = await backend.db.datasets.findById(datasetId);
  if (!dataset) throw new DefectRagError('DATASET_NOT_FOUND', `no dataset with id ${datasetId}`, { datasetId });
  const recorded = dataset.config.taxonomyFile;
  const file = typeof recorded === 'string' ? recorded : findDatasetTaxonomy(dataset.root);
  return loadTaxonomy(file ?? undefined);
}
