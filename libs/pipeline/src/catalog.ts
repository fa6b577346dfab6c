import type { DatasetRecord, Page, PageRequest, RunFilter, RunProblemRecord, RunRecord } from '@defect-rag/db';
import { DefectRagError } from '@defect-rag/runtime';
import type { Backend } from './backend';

/**
 * What the apps read about datasets and runs: the API's resolvers and the CLI's commands call
 * these rather than the database, so that not-found is decided here once.
 */

/** Runs, newest first, optionally of one dataset, kind or status. */
export function listRuns(backend: Backend, filter: RunFilter, page: PageRequest): Promise<Page<RunRecord>> {
  return backend.db.runs.list(filter, page);
}

/** A run by id; RUN_NOT_FOUND when there is none. */
export function getRun(backend: Backend, runId: string): Promise<RunRecord> {
  return backend.db.runs.get(runId);
}

/** Bad input items a run met, oldest first; RUN_NOT_FOUND when there is no such run. */
export async function runProblems(backend: Backend, runId: string, page: PageRequest): Promise<Page<RunProblemRecord>> {
  await backend.db.runs.get(runId);
  return backend.db.runs.listProblems(runId, page);
}

/** Registered datasets, newest first. */
export function listDatasets(backend: Backend, page: PageRequest): Promise<Page<DatasetRecord>> {
  return backend.db.datasets.list(page);
}

/** A registered dataset by id; DATASET_NOT_FOUND when there is none. */
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

/** PostgreSQL answers (for health checks); throws otherwise. */
export function pingDatabase(backend: Backend): Promise<void> {
  return backend.db.ping();
}
