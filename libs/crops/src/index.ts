export { cropConfig, cropConfigSchema, FILL_COLOR, type CropConfig } from './config';
export { planImageCrops, regionWindows, type ImagePlan, type PlanContext } from './plan';
export { balanceCrops } from './balance';
export { planPhoto, type PhotoDefect, type PhotoRecord } from './photo';
export { cutCrops, type CutOptions } from './cut';
export { cropDataset, planDatasetCrops, type CropDatasetOptions, type DatasetCropPlan } from './crop-dataset';
export {
  PHASE1_METADATA_FILE,
  phase1MetadataSchema,
  cropRecordSchema,
  cropDefectSchema,
  cropStrategySchema,
  readPhase1Metadata,
  writePhase1Metadata,
  type Phase1Metadata,
  type Phase1Summary,
  type CropRecord,
  type CropDefect,
  type CropStrategy,
} from './metadata';
