import path from 'node:path';
import { cropConfig, cropDataset, writePhase1Metadata, type CropConfig, type Phase1Summary } from '@defect-rag/crops';
import { readSplitFile } from '@defect-rag/dataset';
import { DefectRagError, type Problem } from '@defect-rag/runtime';
import { openDataset, type DatasetStageOptions } from './dataset-stage';

export interface CropsStageOptions extends DatasetStageOptions {
  outDir: string;
  /** A `split.json` from the split stage: crops get their image's split. */
  splitFile?: string;
  config?: Partial<CropConfig>;
  /** Images decoded at once (default: the number of cores). */
  concurrency?: number;
}

export interface CropsStageResult {
  metadataFile: string;
  summary: Phase1Summary;
  problems: Problem[];
}

/**
 * `crops` (phase 1): cuts the dataset's crops into `outDir/crops/` and writes
 * `outDir/metadata_crops_phase1.json`. Fails only when no crop at all could be cut, after writing
 * the metadata so its problems can be read.
 */
export async function cropsStage(options: CropsStageOptions): Promise<CropsStageResult> {
  // Bad options fail here, before the dataset is read.
  const config = cropConfig(options.config);
  const split = options.splitFile
    ? { file: path.resolve(options.splitFile), contents: await readSplitFile(options.splitFile) }
    : undefined;
  const { dataset, normalizer } = await openDataset(options);
  const metadata = await cropDataset(dataset, {
    outDir: options.outDir,
    normalizer,
    config,
    split,
    concurrency: options.concurrency,
    onProgress: options.onProgress,
  });
  const metadataFile = await writePhase1Metadata(options.outDir, metadata);
  if (metadata.crops.length === 0) {
    throw new DefectRagError(
      'DATASET_INVALID',
      `no crop could be cut from ${options.datasetDir}; ${metadata.problems.length} problems are listed in ${metadataFile}`,
      { metadataFile },
    );
  }
  return { metadataFile, summary: metadata.summary, problems: metadata.problems };
}
