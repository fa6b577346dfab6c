import path from 'node:path';
import { describePhase1, writePhase2Metadata, type ContextsSummary, type CountTokens } from '@defect-rag/contexts';
import { readPhase1Metadata } from '@defect-rag/crops';
import type { Problem, ProgressListener } from '@defect-rag/runtime';
import { loadDatasetTaxonomy } from '@defect-rag/taxonomy';

export interface ContextsStageOptions {
  /** The folder holding `metadata_crops_phase1.json`; the phase-2 file is written beside it. */
  cropsDir: string;
  /** A taxonomy override; without it, `taxonomy.yaml` in the dataset root if there is one. */
  taxonomyFile?: string;
  /** Add each damage type's visual description to the descriptions. */
  enrich?: boolean;
  /** Fail (LABEL_UNKNOWN) on labels the taxonomy does not know, writing nothing. */
  strict?: boolean;
  /** The text model's token count; without it the descriptions' length is estimated. */
  countTokens?: CountTokens;
  onProgress?: ProgressListener;
}

export interface ContextsStageResult {
  metadataFile: string;
  crops: number;
  damageCrops: number;
  cleanCrops: number;
  summary: ContextsSummary;
  /** Phase 2's own problems (the file also keeps phase 1's). */
  problems: Problem[];
}

/** `defect-rag contexts`: phase-1 metadata in, `metadata_crops_phase2.json` out. */
export async function contextsStage(options: ContextsStageOptions): Promise<ContextsStageResult> {
  const phase1 = await readPhase1Metadata(options.cropsDir);
  const taxonomy = loadDatasetTaxonomy(path.resolve(phase1.dataset.root), options.taxonomyFile);
  const phase2 = describePhase1(phase1, taxonomy, {
    enrich: options.enrich,
    strict: options.strict,
    countTokens: options.countTokens,
    onProgress: options.onProgress,
  });
  const metadataFile = await writePhase2Metadata(options.cropsDir, phase2);
  const damageCrops = phase2.crops.filter((crop) => crop.has_damage === true).length;
  return {
    metadataFile,
    crops: phase2.crops.length,
    damageCrops,
    cleanCrops: phase2.crops.filter((crop) => crop.has_damage === false).length,
    summary: phase2.contexts,
    problems: phase2.problems.slice(phase1.problems.length),
  };
}
