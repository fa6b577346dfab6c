export type { Dataset, DatasetImage, Defect } from './model';
export {
  readDataset,
  checkDatasetFolder,
  imageId,
  safeName,
  DEFAULT_ANNOTATION_PATTERN,
  type ReadDatasetOptions,
} from './read-dataset';
export { POLYGONS_FILE } from './polygons-file';
export {
  analyzeDataset,
  formatReportMarkdown,
  type AnalyzeOptions,
  type DatasetReport,
  type Distribution,
  type SizeBin,
} from './analyze';
export {
  splitDataset,
  readSplitFile,
  splitFileSchema,
  splitHash,
  SPLIT_FILE,
  type SplitFile,
  type SplitName,
  type SplitOptions,
} from './split';
export type { DefectClassifier } from './classify';
export {
  areaInside,
  clipPolygon,
  partOverlaps,
  pixelBox,
  polygonArea,
  polygonBox,
  pixelRegion,
  regionArea,
  unionBox,
  type Box,
  type Part,
  type PartOverlap,
  type PixelRegion,
  type Point,
  type Polygon,
} from './geometry';
export { mapConcurrent } from './concurrency';
export { seededRandom, seededShuffle, stratifiedSample } from './random';
export { withAnalystLabels, mergedLabelMe, annotationPathOf, type AnalystShape } from './analyst-labels';
