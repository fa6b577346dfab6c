export { ERROR_CODES, DefectRagError, isDefectRagError, toDefectRagError, type ErrorCode } from './errors';
export type { Problem, Stage } from './problem';
export { noProgress, type ProgressEvent, type ProgressListener } from './progress';
export { workspaceRoot, sharedDir, sampleDatasetDir } from './paths';
export { createLogger, type Logger, type LogFormat } from './logger';
export { apiDatasetRoots, loadConfig, type Config } from './config';
export { mulberry32 } from './random';
export { readJsonFile, type ReadJsonOptions } from './json';
export { VECTOR_KINDS, TOWERS, vectorKindsFor, isVectorKind, type VectorKind, type Tower } from './vector-kinds';
