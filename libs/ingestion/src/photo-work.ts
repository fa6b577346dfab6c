import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describeCrops, type Phase2Crop } from '@defect-rag/contexts';
import { cutCrops, type CropConfig, type CropRecord, type PhotoRecord } from '@defect-rag/crops';
import { mapConcurrent, type DatasetImage } from '@defect-rag/dataset';
import { embedCrops, MAX_PHOTO_TILES, type Embedder, type FusionOptions, type PhotoView } from '@defect-rag/embedding';
import type { Problem } from '@defect-rag/runtime';
import type { loadTaxonomy, TaxonomyNormalizer } from '@defect-rag/taxonomy';
import type { CropPoint } from '@defect-rag/vector-store';
import type { Backend } from '@defect-rag/runs';
import { cropPayload } from './crop-payload';
import { storePhotoPoints, type PhotoPointContext } from './photos';

/**
 * What the work on a run's photos needs, the same in every process that does some of it (the
 * ingesting process, or a worker of a distributed run): the model, the index, the taxonomy and
 * how content hashes are made.
 */
export interface PhotoWork extends PhotoPointContext {
  config: CropConfig;
  taxonomy: ReturnType<typeof loadTaxonomy>;
  enrich: boolean;
  cropsDir: string;
  /** The content hash a crop's point carries: image bytes, crop, taxonomy, model, fusion. */
  cropHash: (crop: CropRecord) => string;
}

/** A crop cut and described, waiting for its embedding. */
export interface PreparedCrop {
  record: Phase2Crop;
  file: string;
  text: string;
  contentHash: string;
}

/** What a run hashes: its vector identity (`IngestionPlan.identity`) and the bytes of its photos. */
export interface PhotoWorkInputs {
  backend: Backend;
  embedder: Embedder;
  collection: string;
  datasetId: string;
  root: string;
  config: CropConfig;
  taxonomy: ReturnType<typeof loadTaxonomy>;
  normalizer: TaxonomyNormalizer;
  enrich: boolean;
  fusion: FusionOptions;
  criticalTypes: ReadonlySet<string>;
  identity: Record<string, unknown>;
  /** sha256 of each photo's bytes, by dataset-relative path: at least the photos worked on. */
  imageHashes: ReadonlyMap<string, string>;
  timed: PhotoPointContext['timed'];
}

export function photoWork(inputs: PhotoWorkInputs): PhotoWork {
  const { identity, imageHashes } = inputs;
  // The split is left out: it labels a crop without changing its pixels, text or vectors; so is
  // the photo view, which only photo points depend on, and the folder: a photo's bytes are hashed
  // themselves, so the same photo in another folder (a copy, a re-pointed name) keeps its points.
  // The unlabelled flag too: the crop and photo records it changes say so themselves, so declaring
  // a dataset unlabelled leaves its annotated photos' points alone.
  const { split: _split, photoView, root: _root, unlabelled: _unlabelled, ...vectorIdentity } = identity;
  return {
    ...inputs,
    view: photoView as PhotoView,
    cropsDir: inputs.backend.cropsDir(inputs.datasetId),
    cropHash: ({ split: _cropSplit, ...crop }) =>
      hashJson({ identity: vectorIdentity, image: imageHashes.get(crop.image), crop }),
    contentHash: (photo) =>
      hashJson({
        identity: vectorIdentity,
        photoView,
        // How many tiles the view may take: photos embedded under another cap are embedded again.
        maxTiles: MAX_PHOTO_TILES,
        image: imageHashes.get(photo.image),
        photo: withoutSplit(photo),
      }),
  };
}

/** Cuts and describes some crops of one photo; crops that cannot be made are problems. */
export async function prepareCrops(
  work: PhotoWork,
  image: DatasetImage,
  crops: readonly CropRecord[],
): Promise<{ prepared: PreparedCrop[]; problems: Problem[] }> {
  const { embedder } = work;
  const cut = await cutCrops(image, crops, { root: work.root, outDir: work.cropsDir, config: work.config });
  const described = describeCrops(cut.crops, work.taxonomy, {
    enrich: work.enrich,
    // Without a text tower descriptions are stored but never embedded, so nothing is cut.
    ...(embedder.hasTextTower
      ? { countTokens: (text: string) => embedder.countTokens(text), maxTokens: embedder.maxTextLength }
      : { maxTokens: Infinity }),
  });
  // Hashed as planned: cutting and describing add fields that are themselves functions of these.
  const hashes = new Map(crops.map((crop) => [crop.crop_id, work.cropHash(crop)]));
  return {
    prepared: described.crops.map((crop) => ({
      record: crop,
      file: path.join(work.cropsDir, crop.file),
      text: crop.text_description,
      contentHash: hashes.get(crop.crop_id)!,
    })),
    problems: [...cut.problems, ...described.problems],
  };
}

/** Embeds prepared crops (one model batch) and upserts their points. */
export async function storeCrops(work: PhotoWork, batch: readonly PreparedCrop[]): Promise<void> {
  // An image-only model has no text or fused vectors: its collection holds `image` alone.
  const vectors = await embedCrops(
    work.embedder,
    batch.map((item) => ({ image: item.file, text: item.text })),
    work.fusion,
  );
  const points = batch.map((item, i): CropPoint => ({
    cropId: item.record.crop_id,
    vectors: vectors[i]!,
    payload: cropPayload(item.record, {
      datasetId: work.datasetId,
      modelId: work.embedder.modelId,
      contentHash: item.contentHash,
      criticalTypes: work.criticalTypes,
    }),
  }));
  await work.timed('index', () => work.backend.vectorStore.upsert(work.collection, points));
}

/** One photo of a batch: the crops of it to make, and its photo point when that is to be made too. */
export interface BatchPhoto {
  image: DatasetImage;
  crops: readonly CropRecord[];
  photo: PhotoRecord | undefined;
}

/** What a batch did: crops and photo points made, and the problems met, each naming its photo. */
export interface PhotoBatchResult {
  embedded: number;
  photos: number;
  problems: (Problem & { photo: string })[];
}

/**
 * The whole work on a batch of photos, start to end: cut → describe → embed → upsert of their
 * crops, then their photo points. What a worker of a distributed run does with a batch; the
 * ingesting process does the same steps pipelined (cutting ahead of embedding). Idempotent: the
 * points are keyed by crop and photo, so a batch done twice leaves the same points.
 */
export async function ingestPhotoBatch(work: PhotoWork, photos: readonly BatchPhoto[]): Promise<PhotoBatchResult> {
  const problems: PhotoBatchResult['problems'] = [];
  const prepared: PreparedCrop[] = [];
  for (const { image, crops } of photos) {
    const made = await prepareCrops(work, image, crops);
    prepared.push(...made.prepared);
    problems.push(...made.problems.map((problem) => ({ ...problem, photo: image.path })));
  }
  const { batchSize } = work.embedder;
  for (let start = 0; start < prepared.length; start += batchSize) {
    await storeCrops(work, prepared.slice(start, start + batchSize));
  }
  const points = photos.flatMap(({ photo }) => (photo ? [photo] : []));
  for (let start = 0; start < points.length; start += batchSize) {
    const found = await storePhotoPoints(work, points.slice(start, start + batchSize));
    problems.push(...found.map((problem) => ({ ...problem, photo: problem.item })));
  }
  return { embedded: prepared.length, photos: points.length, problems };
}

/** Every listed photo's bytes: its crops and its photo point are made from them. */
export async function hashImages(root: string, images: readonly DatasetImage[]): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  await mapConcurrent(images, 4, async (image) => {
    hashes.set(
      image.path,
      createHash('sha256')
        .update(await readFile(path.join(root, image.path)))
        .digest('hex'),
    );
  });
  return hashes;
}

export function hashJson(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

function withoutSplit({ split: _split, ...photo }: PhotoRecord): Omit<PhotoRecord, 'split'> {
  return photo;
}
