import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { safeName } from '@defect-rag/dataset';
import type { DatasetRecord } from '@defect-rag/db';
import { getDataset, withLockOf, type Backend } from '@defect-rag/runs';

/** What deleting a dataset removes (or, from `planDatasetDeletion`, would remove). */
export interface DatasetDeletion {
  dataset: DatasetRecord;
  /** Its points (crops and photos), per collection that holds any. */
  points: { collection: string; count: number }[];
  /** Its runs (their problems go with them). */
  runs: number;
  /** Crop images under the data dir. */
  cropFiles: number;
  /**
   * Folders under the data dir that only this dataset wrote: its crops, its evaluations' reports
   * and its generated split. Never the dataset's own folder (`dataset.root`).
   */
  folders: string[];
}

/** What `deleteDataset` would remove, removing nothing; DATASET_NOT_FOUND for an unknown id. */
export async function planDatasetDeletion(backend: Backend, datasetId: string): Promise<DatasetDeletion> {
  return footprint(backend, await getDataset(backend, datasetId));
}

/**
 * Deletes a dataset: its points from every crop collection, the files the pipeline wrote for it
 * under the data dir, its runs with their problems, and its record, in that order (a failure
 * leaves the record, so the deletion can be retried). The user's photos and annotations are never
 * touched, nor anything of another dataset. Holds the dataset's lock: RUN_CONFLICT while a run is
 * in progress. DATASET_NOT_FOUND for an unknown id.
 */
export async function deleteDataset(backend: Backend, datasetId: string): Promise<DatasetDeletion> {
  const dataset = await getDataset(backend, datasetId);
  return withLockOf(backend, dataset, async () => {
    const deletion = await footprint(backend, dataset);
    for (const { collection } of deletion.points)
      await backend.vectorStore.deletePoints(collection, { datasetId: dataset.id });
    for (const folder of deletion.folders) await rm(folder, { recursive: true, force: true });
    await backend.db.datasets.delete(dataset.id);
    return deletion;
  });
}

async function footprint(backend: Backend, dataset: DatasetRecord): Promise<DatasetDeletion> {
  const { dataDir } = backend.config;
  const collections = await backend.vectorStore.cropCollections();
  const counts = await Promise.all(
    // Counts keep to crops unless asked for photos; the deletion removes both.
    collections.map(async (collection) => ({
      collection,
      count:
        (await backend.vectorStore.count(collection, { datasetId: dataset.id })) +
        (await backend.vectorStore.count(collection, { datasetId: dataset.id, level: 'photo' })),
    })),
  );
  const runIds = await runsOf(backend, dataset.id);
  const cropsDir = backend.cropsDir(dataset.id);
  const candidates = [cropsDir, ...runIds.map((runId) => path.join(dataDir, 'evaluations', runId))];
  // Evaluations write a split under the dataset's name made safe for a path, which two names can share.
  if (!(await splitFolderShared(backend, dataset)))
    candidates.push(path.join(dataDir, 'splits', safeName(dataset.name)));
  const folders = (
    await Promise.all(candidates.map(async (folder) => ((await exists(folder)) ? [folder] : [])))
  ).flat();
  return {
    dataset,
    points: counts.filter(({ count }) => count > 0),
    runs: runIds.length,
    cropFiles: (await exists(cropsDir)) ? await countFiles(cropsDir) : 0,
    folders,
  };
}

async function runsOf(backend: Backend, datasetId: string): Promise<string[]> {
  const ids: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await backend.db.runs.list({ datasetId }, { first: 500, after });
    ids.push(...page.items.map((run) => run.id));
    if (!page.hasNextPage) return ids;
    after = page.endCursor!;
  }
}

async function splitFolderShared(backend: Backend, dataset: DatasetRecord): Promise<boolean> {
  let after: string | undefined;
  for (;;) {
    const page = await backend.db.datasets.list({ first: 500, after });
    if (page.items.some((other) => other.id !== dataset.id && safeName(other.name) === safeName(dataset.name)))
      return true;
    if (!page.hasNextPage) return false;
    after = page.endCursor!;
  }
}

async function exists(folder: string): Promise<boolean> {
  return stat(folder).then(
    () => true,
    () => false,
  );
}

async function countFiles(folder: string): Promise<number> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).length;
}
