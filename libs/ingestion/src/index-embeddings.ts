import { createHash } from 'node:crypto';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PHASE2_METADATA_FILE, readPhase2Metadata, type Phase2Crop } from '@defect-rag/contexts';
import { EMBEDDINGS_DIR, EMBEDDINGS_INDEX_FILE, readEmbeddings, type EmbeddingsIndex } from '@defect-rag/embedding';
import {
  DefectRagError,
  ERROR_CODES,
  type ErrorCode,
  type Problem,
  type Tower,
  type VectorKind,
} from '@defect-rag/runtime';
import { loadTaxonomy } from '@defect-rag/taxonomy';
import type { CropPoint } from '@defect-rag/vector-store';
import { cropPayload, criticalTypesOf } from './crop-payload';
import { refreshPrototypesAfterRun } from './label-prototype-cells';
import { whitenAfterRun } from './whitening-stage';
import { withRun, type Backend, type RunHooks } from '@defect-rag/runs';

export interface IndexEmbeddingsOptions {
  /** The folder of `crops` → `contexts` → `embed`: crop images, `metadata_crops_phase2.json`, `embeddings/`. */
  cropsDir: string;
  /** Point an existing dataset name at the folder phase 1 read; DATASET_CONFLICT otherwise. */
  repoint?: boolean;
}

export interface IndexEmbeddingsSummary {
  runId: string;
  datasetId: string;
  datasetName: string;
  collection: string;
  modelId: string;
  randomWeights: boolean;
  /** Points written (a crop already stored is overwritten). */
  indexed: number;
  /** The dataset's points in the collection afterwards. */
  points: number;
  problems: Problem[];
}

const BATCH = 64;

/**
 * `index`: loads a phase-3 `embeddings/` folder into the model's collection without running the
 * model. The vectors are the ones `embed` wrote, the payload comes from the phase-2 metadata beside
 * them, and the crop images are copied under the data dir (where the API serves them from and a
 * dataset deletion removes them). Recorded as an INDEX run of the dataset phase 1 read, under the
 * name phase 1 recorded. Point ids come from crop ids, so indexing the same folder again writes
 * the same points.
 *
 * A folder that is missing a file, or whose embeddings do not belong to its phase-2 crops, fails
 * with METADATA_INVALID naming the file before anything is written; a crop image that is missing
 * is a problem and its point is left out.
 */
export async function indexEmbeddings(
  backend: Backend,
  options: IndexEmbeddingsOptions,
  hooks: RunHooks = {},
): Promise<IndexEmbeddingsSummary> {
  const cropsDir = path.resolve(options.cropsDir);
  const phase2 = await readPhase2Metadata(cropsDir);
  const embeddings = await readEmbeddings(cropsDir);
  const { index } = embeddings;
  const crops = matchCrops(cropsDir, phase2.crops, index);
  const towers: Tower[] = index.files.text === undefined ? ['image'] : ['image', 'text'];
  // An encoder pair's files give each kind its own size (index.json `model.dimensions`).
  const dimension = index.model.dimension;
  const dimensions = { image: dimension, text: dimension, fused: dimension, ...index.model.dimensions };
  const model = { modelId: index.model.id, dimension, towers, dimensions };
  // Crop ids (and so point ids) are derived from the name phase 1 read the dataset under: under
  // another name, two datasets would share points.
  const { name } = phase2.dataset;
  const taxonomyFile = phase2.contexts.taxonomy[1] ?? null;

  return withRun(
    backend,
    {
      name,
      root: path.resolve(phase2.dataset.root),
      repoint: options.repoint,
      config: { taxonomyFile, splitFile: phase2.config.split_file },
    },
    async () => ({
      kind: 'INDEX',
      modelId: model.modelId,
      collection: await backend.collection(model),
      params: { cropsDir },
    }),
    hooks,
    async (run) => {
      const datasetId = run.dataset.id;
      const collection = await backend.collection(model);
      const { recorder } = run;
      const targetDir = backend.cropsDir(datasetId);
      const modelHash = `${index.model.id}@${index.model.content_hash}`;
      const criticalTypes = criticalTypesOf(loadTaxonomy(taxonomyFile ?? undefined));
      await recorder.addProblems(index.problems.map(toProblem));
      let indexed = 0;
      let done = 0;
      await recorder.progress('index', 0, crops.length);
      for (let start = 0; start < crops.length; start += BATCH) {
        await run.checkCancelled();
        const points: CropPoint[] = [];
        for (const { crop, row } of crops.slice(start, start + BATCH)) {
          const target = path.join(targetDir, crop.file);
          await mkdir(path.dirname(target), { recursive: true });
          try {
            await copyFile(path.join(cropsDir, crop.file), target);
          } catch (error) {
            await recorder.addProblems([
              {
                item: crop.crop_id,
                stage: 'index',
                code: 'IMAGE_NOT_FOUND',
                message: `cannot copy the crop image ${path.join(cropsDir, crop.file)}: ${(error as Error).message}`,
              },
            ]);
            continue;
          }
          const vectors = vectorsAt(embeddings, row, model.dimensions);
          points.push({
            cropId: crop.crop_id,
            vectors,
            payload: cropPayload(crop, {
              datasetId,
              modelId: index.model.id,
              // What produced the point; an `ingest` of the dataset later sees a different hash and re-embeds.
              contentHash: hashOf({ indexed: modelHash, fusion: index.fusion, crop }),
              criticalTypes,
            }),
          });
        }
        indexed += await backend.vectorStore.upsert(collection, points);
        done += Math.min(BATCH, crops.length - start);
        await recorder.progress('index', done, crops.length);
      }
      const refitted = await whitenAfterRun(backend, collection, recorder);
      await refreshPrototypesAfterRun(backend, model, collection, datasetId, recorder, { refitted });
      const points = await backend.vectorStore.count(collection, { datasetId });
      await recorder.counts({ crops: phase2.crops.length, indexed, points, problems: recorder.problems.length });
      // Phase 1 read every image; a damaged one has at least one damage crop.
      const damaged = new Set(phase2.crops.filter((crop) => crop.has_damage).map((crop) => crop.image_id)).size;
      await backend.db.datasets.updateCounts(datasetId, {
        imageCount: phase2.summary.images,
        damagedCount: damaged,
        cleanCount: phase2.summary.images - damaged,
        cropCount: points,
      });
      return {
        runId: run.id,
        datasetId,
        datasetName: name,
        collection,
        modelId: index.model.id,
        randomWeights: index.model.random_weights,
        indexed,
        points,
        problems: recorder.problems,
      };
    },
  );
}

/**
 * Each embedded crop with its phase-2 record and its row. METADATA_INVALID when the embeddings were
 * not made from this phase-2 file: a crop it does not have, another image file, a row used twice,
 * or phase-2 crops that `embed` neither embedded nor reported.
 */
function matchCrops(
  cropsDir: string,
  phase2Crops: readonly Phase2Crop[],
  index: EmbeddingsIndex,
): { crop: Phase2Crop; row: number }[] {
  const indexFile = path.join(cropsDir, EMBEDDINGS_DIR, EMBEDDINGS_INDEX_FILE);
  const phase2File = path.join(cropsDir, PHASE2_METADATA_FILE);
  const inconsistent = (message: string) =>
    new DefectRagError(
      'METADATA_INVALID',
      `${indexFile} does not match ${phase2File}: ${message}; run \`defect-rag embed\` on this folder again`,
      { file: indexFile },
    );
  const byId = new Map(phase2Crops.map((crop) => [crop.crop_id, crop]));
  const rows = new Set<number>();
  const embedded = new Set<string>();
  const matched = index.crops.map(({ crop_id, file, row }) => {
    const crop = byId.get(crop_id);
    if (!crop) throw inconsistent(`crop "${crop_id}" is not in the phase-2 file`);
    if (crop.file !== file) throw inconsistent(`crop "${crop_id}" is ${file} there and ${crop.file} in phase 2`);
    if (row >= index.count || rows.has(row))
      throw inconsistent(`crop "${crop_id}" has row ${row}, which is out of range or used twice`);
    rows.add(row);
    embedded.add(crop_id);
    return { crop, row };
  });
  // `embed` reports a crop it could not read by its file.
  const reported = new Set(index.problems.map((problem) => problem.item));
  const unaccounted = phase2Crops.filter((crop) => !embedded.has(crop.crop_id) && !reported.has(crop.file));
  if (unaccounted.length > 0)
    throw inconsistent(`${unaccounted.length} phase-2 crops have no vectors (first: "${unaccounted[0]!.crop_id}")`);
  return matched;
}

function vectorsAt(
  embeddings: Awaited<ReturnType<typeof readEmbeddings>>,
  row: number,
  dimensions: Record<VectorKind, number>,
): CropPoint['vectors'] {
  const at = (matrix: Float32Array, kind: VectorKind) =>
    matrix.subarray(row * dimensions[kind], (row + 1) * dimensions[kind]);
  return {
    image: at(embeddings.image, 'image'),
    ...(embeddings.text && { text: at(embeddings.text, 'text') }),
    ...(embeddings.fused && { fused: at(embeddings.fused, 'fused') }),
  };
}

/** A problem `embed` listed in the index, as a problem of this run. */
function toProblem(problem: EmbeddingsIndex['problems'][number]): Problem {
  const code = (ERROR_CODES as readonly string[]).includes(problem.code) ? (problem.code as ErrorCode) : 'INTERNAL';
  return { ...problem, code };
}

function hashOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}
