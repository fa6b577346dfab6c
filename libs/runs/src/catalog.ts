import type { DatasetRecord, Page, PageRequest, RunFilter, RunProblemRecord, RunRecord } from '@defect-rag/db';
import { DefectRagError } from '@defect-rag/runtime';
import type { Backend } from './backend';

/**
 * What the apps read about datasets and runs: the API's resolvers and the CLI's commands call
 * these rather than the database, so that not-found is decided here once.
 */

/** Runs, newest first, optionally of one dataset, kind or status; BAD_INPUT for an `after` that is no run. */
export async function listRuns(backend: Backend, filter: RunFilter, page: PageRequest): Promise<Page<RunRecord>> {
  if (page.after) {
    await backend.db.runs.get(page.after).catch((error: unknown) => {
      throw error instanceof DefectRagError && error.code === 'RUN_NOT_FOUND' ? notACursor() : error;
    });
  }
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

/** Registered datasets, newest first; BAD_INPUT for an `after` that is no dataset. */
export async function listDatasets(backend: Backend, page: PageRequest): Promise<Page<DatasetRecord>> {
  if (page.after && !(await backend.db.datasets.findById(page.after))) throw notACursor();
  return backend.db.datasets.list(page);
}

/**
 * A cursor this list did not give (an unknown id): a page from it would silently be the first
 * page, or nothing, so it is refused instead.
 */
export function notACursor(): DefectRagError {
  return new DefectRagError('BAD_INPUT', 'after: not a cursor of this list');
}

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

/** The registered dataset with this name, or DATASET_NOT_FOUND naming the registered ones. */
export async function getDatasetByName(backend: Backend, name: string): Promise<DatasetRecord> {
  const dataset = await backend.db.datasets.findByName(name);
  if (dataset) return dataset;
  const { items, totalCount } = await backend.db.datasets.list({ first: 10 });
  const known =
    items.length === 0
      ? 'none is registered'
      : `registered: ${items.map((item) => `"${item.name}"`).join(', ')}${totalCount > items.length ? ', …' : ''}`;
  throw new DefectRagError('DATASET_NOT_FOUND', `no dataset named "${name}" (${known})`, { name });
}

/** PostgreSQL answers (for health checks); throws otherwise. */
export function pingDatabase(backend: Backend): Promise<void> {
  return backend.db.ping();
}
