import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Phase2Text } from '@defect-rag/contexts';
import {
  DefectRagError,
  isDefectRagError,
  readJsonFile,
  type ErrorCode,
  type Problem,
  type ProgressListener,
  VECTOR_KINDS,
} from '@defect-rag/runtime';
import type { Embedder } from './embedder';
import { embedCrops } from './embed-crops';
import type { FusionOptions } from './fusion';

/** Phase 3's folder, inside the crops folder of phases 1–2. */
export const EMBEDDINGS_DIR = 'embeddings';
/** The index of `embeddings/`, written last. */
export const EMBEDDINGS_INDEX_FILE = 'index.json';
const IMAGE_PROBLEMS: ErrorCode[] = ['IMAGE_NOT_FOUND', 'IMAGE_DECODE_FAILED', 'IMAGE_TOO_LARGE'];

/**
 * `embeddings/index.json`. Row `i` of each `<kind>.f32` file (float32, little-endian, row-major,
 * `count × dimensions[kind]`) is the vector of `crops[i]`; crops that could not be embedded are left out
 * and listed in `problems`.
 */
export const embeddingsIndexSchema = z.object({
  format: z.literal('defect-rag-embeddings'),
  version: z.literal(1),
  model: z.object({
    id: z.string(),
    content_hash: z.string(),
    precision: z.enum(['fp32', 'int8']),
    dimension: z.number().int().positive(),
    // An encoder pair's image, text and fused vectors differ in dimension; files written before
    // pairs existed have `dimension` for every kind.
    space: z.enum(['shared', 'separate']).default('shared'),
    dimensions: z
      .object({
        image: z.number().int().positive(),
        text: z.number().int().positive().optional(),
        fused: z.number().int().positive().optional(),
      })
      .optional(),
    random_weights: z.boolean(),
  }),
  fusion: z.object({ strategy: z.enum(['average', 'weighted']), alpha: z.number().min(0).max(1).optional() }),
  count: z.number().int().nonnegative(),
  // An image-only model writes image.f32 alone.
  files: z.object({ image: z.string(), text: z.string().optional(), fused: z.string().optional() }),
  crops: z.array(z.object({ crop_id: z.string(), file: z.string(), row: z.number().int().nonnegative() })),
  problems: z.array(
    z.object({ item: z.string(), stage: z.literal('embedding'), code: z.string(), message: z.string() }),
  ),
});
export type EmbeddingsIndex = z.infer<typeof embeddingsIndexSchema>;

export interface WriteEmbeddingsOptions {
  /** Default: average. */
  fusion?: FusionOptions;
  onProgress?: ProgressListener;
}

export interface WriteEmbeddingsResult {
  outputDir: string;
  index: EmbeddingsIndex;
  problems: Problem[];
  /** Seconds to embed and write every crop. */
  seconds: number;
}

/**
 * Phase 3's files: the image, text and fused vectors of phase 2's `crops` (image alone for an
 * image-only model) in `<cropsDir>/embeddings/`, then `index.json`. A crop whose image cannot be
 * read becomes a problem and the rest goes on; fails with EMBEDDING_FAILED (after writing the
 * index) only when no crop at all could be embedded.
 */
export async function writeEmbeddings(
  embedder: Embedder,
  cropsDir: string,
  crops: Phase2Text[],
  options: WriteEmbeddingsOptions = {},
): Promise<WriteEmbeddingsResult> {
  const fusion = options.fusion ?? { strategy: 'average' };
  const outputDir = path.join(cropsDir, EMBEDDINGS_DIR);
  const kinds = embedder.hasTextTower ? VECTOR_KINDS : (['image'] as const);
  const files: EmbeddingsIndex['files'] = { image: 'image.f32' };
  for (const kind of kinds) files[kind] = `${kind}.f32`;
  const start = performance.now();
  await mkdir(outputDir, { recursive: true });
  // The index is written last: a folder without one is an interrupted run, never a short result.
  await rm(path.join(outputDir, EMBEDDINGS_INDEX_FILE), { force: true });
  const { rows, problems } = await writeVectors(
    embedder,
    crops,
    { cropsDir, onProgress: options.onProgress },
    fusion,
    kinds.map((kind) => path.join(outputDir, files[kind]!)),
  );
  const seconds = (performance.now() - start) / 1000;

  const index: EmbeddingsIndex = {
    format: 'defect-rag-embeddings',
    version: 1,
    model: {
      id: embedder.modelId,
      content_hash: embedder.contentHash,
      precision: embedder.precision,
      dimension: embedder.dimension,
      space: embedder.space,
      dimensions: embedder.dimensions,
      random_weights: embedder.randomWeights,
    },
    fusion: { strategy: fusion.strategy, ...(fusion.alpha !== undefined && { alpha: fusion.alpha }) },
    count: rows.length,
    files,
    crops: rows,
    problems: problems.map((problem) => ({ ...problem, stage: 'embedding' as const })),
  };
  const indexFile = path.join(outputDir, EMBEDDINGS_INDEX_FILE);
  await writeFile(`${indexFile}.tmp`, `${JSON.stringify(index, null, 2)}\n`);
  await rename(`${indexFile}.tmp`, indexFile);
  if (crops.length > 0 && rows.length === 0) {
    throw new DefectRagError(
      'EMBEDDING_FAILED',
      `no crop could be embedded; ${problems.length} problems are listed in ${indexFile}`,
      { indexFile },
    );
  }
  return { outputDir, index, problems, seconds };
}

/**
 * Embeds the crops batch by batch and appends each batch's image, text and fused vectors to the
 * files (`paths` in image, text, fused order; the image file alone for an image-only model). The next batch's images decode on sharp's threads
 * while the current batch's texts run.
 */
async function writeVectors(
  embedder: Embedder,
  crops: Phase2Text[],
  { cropsDir, onProgress }: { cropsDir: string; onProgress?: ProgressListener },
  fusion: FusionOptions,
  paths: string[],
): Promise<{ rows: EmbeddingsIndex['crops']; problems: Problem[] }> {
  const rows: EmbeddingsIndex['crops'] = [];
  const problems: Problem[] = [];
  const batches: Phase2Text[][] = [];
  for (let i = 0; i < crops.length; i += embedder.batchSize) batches.push(crops.slice(i, i + embedder.batchSize));
  const imagesOf = (b: number) => {
    const pending = embedImagesOf(embedder, cropsDir, batches[b]!);
    pending.catch(() => {}); // awaited in order below; this only keeps an early failure from counting as unhandled
    return pending;
  };
  const handles = await Promise.all(paths.map((file) => open(file, 'w')));
  let next = batches.length > 0 ? imagesOf(0) : undefined;
  let done = 0;
  try {
    for (let b = 0; b < batches.length; b++) {
      const { embedded, images, problems: imageProblems } = await next!;
      next = b + 1 < batches.length ? imagesOf(b + 1) : undefined;
      problems.push(...imageProblems);
      for (const crop of embedder.hasTextTower ? embedded : []) {
        const tokens = embedder.countTokens(crop.text_description);
        if (tokens > embedder.maxTextLength) {
          problems.push({
            item: crop.crop_id,
            stage: 'embedding',
            code: 'TEXT_TRUNCATED',
            message: `text_description has ${tokens} tokens; its first ${embedder.maxTextLength} were embedded`,
          });
        }
      }
      const vectors = await embedCrops(
        embedder,
        embedded.map((crop) => ({ image: path.resolve(cropsDir, crop.file), text: crop.text_description })),
        fusion,
        images,
      );
      // `handles` are image, text, fused (image alone for an image-only model).
      await Promise.all(
        handles.map((handle, k) =>
          handle.write(Buffer.concat(vectors.map((crop) => bytesOf(crop[VECTOR_KINDS[k]!]!)))),
        ),
      );
      for (const crop of embedded) rows.push({ crop_id: crop.crop_id, file: crop.file, row: rows.length });
      done += batches[b]!.length;
      onProgress?.({ stage: 'embed', done, total: crops.length, item: batches[b]!.at(-1)!.file });
    }
  } finally {
    await next?.catch(() => {});
    await Promise.all(handles.map((handle) => handle.close()));
  }
  return { rows, problems };
}

/**
 * Image vectors of a batch of crops. A bad image becomes a problem and the batch is retried
 * without it, so one broken file costs a little decoding, never the other crops.
 */
async function embedImagesOf(
  embedder: Embedder,
  cropsDir: string,
  batch: Phase2Text[],
): Promise<{ embedded: Phase2Text[]; images: Float32Array[]; problems: Problem[] }> {
  const problems: Problem[] = [];
  let remaining = batch;
  while (remaining.length > 0) {
    try {
      const images = await embedder.embedImages(remaining.map((crop) => path.resolve(cropsDir, crop.file)));
      return { embedded: remaining, images, problems };
    } catch (error) {
      if (!isDefectRagError(error) || !IMAGE_PROBLEMS.includes(error.code) || typeof error.details.index !== 'number')
        throw error;
      const index = error.details.index;
      problems.push({ item: remaining[index]!.file, stage: 'embedding', code: error.code, message: error.message });
      remaining = remaining.filter((_, i) => i !== index);
    }
  }
  return { embedded: [], images: [], problems };
}

function bytesOf(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

/** Reads `<cropsDir>/embeddings/`: the index and each kind's `count × dimensions[kind]` matrix. */
export async function readEmbeddings(
  cropsDir: string,
): Promise<{ index: EmbeddingsIndex; image: Float32Array; text?: Float32Array; fused?: Float32Array }> {
  const dir = path.join(cropsDir, EMBEDDINGS_DIR);
  const indexFile = path.join(dir, EMBEDDINGS_INDEX_FILE);
  const index = await readJsonFile(indexFile, embeddingsIndexSchema, {
    what: 'an embeddings index',
    missingHint: 'run `defect-rag embed` on this folder first',
  });
  const kinds = VECTOR_KINDS.filter((kind) => index.files[kind] !== undefined);
  const matrices = await Promise.all(
    kinds.map(async (kind) => {
      const file = path.join(dir, index.files[kind]!);
      const bytes = await readFile(file).catch((error: unknown) => {
        throw new DefectRagError(
          'METADATA_INVALID',
          `cannot read ${file}, which ${indexFile} lists: ${(error as Error).message}`,
          { file },
          { cause: error },
        );
      });
      const dimension = index.model.dimensions?.[kind] ?? index.model.dimension;
      const expected = index.count * dimension * 4;
      if (bytes.length !== expected) {
        throw new DefectRagError(
          'METADATA_INVALID',
          `${file} has ${bytes.length} bytes, expected ${expected} (${index.count} × ${dimension} float32, as ${indexFile} says)`,
          { file },
        );
      }
      return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    }),
  );
  return { index, ...Object.fromEntries(kinds.map((kind, k) => [kind, matrices[k]!])), image: matrices[0]! };
}
