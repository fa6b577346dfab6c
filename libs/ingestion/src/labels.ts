import { existsSync } from 'node:fs';
import { mkdir, readFile, realpath, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { annotationPathOf, mergedLabelMe, polygonArea, readDataset } from '@defect-rag/dataset';
import type { AnalystLabelRecord, DatasetRecord, LabelBox, RunRecord } from '@defect-rag/db';
import { DefectRagError, isDefectRagError } from '@defect-rag/runtime';
import { activeTaxonomy, getCrop, getPhoto, type CropView } from '@defect-rag/search';
import { getDataset, openRun, withLockOf, type Backend, type RunHooks } from '@defect-rag/runs';
import { ingestInRun, planIngestion, type IngestOptions, type IngestionSummary } from './ingest';

/** The most points an analyst's polygon may have: a hand-drawn outline needs far fewer. */
export const MAX_LABEL_POINTS = 1000;

/** Who wrote a label when the API has no keys, and for the CLI. */
export const LOCAL_AUTHOR = 'local';

export interface DefectLabelInput {
  /** `photo:<imageId>` or the image id. */
  photoId: string;
  /** A damage type id of the dataset's taxonomy. */
  damageType: string;
  /** [x, y] in photo pixels, at least 3, inside the photo. */
  polygon: readonly (readonly [number, number])[];
}

export interface NoDamageInput {
  photoId: string;
  /** A crop of the photo judged clean: its window is the mark. */
  cropId?: string;
  /** A window of the photo judged clean, when no crop is named. */
  box?: LabelBox;
}

/** Stores a damage polygon of a photo. BAD_INPUT, naming the field, with nothing stored, for bad input. */
export async function addDefectLabel(
  backend: Backend,
  input: DefectLabelInput,
  author: string,
): Promise<AnalystLabelRecord> {
  const photo = await photoOf(backend, input.photoId);
  const { width, height } = photo.photo!;
  const { polygon } = input;
  if (polygon.length < 3 || polygon.length > MAX_LABEL_POINTS)
    throw badInput('polygon', `needs 3 to ${MAX_LABEL_POINTS} points; it has ${polygon.length}`);
  polygon.forEach(([x, y], i) => {
    if (!Number.isFinite(x) || !Number.isFinite(y) || x < 0 || y < 0 || x > width || y > height)
      throw badInput('polygon', `point ${i} (${x}, ${y}) is outside the ${width}×${height} photo`);
  });
  if (polygonArea(polygon) === 0) throw badInput('polygon', 'has zero area');
  const taxonomy = await activeTaxonomy(backend, photo.datasetId);
  const known = taxonomy.damageTypes.map((type) => type.id);
  if (!known.includes(input.damageType))
    throw badInput('damageType', `unknown damage type "${input.damageType}"; known: ${known.join(', ')}`);
  return backend.db.labels.add({
    datasetId: photo.datasetId,
    photoId: photo.imageId,
    sourceImage: photo.sourceImage,
    kind: 'DEFECT',
    damageType: input.damageType,
    polygon: polygon.map(([x, y]) => [x, y]),
    cropId: null,
    box: null,
    author,
  });
}

/** Stores a "no damage here" mark on a window of a photo: a crop of it, or a box inside it. */
export async function markNoDamage(
  backend: Backend,
  input: NoDamageInput,
  author: string,
): Promise<AnalystLabelRecord> {
  const photo = await photoOf(backend, input.photoId);
  const { width, height } = photo.photo!;
  let box: LabelBox;
  if (input.cropId !== undefined) {
    const crop = await cropOf(backend, input.cropId);
    if (crop.imageId !== photo.imageId || crop.level !== 'crop')
      throw badInput('cropId', `"${input.cropId}" is not a crop of photo "${input.photoId}"`);
    box = crop.box;
  } else if (input.box !== undefined) {
    box = input.box;
    const { x, y, width: w, height: h } = box;
    if (![x, y, w, h].every(Number.isFinite) || x < 0 || y < 0 || w <= 0 || h <= 0 || x + w > width || y + h > height)
      throw badInput('box', `must be a non-empty window inside the ${width}×${height} photo`);
  } else throw badInput('cropId', 'give a cropId or a box');
  return backend.db.labels.add({
    datasetId: photo.datasetId,
    photoId: photo.imageId,
    sourceImage: photo.sourceImage,
    kind: 'NO_DAMAGE',
    damageType: null,
    polygon: null,
    cropId: input.cropId ?? null,
    box,
    author,
  });
}

/**
 * Removes a label its author wrote and returns it. LABEL_NOT_FOUND for an unknown id;
 * LABEL_FORBIDDEN, with nothing removed, for another author's label.
 */
export async function removeLabel(backend: Backend, labelId: string, author: string): Promise<AnalystLabelRecord> {
  const label = await backend.db.labels.findById(labelId);
  const missing = () => new DefectRagError('LABEL_NOT_FOUND', `no label "${labelId}"`, { labelId });
  if (!label) throw missing();
  if (label.author !== author)
    throw new DefectRagError('LABEL_FORBIDDEN', `label "${labelId}" was written by ${label.author}, not ${author}`, {
      labelId,
    });
  // Removed meanwhile by its author's other request.
  if (!(await backend.db.labels.deleteOwn(labelId, author))) throw missing();
  return label;
}

/** What a relabel run did: one ingestion per collection the dataset was last ingested into. */
export interface RelabelSummary {
  runId: string;
  ingestions: IngestionSummary[];
}

/**
 * A RELABEL run: brings the dataset's points up to date with its effective annotation in every
 * collection it was ingested into, with the options of its latest successful ingestion there. Only
 * what the labels changed is recut and embedded again (a point keeps its vectors while its content
 * hash holds), so after a label on one photo that photo's crops are recut, described, embedded and
 * upserted, its old crops deleted and its photo point remade; the rest is compared, not redone.
 */
export async function relabelDataset(
  backend: Backend,
  datasetId: string,
  params: Record<string, unknown>,
  hooks: RunHooks = {},
): Promise<RelabelSummary> {
  const dataset = await getDataset(backend, datasetId);
  const ingestions = await latestIngestions(backend, dataset);
  if (ingestions.length === 0)
    throw new DefectRagError('BAD_INPUT', `dataset "${dataset.name}" has no successful ingestion to update`);
  // Loaded before the lock: a model that does not load fails the request, not a run.
  const plans = await Promise.all(
    ingestions.map((ingestion) =>
      planIngestion(backend, {
        ...(ingestion.params as unknown as IngestOptions),
        datasetDir: dataset.root,
        name: dataset.name,
      }),
    ),
  );
  return withLockOf(backend, dataset, async () => {
    const run = await openRun(backend, dataset, { kind: 'RELABEL', params }, hooks);
    hooks.onRunStarted?.(run.record);
    return run.complete(async () => {
      const summaries: IngestionSummary[] = [];
      for (const plan of plans) summaries.push(await ingestInRun(backend, plan, run));
      return { runId: run.id, ingestions: summaries };
    });
  });
}

/** The latest successful INGEST run of the dataset in each collection. */
async function latestIngestions(backend: Backend, dataset: DatasetRecord): Promise<RunRecord[]> {
  const { items } = await backend.db.runs.list(
    { datasetId: dataset.id, kind: 'INGEST', status: 'SUCCEEDED' },
    { first: 100 },
  );
  const byCollection = new Map<string, RunRecord>();
  for (const run of items)
    if (run.collection && !byCollection.has(run.collection)) byCollection.set(run.collection, run);
  return [...byCollection.values()];
}

/**
 * Writes, for every photo of the dataset with analyst DEFECT labels, a LabelMe file in the
 * dataset's format under `outDir` (its original shapes, then the analysts'), at the path the
 * dataset's reader looks for it (the original's path, else `annotations/<stem>_labelDANO_modificado.json`).
 * `outDir` may not be the dataset's folder nor lie inside it: originals are never overwritten.
 */
export async function exportLabels(
  backend: Backend,
  datasetId: string,
  outDir: string,
): Promise<{ files: string[]; photos: number; labels: number }> {
  const dataset = await getDataset(backend, datasetId);
  const root = await realpath(dataset.root);
  const out = path.resolve(outDir);
  const outReal = existsSync(out) ? await realpath(out) : out;
  if (outReal === root || outReal.startsWith(root + path.sep))
    throw new DefectRagError(
      'BAD_INPUT',
      `--out ${outDir} is the dataset's folder or inside it; export elsewhere so the originals are never overwritten`,
    );
  const labels = (await backend.db.labels.list(datasetId)).filter((label) => label.kind === 'DEFECT');
  const photos = new Set(labels.map((label) => label.photoId));
  const images = (await readDataset(dataset.root, { name: dataset.name })).images.filter((image) =>
    photos.has(image.id),
  );
  const files: string[] = [];
  for (const image of images) {
    const relative = image.annotation ?? annotationPathOf(image.path);
    const original = image.annotation ? await readFile(path.join(dataset.root, image.annotation), 'utf8') : null;
    const own = labels.filter((label) => label.photoId === image.id);
    const file = path.join(out, relative);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify(mergedLabelMe(image, original, own), null, 2)}\n`);
    files.push(file);
  }
  return { files, photos: images.length, labels: labels.filter((label) => photos.has(label.photoId)).length };
}

async function photoOf(backend: Backend, photoId: string): Promise<CropView> {
  try {
    return await getPhoto(backend, photoId);
  } catch (error) {
    if (isDefectRagError(error, 'PHOTO_NOT_FOUND')) throw badInput('photoId', `no photo "${photoId}" in the index`);
    throw error;
  }
}

async function cropOf(backend: Backend, cropId: string): Promise<CropView> {
  try {
    return await getCrop(backend, cropId);
  } catch (error) {
    if (isDefectRagError(error, 'CROP_NOT_FOUND')) throw badInput('cropId', `no crop "${cropId}" in the index`);
    throw error;
  }
}

function badInput(field: string, message: string): DefectRagError {
  return new DefectRagError('BAD_INPUT', `${field}: ${message}`, { field });
}
