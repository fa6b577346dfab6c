import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * A learned linear map on an image-only model's vectors (`defect-rag adapt`). The folder holds the
 * base model's files unchanged plus `adapter/projection.f32` (float32, little-endian, row-major,
 * `outputDim` × `inputDim`), declared in config.json under `defect_rag.adapter`. Every image vector
 * the folder makes — crops, photos, queries, workers — is `normalise(P · base)`, `base` being the
 * base model's unit vector: the projection runs right after the graph, inside `Embedder.embedImages`,
 * so no caller can skip it.
 */
export interface ImageAdapter {
  /** Relative to the model folder. */
  file: string;
  inputDim: number;
  outputDim: number;
  /** `outputDim` rows of `inputDim` values. */
  matrix: Float32Array;
  /** The model it was learned on and the training it came from, as config.json records them. */
  baseModel: AdapterConfig['base_model'];
  training: AdapterConfig['training'];
}

export const ADAPTER_FILE = 'adapter/projection.f32';

/** What config.json says of the adapter: its file and shape, and where it came from (written by `writeAdaptedModel`). */
export const adapterConfigSchema = z
  .object({
    file: z.string().min(1),
    input_dim: z.number().int().positive(),
    base_model: z.object({ id: z.string(), sha256: z.string() }),
    training: z
      .object({
        dataset: z.string(),
        split_sha256: z.string(),
        seed: z.number().int(),
      })
      .loose(),
  })
  .loose();

export type AdapterConfig = z.infer<typeof adapterConfigSchema>;

/** Reads and checks the projection a folder's config declares; `fail` names the folder in its error. */
export function readImageAdapter(
  dir: string,
  config: AdapterConfig,
  outputDim: number,
  fail: (message: string) => Error,
): ImageAdapter {
  const file = path.join(dir, config.file);
  if (!existsSync(file)) throw fail(`config.json: defect_rag.adapter.file ${config.file} is missing.`);
  const bytes = readFileSync(file);
  const expected = outputDim * config.input_dim * 4;
  if (bytes.byteLength !== expected) {
    throw fail(
      `${config.file} has ${bytes.byteLength} bytes; a ${outputDim} × ${config.input_dim} float32 projection ` +
        `(projection_dim × defect_rag.adapter.input_dim) has ${expected}.`,
    );
  }
  const matrix = new Float32Array(outputDim * config.input_dim);
  for (let i = 0; i < matrix.length; i++) matrix[i] = bytes.readFloatLE(i * 4);
  return {
    file: config.file,
    inputDim: config.input_dim,
    outputDim,
    matrix,
    baseModel: config.base_model,
    training: config.training,
  };
}

/** `P · vector` (not normalised) of a unit base vector. */
export function projectVector(adapter: ImageAdapter, vector: Float32Array): Float32Array {
  const { matrix, inputDim, outputDim } = adapter;
  const out = new Float32Array(outputDim);
  for (let row = 0; row < outputDim; row++) {
    let sum = 0;
    const offset = row * inputDim;
    for (let column = 0; column < inputDim; column++) sum += matrix[offset + column]! * vector[column]!;
    out[row] = sum;
  }
  return out;
}
