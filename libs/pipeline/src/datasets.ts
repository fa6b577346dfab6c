import type { DatasetRecord } from '@defect-rag/db';
import { DefectRagError } from '@defect-rag/runtime';
import type { Backend } from './backend';

/**
 * The registered dataset with this id, or DATASET_NOT_FOUND. `of` names what refers to it (e.g.
 * `run <id>`, `crop "<id>"`) when the id comes from a stored record rather than from the caller.
 */
export async function getDataset(backend: Backend, datasetId: string, of?: string): Promise<DatasetRecord> {
  const dataset = await backend.db.datasets.findById(datasetId);
  if (dataset) return dataset;
  const message = of
    ? `the dataset of ${of} (${datasetId}) is no longer registered`
    : `no dataset with id ${datasetId}`;
  throw new DefectRagError('DATASET_NOT_FOUND', message, { datasetId });
}
