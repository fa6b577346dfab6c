import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DefectRagError, isDefectRagError, noProgress, type Problem, type ProgressListener } from '@defect-rag/runtime';
import { mapConcurrent } from './concurrency';
import { DEFAULT_MAX_PIXELS, IMAGE_EXTENSIONS, probeImage } from './images';
import { parseLabelMe } from './labelme';
import type { Dataset, DatasetImage } from './model';
import { imagePolygons, POLYGONS_FILE, readPolygonsFile, type PolygonsEntry, type PolygonsFile } from './polygons-file';

export const DEFAULT_ANNOTATION_PATTERN = '{stem}_labelDANO_modificado.json';

/** Images live in the root or `images/`; damage files next to them or in `annotations/`. */
const IMAGE_DIRS = ['', 'images'];
const ANNOTATION_DIRS = ['', 'images', 'annotations'];

export interface ReadDatasetOptions {
  /** Defaults to the folder's name. Part of every image and crop id. */
  name?: string;
  /** File name of an image's damage annotation; `{stem}` is the image's name without extension. */
  annotationPattern?: string;
  /** Images with more pixels are reported as IMAGE_TOO_LARGE instead of read. */
  maxPixels?: number;
  /**
   * The photos without an annotation file are unlabelled (damage unknown) instead of clean; the
   * annotated ones stay labelled, so a dataset can be part labelled, part not.
   */
  unlabelled?: boolean;
  /** How many image headers are read at once. */
  concurrency?: number;
  onProgress?: ProgressListener;
}

/**
 * Reads and validates a dataset folder without decoding pixels: image headers (sharp metadata), the
 * LabelMe damage files and `poligonos.json`. An image is damaged exactly when its annotation file
 * exists. Every bad item becomes a problem and the rest is returned.
 *
 * Orientation rule: every size and coordinate is in the displayed frame, with the EXIF orientation
 * applied, because that is the frame LabelMe shows and saves. The crop cutter applies the same
 * orientation when it decodes. A LabelMe file or `poligonos.json` entry whose declared size only
 * fits the stored (unrotated) frame is rejected with a problem rather than guessed at.
 */
export async function readDataset(root: string, options: ReadDatasetOptions = {}): Promise<Dataset> {
  const absoluteRoot = path.resolve(root);
  await checkDatasetFolder(root);
  const name = options.name ?? path.basename(absoluteRoot);
  const pattern = annotationMatcher(options.annotationPattern ?? DEFAULT_ANNOTATION_PATTERN);
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const onProgress = options.onProgress ?? noProgress;
  const problems: Problem[] = [];
  const problem = (item: string, code: Problem['code'], message: string) =>
    problems.push({ item, stage: 'dataset', code, message });

  const imageFiles = (await listFiles(absoluteRoot, IMAGE_DIRS)).filter((file) =>
    IMAGE_EXTENSIONS.includes(path.posix.extname(file).toLowerCase()),
  );
  const annotationFiles = new Map<string, string>();
  for (const file of await listFiles(absoluteRoot, ANNOTATION_DIRS)) {
    const stem = pattern(path.posix.basename(file));
    if (stem === null) continue;
    const previous = annotationFiles.get(stem);
    if (previous === undefined) annotationFiles.set(stem, file);
    else problem(file, 'DATASET_INVALID', `a second damage file for '${stem}' (the first is ${previous}); ignored`);
  }

  const imagesByStem = new Map<string, string[]>();
  for (const file of imageFiles) {
    const stem = stemOf(file);
    const sameStem = imagesByStem.get(stem);
    if (sameStem) sameStem.push(file);
    else imagesByStem.set(stem, [file]);
  }
  for (const [stem, file] of annotationFiles) {
    const images = imagesByStem.get(stem);
    if (!images)
      problem(file, 'IMAGE_NOT_FOUND', `no image '${stem}.*' in the dataset root or images/ for this damage file`);
    else if (images.length > 1) {
      problem(
        file,
        'DATASET_INVALID',
        `several images are named '${stem}' (${images.join(', ')}); none of them is read`,
      );
    }
  }

  const polygons = await findPolygons(absoluteRoot, imageFiles, problem);

  let done = 0;
  const results = await mapConcurrent(
    imageFiles,
    options.concurrency ?? Math.max(4, os.availableParallelism() * 2),
    async (file) => {
      const result = await readImage(file);
      onProgress({ stage: 'dataset', done: ++done, total: imageFiles.length, item: file });
      return result;
    },
  );
  const images: DatasetImage[] = [];
  for (const result of results) {
    problems.push(...result.problems);
    if (result.image) images.push(result.image);
  }
  return { name, root: absoluteRoot, images, problems };

  async function readImage(file: string): Promise<{ image: DatasetImage | null; problems: Problem[] }> {
    const stem = stemOf(file);
    const annotation = annotationFiles.get(stem) ?? null;
    if (annotation && imagesByStem.get(stem)!.length > 1) return { image: null, problems: [] };
    const probe = await probeImage(path.join(absoluteRoot, file), maxPixels);
    if ('code' in probe)
      return { image: null, problems: [{ item: file, stage: 'dataset', code: probe.code, message: probe.message }] };
    const { header } = probe;
    const frame = { displayed: header.displayed, stored: header.stored, orientation: header.orientation };
    const imageProblems: Problem[] = [];

    let defects: DatasetImage['defects'] = [];
    if (annotation) {
      const text = await readFile(path.join(absoluteRoot, annotation), 'utf8');
      const parsed = parseLabelMe(text, annotation, frame);
      imageProblems.push(...parsed.problems);
      if (parsed.defects === null) return { image: null, problems: imageProblems };
      defects = parsed.defects;
      if (defects.length === 0) {
        imageProblems.push({
          item: annotation,
          stage: 'dataset',
          code: 'ANNOTATION_INVALID',
          message: 'no usable damage shape; the image is damaged but gets no crop',
        });
      }
    }

    let vehicle: DatasetImage['vehicle'] = [];
    let parts: DatasetImage['parts'] = [];
    const entry = polygons.entryFor(file);
    if (entry === UNUSABLE) {
      // A damaged photo is still worth its defect crops, with zone unknown; a clean one is nothing
      // without its vehicle mask (its grid crops would be cut over the background). An unlabelled
      // one is cut unmasked anyway, over the whole photo.
      if (!annotation && !options.unlabelled) {
        imageProblems.push({
          item: file,
          stage: 'dataset',
          code: 'POLYGONS_INVALID',
          message: `skipped: ${polygons.relative} gives this clean image no usable vehicle mask`,
        });
        return { image: null, problems: imageProblems };
      }
    } else if (entry) {
      const read = imagePolygons(entry, frame, polygons.relative);
      imageProblems.push(...read.problems);
      vehicle = read.vehicle;
      parts = read.parts;
      if (annotation && vehicle.length === 0 && read.problems.length === 0)
        imageProblems.push({
          item: file,
          stage: 'dataset',
          code: 'POLYGONS_INVALID',
          message: `${polygons.relative} gives this damaged image no vehicle silhouette: its crops are cut with zone unknown`,
        });
    } else if (polygons.found) {
      imageProblems.push({
        item: file,
        stage: 'dataset',
        code: 'POLYGONS_INVALID',
        message: `no entry in ${polygons.relative}: no vehicle mask or zone for this image`,
      });
    }

    return {
      image: {
        id: imageId(name, file),
        path: file,
        width: header.displayed.width,
        height: header.displayed.height,
        orientation: header.orientation,
        format: header.format,
        damaged: annotation !== null,
        labelled: annotation !== null || !options.unlabelled,
        annotation,
        defects,
        vehicle,
        parts,
      },
      problems: imageProblems,
    };
  }
}

/** The image's stem, made filesystem-safe, plus a hash of (dataset name, path): stable and unique. */
export function imageId(datasetName: string, imagePath: string): string {
  const hash = createHash('sha256').update(`${datasetName}\0${imagePath}`).digest('hex').slice(0, 8);
  return `${safeName(stemOf(imagePath))}-${hash}`;
}

/** Letters, digits, `_` and `-` only, so ids can be file names anywhere. */
export function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 64) || '_';
}

function stemOf(file: string): string {
  return path.posix.basename(file, path.posix.extname(file));
}

function annotationMatcher(pattern: string): (fileName: string) => string | null {
  const parts = pattern.split('{stem}');
  if (parts.length !== 2) {
    throw new DefectRagError('BAD_INPUT', `annotation pattern must contain {stem} exactly once: ${pattern}`);
  }
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const regex = new RegExp(`^${escape(parts[0]!)}(.+)${escape(parts[1]!)}$`);
  return (fileName) => regex.exec(fileName)?.[1] ?? null;
}

/** Plain files of the given subfolders (non-recursive), as sorted root-relative `/` paths. */
async function listFiles(root: string, dirs: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const dir of dirs) {
    const absolute = path.join(root, dir);
    if (!(await isDirectory(absolute))) continue;
    for (const entry of await readdir(absolute, { withFileTypes: true })) {
      if (entry.isFile()) files.push(dir ? `${dir}/${entry.name}` : entry.name);
    }
  }
  return files.sort();
}

/** DATASET_NOT_FOUND, naming `root` as given, unless it is a folder. */
export async function checkDatasetFolder(root: string): Promise<void> {
  if (!(await isDirectory(path.resolve(root))))
    throw new DefectRagError('DATASET_NOT_FOUND', `dataset folder not found: ${root}`, { root });
}

async function isDirectory(dir: string): Promise<boolean> {
  return stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** The polygons of an image whose `poligonos.json` entry, or the whole file, cannot be read. */
const UNUSABLE = Symbol('unusable polygons');

/**
 * Finds `poligonos.json` (root, then `annotations/`) and matches its keys to images: by
 * root-relative path first, then by file name.
 */
async function findPolygons(
  root: string,
  imageFiles: readonly string[],
  problem: (item: string, code: Problem['code'], message: string) => void,
): Promise<{ found: boolean; relative: string; entryFor(file: string): PolygonsEntry | typeof UNUSABLE | undefined }> {
  const relative = [POLYGONS_FILE, `annotations/${POLYGONS_FILE}`].find((candidate) =>
    existsSync(path.join(root, candidate)),
  );
  if (!relative) {
    problem(
      POLYGONS_FILE,
      'POLYGONS_INVALID',
      `not found in the dataset root or annotations/: clean images are cut over the whole frame, unmasked, and no zone is derived`,
    );
    return { found: false, relative: POLYGONS_FILE, entryFor: () => undefined };
  }
  let file: PolygonsFile;
  try {
    file = await readPolygonsFile(path.join(root, relative), relative);
  } catch (error) {
    // Not JSON, or not an object: a problem of the run, not the end of it. Every image is unusable.
    if (!isDefectRagError(error, 'POLYGONS_INVALID')) throw error;
    problem(relative, 'POLYGONS_INVALID', `${error.message}; damaged images get no zone, clean images are skipped`);
    return { found: true, relative, entryFor: () => UNUSABLE };
  }
  const { entries, invalid } = file;
  for (const message of invalid.values()) problem(relative, 'POLYGONS_INVALID', message);
  const invalidNames = new Set([...invalid.keys()].flatMap((key) => [key, path.posix.basename(key)]));
  const byName = new Map<string, PolygonsEntry>();
  for (const entry of entries.values()) byName.set(path.posix.basename(entry.key), entry);
  const known = new Set(imageFiles.flatMap((file) => [file, path.posix.basename(file)]));
  for (const key of entries.keys()) {
    if (!known.has(key) && !known.has(path.posix.basename(key))) {
      problem(`${relative}: ${key}`, 'IMAGE_NOT_FOUND', 'entry for an image that is not in the dataset; ignored');
    }
  }
  return {
    found: true,
    relative,
    entryFor: (file) =>
      entries.get(file) ??
      byName.get(path.posix.basename(file)) ??
      (invalidNames.has(file) || invalidNames.has(path.posix.basename(file)) ? UNUSABLE : undefined),
  };
}
