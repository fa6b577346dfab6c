export { loadModel, Embedder, type LoadModelOptions } from './embedder';
export { fuse, fusionImageWeight, type FusionOptions, type FusionStrategy } from './fusion';
export type { Precision } from './model-folder';
export type { ImageInput } from './preprocess';
export type { ExecutionProvider } from './towers';
export {
  EMBEDDINGS_DIR,
  VECTOR_KINDS,
  embeddingsIndexSchema,
  readEmbeddings,
  writeEmbeddings,
  type EmbeddingsIndex,
  type VectorKind,
  type WriteEmbeddingsOptions,
  type WriteEmbeddingsResult,
} from './phase3';
