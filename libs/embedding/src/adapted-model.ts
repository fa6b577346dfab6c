import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ADAPTER_FILE, type AdapterConfig } from './adapter';
import { invalid, readModelFolder } from './model-folder';

/** Where an adapter came from, written into config.json beside its shape. */
export interface AdapterProvenance {
  baseModel: { id: string; sha256: string };
  training: { dataset: string; split_sha256: string; seed: number } & Record<string, unknown>;
}

/**
 * Writes an adapted model folder: the base folder's files (those that shape its vectors) copied
 * unchanged, the projection in `adapter/projection.f32`, and config.json naming the adapter, a model
 * id of its own (`<base id>+adapter-<dataset>`) and `projection_dim` = the projection's output.
 * Returns the files written.
 */
export async function writeAdaptedModel(
  baseDir: string,
  outDir: string,
  projection: { matrix: Float32Array; inputDim: number; outputDim: number },
  provenance: AdapterProvenance,
): Promise<string[]> {
  const base = readModelFolder(baseDir, 'fp32');
  if (base.adapter) throw invalid(baseDir, 'already holds an adapter: adapt its base model instead.');
  if (base.towers.includes('text'))
    throw invalid(baseDir, 'has a text tower: an adapter is learned on image vectors of an image-only model.');
  if (projection.inputDim !== base.dimensions.image) {
    throw invalid(baseDir, `gives ${base.dimensions.image}-d vectors, the projection takes ${projection.inputDim}.`);
  }
  await mkdir(path.join(outDir, path.dirname(ADAPTER_FILE)), { recursive: true });
  const copied = base.contentFiles.filter((file) => file !== 'config.json');
  for (const file of copied) {
    await mkdir(path.join(outDir, path.dirname(file)), { recursive: true });
    await copyFile(path.join(baseDir, file), path.join(outDir, file));
  }
  const bytes = Buffer.alloc(projection.matrix.length * 4);
  projection.matrix.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
  await writeFile(path.join(outDir, ADAPTER_FILE), bytes);
  const config = JSON.parse(await readFile(path.join(baseDir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const defectRag = (config.defect_rag ?? {}) as Record<string, unknown>;
  const adapter: AdapterConfig = {
    file: ADAPTER_FILE,
    input_dim: projection.inputDim,
    base_model: provenance.baseModel,
    training: provenance.training,
  };
  const adapted = {
    ...config,
    _name_or_path: `${base.modelId}+adapter-${provenance.training.dataset}`,
    projection_dim: projection.outputDim,
    defect_rag: { ...defectRag, adapter },
  };
  await writeFile(path.join(outDir, 'config.json'), `${JSON.stringify(adapted, null, 2)}\n`);
  return ['config.json', ...copied, ADAPTER_FILE];
}
