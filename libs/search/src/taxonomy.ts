import { statSync } from 'node:fs';
import path from 'node:path';
import { datasetTaxonomyFile, DEFAULT_TAXONOMY_FILE, loadTaxonomy, type Taxonomy } from '@defect-rag/taxonomy';
import { getDataset, type Backend } from '@defect-rag/runs';

/**
 * The taxonomy that names a dataset's damage types, zones and areas: the file its last ingestion
 * used (recorded in the dataset's config), else its own `taxonomy.yaml`, else the shipped default.
 * Without a dataset, the shipped default. DATASET_NOT_FOUND for an unknown dataset id.
 */
export async function activeTaxonomy(backend: Backend, datasetId?: string): Promise<Taxonomy> {
  if (datasetId === undefined) return loadUnlessChanged(undefined);
  const dataset = await getDataset(backend, datasetId);
  const recorded = dataset.config.taxonomyFile;
  return loadUnlessChanged(datasetTaxonomyFile(dataset.root, typeof recorded === 'string' ? recorded : undefined));
}

/**
 * Loading a taxonomy (YAML, schema, vocabulary checks) takes tens of milliseconds, and every search
 * with a zone filter needs one: a taxonomy is loaded again only when one of its files changed.
 */
const loaded = new Map<string, { stamp: string; taxonomy: Taxonomy }>();

function loadUnlessChanged(file: string | undefined): Taxonomy {
  const files = [DEFAULT_TAXONOMY_FILE, ...(file === undefined ? [] : [path.resolve(file)])];
  const key = files.join('\0');
  const stamp = files.map((each) => statSync(each, { throwIfNoEntry: false })?.mtimeMs ?? 'absent').join();
  const cached = loaded.get(key);
  if (cached?.stamp === stamp) return cached.taxonomy;
  const taxonomy = loadTaxonomy(file);
  loaded.set(key, { stamp, taxonomy });
  return taxonomy;
}
