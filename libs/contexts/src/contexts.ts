import { DefectRagError, noProgress, type Problem, type ProgressListener } from '@defect-rag/runtime';
import {
  labelCrop,
  TaxonomyNormalizer,
  UNKNOWN,
  type CropLabels,
  type PartOverlap,
  type Taxonomy,
  type UnknownLabel,
} from '@defect-rag/taxonomy';
import { describeClean, describeDamaged, describeUnlabelled } from './describe';
import { CLIP_MAX_TOKENS, estimateClipTokens, type CountTokens } from './tokens';

/** What phase 2 reads from a phase-1 crop, labelled by the taxonomy; every other field is carried over unchanged. */
export interface ContextInputCrop {
  crop_id: string;
  /** Null for a window of an unlabelled photo. */
  has_damage: boolean | null;
  defects: readonly { types: readonly string[] }[];
  vehicle_zone: string;
  area: string;
}

/** What phase 2 adds to each crop. */
export interface CropContext {
  /** The text the CLIP text encoder reads for this crop. */
  text_description: string;
}

export interface DescribeCropsOptions {
  /** Add each damage type's visual description to damaged crops' text. Off by default. */
  enrich?: boolean;
  /** The text model's token count; without it, `estimateClipTokens`. */
  countTokens?: CountTokens;
  /** The text model's context length. */
  maxTokens?: number;
  onProgress?: ProgressListener;
}

export interface DescribeCropsResult<C extends ContextInputCrop> {
  crops: (C & CropContext)[];
  /** Over-long descriptions and crops whose has_damage contradicts their defects. */
  problems: Problem[];
}

const PROGRESS_STEP = 200;

/**
 * Phase 2: writes every crop's text description from the damage types, zone and area phase 1
 * labelled it with (`labelCrop` of @defect-rag/taxonomy); `taxonomy` gives the words. The damaged
 * template is used when a crop lists defects, the clean one otherwise, and a window of an
 * unlabelled photo (`has_damage` null) is described by its zone alone, claiming neither.
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
    const defectTypes = crop.defects.map((defect) => defect.types);
    if (crop.has_damage !== null && crop.has_damage !== defectTypes.length > 0) {
      problems.push({
        item: crop.crop_id,
        stage: 'contexts',
        code: 'METADATA_INVALID',
        message: `has_damage is ${crop.has_damage} but the crop lists ${defectTypes.length} defects; described from its defects`,
      });
    }
    const text_description =
      defectTypes.length > 0
        ? describeDamaged(defectTypes, crop, normalizer, enrich)
        : crop.has_damage === null
          ? describeUnlabelled(crop, normalizer)
          : describeClean(crop, normalizer);
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
    return { ...crop, text_description };
  });
  return { crops: described, problems };
}

/**
 * Labels phase-1 crops again with `taxonomy` (phase 2 may be given another taxonomy than phase 1
 * was): each crop's defects' types, damage types, zone and area, with `labelCrop`. Labels the
 * taxonomy does not know come back as problems, or fail (LABEL_UNKNOWN) with `strict`.
 */
export function relabelCrops<
  C extends { defects: readonly { label: string }[]; part_overlaps: readonly PartOverlap[] },
>(
  crops: readonly C[],
  taxonomy: Taxonomy,
  { strict = false }: { strict?: boolean } = {},
): { crops: (C & CropLabels<C['defects'][number]>)[]; unknownLabels: UnknownLabel[]; problems: Problem[] } {
  const normalizer = new TaxonomyNormalizer(taxonomy);
  const relabelled = crops.map((crop) => ({ ...crop, ...labelCrop(crop.defects, crop.part_overlaps, normalizer) }));
  const unknownLabels = normalizer.unknownLabels();
  if (strict && unknownLabels.length > 0) {
    const list = unknownLabels.map(({ kind, label, count }) => `${kind} '${label}' (${count})`).join(', ');
    throw new DefectRagError(
      'LABEL_UNKNOWN',
      `Labels not in the taxonomy: ${list}. Add them to a taxonomy file (--taxonomy FILE) or run without --strict.`,
      { unknownLabels },
    );
  }
  return { crops: relabelled, unknownLabels, problems: unknownLabels.map(unknownLabelProblem) };
}

/** Phase 2 with a taxonomy of its own, as the contexts stage runs it: `relabelCrops`, then `describeCrops`. */
export function relabelAndDescribe<
  C extends ContextInputCrop & { defects: readonly { label: string }[]; part_overlaps: readonly PartOverlap[] },
>(crops: readonly C[], taxonomy: Taxonomy, options: DescribeCropsOptions & { strict?: boolean } = {}) {
  const labelled = relabelCrops(crops, taxonomy, options);
  const described = describeCrops(labelled.crops, taxonomy, options);
  return {
    crops: described.crops,
    unknownLabels: labelled.unknownLabels,
    problems: [...described.problems, ...labelled.problems],
  };
}

function unknownLabelProblem({ kind, label, count }: UnknownLabel): Problem {
  const message =
    kind === 'damage'
      ? `damage label (or part of a combined label) not in the taxonomy (${count} defects); typed '${UNKNOWN}' when nothing in it is known`
      : `part label not in the taxonomy (${count} crop overlaps); ignored for the crop's zone`;
  return { item: `${kind} label '${label}'`, stage: 'contexts', code: 'LABEL_UNKNOWN', message };
}
