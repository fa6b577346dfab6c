export { loadModel, Embedder, type LoadModelOptions } from './embedder';
export { fuse, fusionImageWeight, type FusionOptions, type FusionStrategy, type VectorSpace } from './fusion';
export { embedCrops, type CropToEmbed, type CropVectors } from './embed-crops';
export {
  DEFAULT_PHOTO_VIEW,
  embedPhotoImage,
  embedPhotos,
  photoTiles,
  photoTileSize,
  MAX_PHOTO_TILES,
  PHOTO_VIEWS,
  type PhotoToEmbed,
  type PhotoView,
} from './embed-photos';
export type { Precision, VectorDimensions } from './model-folder';
export type { ImageInput } from './preprocess';
export type { ExecutionProvider } from './towers';
export {
  EMBEDDINGS_DIR,
  EMBEDDINGS_INDEX_FILE,
  embeddingsIndexSchema,
  readEmbeddings,
  writeEmbeddings,
  type EmbeddingsIndex,
  type WriteEmbeddingsOptions,
  type WriteEmbeddingsResult,
} from './phase3';
export { fitWhitening, applyWhitening, applyWhiteningTo, type Whitening, type WhiteningOptions } from './whitening';
export { ADAPTER_FILE, type AdapterConfig } from './adapter';
export { writeAdaptedModel, type AdapterProvenance } from './adapted-model';
// The ONNX writer behind the adapter's products, shared with tools/inception-v3's converter.
export { encodeModel, type Node, type Tensor } from './onnx-proto';
export {
  trainProjection,
  type AdapterTrainingOptions,
  type LabelledVector,
  type TrainedProjection,
} from './adapter-training';
