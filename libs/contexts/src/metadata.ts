import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { cropRecordSchema, phase1MetadataSchema, type Phase1Metadata } from '@defect-rag/crops';
import { readJsonFile } from '@defect-rag/runtime';
import type { Taxonomy } from '@defect-rag/taxonomy';
import { relabelAndDescribe, type DescribeCropsOptions } from './contexts';
import { CLIP_MAX_TOKENS } from './tokens';

/** The phase-2 output file, read by phase 3 (embedding); the name the original pipeline used. */
export const PHASE2_METADATA_FILE = 'metadata_crops_phase2.json';
const PHASE2_MISSING_HINT = 'run `defect-rag contexts` on this folder first';

export const phase2CropSchema = cropRecordSchema.extend({
  text_description: z.string().min(1),
});
export type Phase2Crop = z.infer<typeof phase2CropSchema>;

const countsSchema = z.record(z.string(), z.number().int());

/** What phase 2 did, for users and for the run record. */
export const contextsSummarySchema = z.object({
  /** The taxonomy files used: the default, then the override if any. */
  taxonomy: z.array(z.string()),
  enrich: z.boolean(),
  max_tokens: z.number().int(),
  /** `tokenizer` when the text model's tokenizer counted, `estimate` otherwise. */
  token_count: z.enum(['tokenizer', 'estimate']),
  /** Crops whose description is longer than `max_tokens`. */
  over_token_limit: z.number().int(),
  crops_by_zone: countsSchema,
  crops_by_damage_type: countsSchema,
  unknown_labels: z.array(z.object({ kind: z.enum(['damage', 'part']), label: z.string(), count: z.number().int() })),
});
export type ContextsSummary = z.infer<typeof contextsSummarySchema>;

/** The phase-1 file with described crops, a `contexts` summary, and phase 2's problems appended. */
export const phase2MetadataSchema = phase1MetadataSchema.extend({
  crops: z.array(phase2CropSchema),
  contexts: contextsSummarySchema,
});
export type Phase2Metadata = z.infer<typeof phase2MetadataSchema>;

/**
 * Phase 2 over a phase-1 file's contents: the crops labelled again with this taxonomy (it may not
 * be phase 1's; see `relabelCrops`), then described (`describeCrops`).
 */
export function describePhase1(
  phase1: Phase1Metadata,
  taxonomy: Taxonomy,
  options: DescribeCropsOptions & { strict?: boolean } = {},
): Phase2Metadata {
  const { crops, unknownLabels, problems } = relabelAndDescribe(phase1.crops, taxonomy, options);
  const tally = (keys: string[]) => {
    const counts: Record<string, number> = {};
    for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
    return counts;
  };
  return {
    ...phase1,
    crops,
    problems: [...phase1.problems, ...problems],
    contexts: {
      taxonomy: taxonomy.sources,
      enrich: options.enrich ?? false,
      max_tokens: options.maxTokens ?? CLIP_MAX_TOKENS,
      token_count: options.countTokens ? 'tokenizer' : 'estimate',
      over_token_limit: problems.filter((problem) => problem.code === 'TEXT_TRUNCATED').length,
      crops_by_zone: tally(crops.map((crop) => crop.vehicle_zone)),
      crops_by_damage_type: tally(crops.flatMap((crop) => crop.damage_types)),
      unknown_labels: unknownLabels,
    },
  };
}

/** Reads and validates `<dir>/metadata_crops_phase2.json`. */
export async function readPhase2Metadata(dir: string): Promise<Phase2Metadata> {
  return readJsonFile(path.join(dir, PHASE2_METADATA_FILE), phase2MetadataSchema, {
    what: 'a phase-2 metadata file',
    missingHint: PHASE2_MISSING_HINT,
  });
}

/** The part of a phase-2 crop that phase 3 (embedding) reads: which image, which text. */
export const phase2TextSchema = phase2CropSchema.pick({ crop_id: true, file: true, text_description: true });
export type Phase2Text = z.infer<typeof phase2TextSchema>;

/**
 * The crops of `<dir>/metadata_crops_phase2.json` as phase 3 reads them (`crop_id`, `file`,
 * `text_description`; the other fields are not checked). METADATA_INVALID naming the file.
 */
export async function readPhase2Texts(dir: string): Promise<Phase2Text[]> {
  const metadata = await readJsonFile(
    path.join(dir, PHASE2_METADATA_FILE),
    z.object({ crops: z.array(phase2TextSchema) }),
    {
      what: 'a phase-2 metadata file',
      missingHint: PHASE2_MISSING_HINT,
    },
  );
  return metadata.crops;
}

/** Writes the metadata file (through a temporary file, so readers never see half of it). */
export async function writePhase2Metadata(dir: string, metadata: Phase2Metadata): Promise<string> {
  const file = path.join(dir, PHASE2_METADATA_FILE);
  await writeFile(`${file}.tmp`, `${JSON.stringify(metadata, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
  return file;
}
