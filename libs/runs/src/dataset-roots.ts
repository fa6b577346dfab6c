import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { checkDatasetFolder } from '@defect-rag/dataset';
import type { DatasetRecord } from '@defect-rag/db';
import { DefectRagError } from '@defect-rag/runtime';

/**
 * DATASET_FORBIDDEN unless `root` (absolute) lies in one of `roots`, and so does its `images/`
 * folder, where the photos served through `/crops/<id>/source` are read from; undefined roots allow
 * any folder. Symbolic links are resolved on both sides, so a link inside a root cannot lead out of
 * it. Checked before the folder's existence, so a refused caller learns nothing about it.
 */
export async function checkDatasetRoot(root: string, roots: readonly string[] | undefined): Promise<void> {
  if (roots === undefined) return;
  if (!(await isUnder(await realOrResolved(root), roots)))
    throw new DefectRagError(
      'DATASET_FORBIDDEN',
      `dataset folder ${root} is outside the folders datasets may be registered in (${roots.join(', ')}); set DEFECT_RAG_DATASET_ROOTS on the server to allow another`,
      { path: root },
    );
  const images = await realpath(path.join(root, 'images')).catch(() => undefined);
  if (images !== undefined && !(await isUnder(images, roots)))
    throw new DefectRagError(
      'DATASET_FORBIDDEN',
      `the images folder of dataset folder ${root} is a link leading outside the folders datasets may be registered in (${roots.join(', ')}); copy the photos into it instead`,
      { path: root },
    );
}

/**
 * Where a dataset to register may be: inside the allowed roots (checkDatasetRoot, first, so a
 * refused caller learns nothing about the folder), then an existing folder (DATASET_NOT_FOUND).
 */
export async function checkDatasetLocation(root: string, roots: readonly string[] | undefined): Promise<void> {
  await checkDatasetRoot(root, roots);
  await checkDatasetFolder(root);
}

async function isUnder(real: string, roots: readonly string[]): Promise<boolean> {
  for (const allowed of roots) {
    const inside = path.relative(await realOrResolved(allowed), real);
    if (inside === '' || (!inside.startsWith('..') && !path.isAbsolute(inside))) return true;
  }
  return false;
}

/**
 * DATASET_CONFLICT when a dataset of this name is registered with another folder, unless `repoint`:
 * re-pointing a name would make its crops and runs describe another folder's photos.
 */
export function checkRepoint(existing: DatasetRecord | null, root: string, repoint: boolean | undefined): void {
  if (!existing || existing.root === root || repoint) return;
  throw new DefectRagError(
    'DATASET_CONFLICT',
    `dataset "${existing.name}" is registered with folder ${existing.root}; to point it at ${root} instead, ask for it explicitly (--repoint, or repoint: true in the API), or choose another name`,
    { datasetId: existing.id, root: existing.root },
  );
}

async function realOrResolved(folder: string): Promise<string> {
  // A folder that does not exist yet is compared as written.
  return realpath(folder).catch(() => path.resolve(folder));
}
