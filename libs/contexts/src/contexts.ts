import { DefectRagError, noProgress, type Problem, type ProgressListener } from '@defect-rag/runtime';
import {
  TaxonomyNormalizer,
  UNKNOWN,
  zoneOfCrop,
  type PartOverlap,
  type Taxonomy,
  type UnknownLabel,
} from '@defect-rag/taxonomy';
import { describeClean, describeDamaged } from './describe';
import { CLIP_MAX_TOKENS, estimateClipTokens, type CountTokens } from './tokens';

/** What phase 2 reads from a phase-1 crop; every other field is carried over unchanged. */
export interface ContextInputCrop {
  crop_id: string;
  has_damage: boolean;
  defects: readonly { label: string; type: string }[];
  part_overlaps: readonly PartOverlap[];
}

/** What phase 2 adds to (or recomputes on) each crop. */
export interface CropContext {
  /** Canonical damage types of the crop's defects, in order of appearance; empty for clean crops. */
  damage_types: string[];
  vehicle_zone: string;
  area: string;
  /** The text the CLIP text encoder reads for this crop. */
  text_description: string;
}

export interface DescribeCropsOptions {
  /** Add each damage type's visual description to damaged crops' text. Off by default. */
  enrich?: boolean;
  /** Unknown labels fail the run (LABEL_UNKNOWN) instead of being reported. */
  strict?: boolean;
  /** The text model's token count; without it, `estimateClipTokens`. */
  countTokens?: CountTokens;
  /** The text model's context length. */
  maxTokens?: number;
  onProgress?: ProgressListener;
}

export interface DescribeCropsResult<C extends ContextInputCrop> {
  crops: (C & CropContext)[];
  /** Labels the taxonomy did not know, with how many defects / part overlaps carried them. */
  unknownLabels: UnknownLabel[];
  /** Unknown labels, over-long descriptions and crops whose has_damage contradicts their defects. */
  problems: Problem[];
}

const PROGRESS_STEP = 200;

/**
 * Phase 2: gives every crop its damage types, zone, area and text description, recomputed from
 * the defect labels and part overlaps with `taxonomy` (which may differ from the one phase 1 used,
 * so each defect's `type` is recomputed too). The damaged template is used when a crop lists
 * defects, the clean one otherwise.
 */
export function describeCrops<C extends ContextInputCrop>(
  crops: readonly C[],
  taxonomy: Taxonomy,
  options: DescribeCropsOptions = {},
): DescribeCropsResult<C> {
  const { enrich = false, countTokens, maxTokens = CLIP_MAX_TOKENS, onProgress = noProgress } = options;
  const normalizer = new TaxonomyNormalizer(taxonomy);
  const problems: Problem[] = [];
  const described = crops.map((crop, index) => {
    const defectTypes = crop.defects.map((defect) => normalizer.damageTypes(defect.label));
    const zone = zoneOfCrop(crop.part_overlaps, normalizer);
    if (crop.has_damage !== defectTypes.length > 0) {
      problems.push({
        item: crop.crop_id,
        stage: 'contexts',
        code: 'METADATA_INVALID',
        message: `has_damage is ${crop.has_damage} but the crop lists ${defectTypes.length} defects; described from its defects`,
      });
    }
    const text_description =
      defectTypes.length > 0 ? describeDamaged(defectTypes, zone, normalizer, enrich) : describeClean(zone, normalizer);
    const tokens = (countTokens ?? estimateClipTokens)(text_description);
    if (tokens > maxTokens) {
      problems.push({
        item: crop.crop_id,
        stage: 'contexts',
        code: 'TEXT_TRUNCATED',
        message: `description is ${countTokens ? '' : 'about '}${tokens} tokens, over the text model's ${maxTokens}: its end will be cut`,
      });
    }
    if ((index + 1) % PROGRESS_STEP === 0 || index + 1 === crops.length) {
      onProgress({ stage: 'contexts', done: index + 1, total: crops.length });
    }
    return {
      ...crop,
      defects: crop.defects.map((defect, i) => ({ ...defect, type: defectTypes[i]?.[0] ?? UNKNOWN })),
      damage_types: [...new Set(defectTypes.flat())],
      vehicle_zone: zone.vehicle_zone,
      area: zone.area,
      text_description,
    };
  });

  const unknownLabels = normalizer.unknownLabels();
  if (options.strict && unknownLabels.length > 0) {
    const list = unknownLabels.map(({ kind, label, count }) => `${kind} '${label}' (${count})`).join(', ');
    throw new DefectRagError(
      'LABEL_UNKNOWN',
      `Labels not in the taxonomy: ${list}. Add them to a taxonomy file (--taxonomy FILE) or run without --strict.`,
      { unknownLabels },
    );
  }
  problems.push(...unknownLabels.map(unknownLabelProblem));
  return { crops: described, unknownLabels, problems };
}

function unknownLabelProblem({ kind, label, count }: UnknownLabel): Problem {
  const message =
    kind === 'damage'
      ? `damage label (or part of a combined label) not in the taxonomy (${count} defects); typed '${UNKNOWN}' when nothing in it is known`
      : `part label not in the taxonomy (${count} crop overlaps); ignored for the crop's zone`;
  return { item: `${kind} label '${label}'`, stage: 'contexts', code: 'LABEL_UNKNOWN', message };
}
