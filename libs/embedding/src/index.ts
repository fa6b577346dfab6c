export { loadModel, Embedder, type LoadModelOptions } from './embedder';
export { fuse, fusionImageWeight, type FusionOptions, type FusionStrategy } from './fusion';
export type { Precision } from './model-folder';
export type { ImageInput } from './preprocess';
export type { ExecutionProvider } from './towers';
