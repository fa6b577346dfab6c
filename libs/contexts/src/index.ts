export {
  describeCrops,
  relabelCrops,
  relabelAndDescribe,
  type ContextInputCrop,
  type CropContext,
  type DescribeCropsOptions,
  type DescribeCropsResult,
} from './contexts';
export { describePhoto, type PhotoDefectContext } from './describe-photo';
export { CLIP_MAX_TOKENS, estimateClipTokens, type CountTokens } from './tokens';
export {
  PHASE2_METADATA_FILE,
  phase2MetadataSchema,
  phase2CropSchema,
  contextsSummarySchema,
  describePhase1,
  readPhase2Metadata,
  readPhase2Texts,
  phase2TextSchema,
  type Phase2Text,
  writePhase2Metadata,
  type Phase2Metadata,
  type Phase2Crop,
  type ContextsSummary,
} from './metadata';
