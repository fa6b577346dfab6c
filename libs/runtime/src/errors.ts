/**
 * Every failure the libraries report carries one of these codes. The API maps them to GraphQL
 * `extensions.code` and the CLI to exit codes, each in one place, so add a code here rather than
 * matching on messages anywhere.
 */
export const ERROR_CODES = [
  'CONFIG_INVALID',
  'PLATFORM_UNSUPPORTED',
  'SERVER_START_FAILED',
  'DATA_DIR_BUSY',
  'BINARY_CHECKSUM_MISMATCH',
  'DATABASE_UNAVAILABLE',
  'MIGRATION_FAILED',
  'QDRANT_UNAVAILABLE',
  'COLLECTION_MISMATCH',
  'COLLECTION_NOT_FOUND',
  'DATASET_NOT_FOUND',
  'DATASET_INVALID',
  'DATASET_FORBIDDEN',
  'DATASET_CONFLICT',
  'ANNOTATION_INVALID',
  'POLYGONS_INVALID',
  'IMAGE_NOT_FOUND',
  'IMAGE_DECODE_FAILED',
  'IMAGE_TOO_LARGE',
  'POLYGON_INVALID',
  'POLYGON_OUT_OF_BOUNDS',
  'DEFECT_ZERO_AREA',
  'LABEL_UNKNOWN',
  'TAXONOMY_INVALID',
  'METADATA_INVALID',
  'SPLIT_INVALID',
  'MODEL_NOT_FOUND',
  'MODEL_INVALID',
  'EXECUTION_PROVIDER_UNAVAILABLE',
  'TEXT_TRUNCATED',
  'EMBEDDING_FAILED',
  'MODE_UNSUPPORTED',
  'RUN_NOT_FOUND',
  'REPORT_NOT_FOUND',
  'RUN_CANCELLED',
  'RUN_CONFLICT',
  'WORKER_MODEL_MISMATCH',
  'WORKER_CONFIG_MISMATCH',
  'CROP_NOT_FOUND',
  'PHOTO_NOT_FOUND',
  'LABEL_NOT_FOUND',
  'LABEL_FORBIDDEN',
  'BAD_INPUT',
  'PAYLOAD_TOO_LARGE',
  'UNAUTHENTICATED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class DefectRagError extends Error {
  override readonly name = 'DefectRagError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isDefectRagError(error: unknown, code?: ErrorCode): error is DefectRagError {
  return error instanceof DefectRagError && (code === undefined || error.code === code);
}

/** Wraps anything thrown into a DefectRagError, keeping the original as `cause`. */
export function toDefectRagError(error: unknown, fallback: ErrorCode = 'INTERNAL'): DefectRagError {
  if (error instanceof DefectRagError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new DefectRagError(fallback, message, {}, { cause: error });
}
