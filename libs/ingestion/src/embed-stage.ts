import {
  fusionImageWeight,
  loadModel,
  writeEmbeddings,
  type EmbeddingsIndex,
  type ExecutionProvider,
  type FusionOptions,
  type Precision,
} from '@defect-rag/embedding';
import { readPhase2Texts } from '@defect-rag/contexts';
import type { Problem, ProgressListener } from '@defect-rag/runtime';

export { EMBEDDINGS_DIR, readEmbeddings, type EmbeddingsIndex } from '@defect-rag/embedding';

export interface EmbedStageOptions {
  /** The folder holding `metadata_crops_phase2.json`; `embeddings/` is written inside it. */
  cropsDir: string;
  modelDir: string;
  /** Default: average. */
  fusion?: FusionOptions;
  batchSize?: number;
  intraOpThreads?: number;
  executionProvider?: ExecutionProvider;
  precision?: Precision;
  onProgress?: ProgressListener;
}

export interface EmbedStageResult {
  outputDir: string;
  index: Omit<EmbeddingsIndex, 'crops' | 'problems'>;
  crops: number;
  embedded: number;
  /** Seconds to load the model, then to embed every crop. */
  loadSeconds: number;
  seconds: number;
  imagesPerSecond: number;
  problems: Problem[];
}

/**
 * `embed` (phase 3): loads the model and writes `<cropsDir>/embeddings/` from phase 2's file
 * (`writeEmbeddings` of @defect-rag/embedding). Bad options and a missing or malformed phase-2
 * file fail before the model is loaded.
 */
export async function embedStage(options: EmbedStageOptions): Promise<EmbedStageResult> {
  const fusion = options.fusion ?? { strategy: 'average' };
  fusionImageWeight(fusion); // a bad option fails here, before the model is loaded
  const crops = await readPhase2Texts(options.cropsDir);
  const loadStart = performance.now();
  const embedder = await loadModel(options.modelDir, {
    batchSize: options.batchSize,
    intraOpThreads: options.intraOpThreads,
    executionProvider: options.executionProvider,
    precision: options.precision,
  });
  const loadSeconds = (performance.now() - loadStart) / 1000;
  let written: Awaited<ReturnType<typeof writeEmbeddings>>;
  try {
    written = await writeEmbeddings(embedder, options.cropsDir, crops, { fusion, onProgress: options.onProgress });
  } finally {
    await embedder.close();
  }
  const { outputDir, index, problems, seconds } = written;
  const { crops: rows, problems: _problems, ...summary } = index;
  return {
    outputDir,
    index: summary,
    crops: crops.length,
    embedded: rows.length,
    loadSeconds,
    seconds,
    imagesPerSecond: seconds > 0 ? rows.length / seconds : 0,
    problems,
  };
}
