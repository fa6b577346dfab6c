import { loadConfig, toDefectRagError, type ErrorCode, type Problem } from '@defect-rag/runtime';

/**
 * Exit codes by error code, in one place. 2: the input or configuration is wrong; 3: a server or
 * the model could not be used; 4: the run was cancelled; 1: anything else.
 */
const EXIT_CODES: Record<ErrorCode, number> = {
  CONFIG_INVALID: 2,
  PLATFORM_UNSUPPORTED: 3,
  SERVER_START_FAILED: 3,
  DATA_DIR_BUSY: 3,
  BINARY_CHECKSUM_MISMATCH: 3,
  DATABASE_UNAVAILABLE: 3,
  MIGRATION_FAILED: 3,
  QDRANT_UNAVAILABLE: 3,
  COLLECTION_MISMATCH: 2,
  COLLECTION_NOT_FOUND: 2,
  DATASET_NOT_FOUND: 2,
  DATASET_INVALID: 2,
  DATASET_FORBIDDEN: 2,
  DATASET_CONFLICT: 2,
  ANNOTATION_INVALID: 2,
  POLYGONS_INVALID: 2,
  IMAGE_NOT_FOUND: 2,
  IMAGE_DECODE_FAILED: 2,
  IMAGE_TOO_LARGE: 2,
  POLYGON_INVALID: 2,
  POLYGON_OUT_OF_BOUNDS: 2,
  DEFECT_ZERO_AREA: 2,
  LABEL_UNKNOWN: 2,
  TAXONOMY_INVALID: 2,
  METADATA_INVALID: 2,
  SPLIT_INVALID: 2,
  MODEL_NOT_FOUND: 2,
  MODEL_INVALID: 2,
  EXECUTION_PROVIDER_UNAVAILABLE: 3,
  TEXT_TRUNCATED: 2,
  EMBEDDING_FAILED: 1,
  MODE_UNSUPPORTED: 2,
  RUN_NOT_FOUND: 2,
  REPORT_NOT_FOUND: 2,
  RUN_CANCELLED: 4,
  RUN_CONFLICT: 2,
  WORKER_MODEL_MISMATCH: 2,
  WORKER_CONFIG_MISMATCH: 2,
  CROP_NOT_FOUND: 2,
  PHOTO_NOT_FOUND: 2,
  LABEL_NOT_FOUND: 2,
  LABEL_FORBIDDEN: 2,
  BAD_INPUT: 2,
  PAYLOAD_TOO_LARGE: 2,
  UNAUTHENTICATED: 2,
  INTERNAL: 1,
};

/**
 * Prints an error as `error [CODE]: message` on stderr (and, for `--json`, as
 * `{"error": {code, message, details}}` on stdout, where the command's JSON would have been) and
 * returns the exit code for it.
 */
export function reportError(error: unknown, { json = false } = {}): number {
  const failure = toDefectRagError(error);
  process.stderr.write(`error [${failure.code}]: ${failure.message}\n`);
  if (json) {
    const body = { error: { code: failure.code, message: failure.message, details: failure.details } };
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  }
  if (failure.code === 'INTERNAL' && failure.cause instanceof Error && failure.cause.stack && stackTraces()) {
    process.stderr.write(`${failure.cause.stack}\n`);
  }
  return EXIT_CODES[failure.code];
}

/** DEFECT_RAG_STACK_TRACES; false when the configuration itself is what failed. */
function stackTraces(): boolean {
  try {
    return loadConfig().stackTraces;
  } catch {
    return false;
  }
}

/** The problems block of a command's summary: one line per problem, grouped by code. */
export function formatProblems(problems: readonly Problem[], max = 20): string {
  if (problems.length === 0) return 'problems: none';
  const lines = [`problems: ${problems.length}`];
  for (const problem of problems.slice(0, max)) {
    lines.push(`  [${problem.code}] ${problem.item} (${problem.stage}): ${problem.message}`);
  }
  if (problems.length > max) lines.push(`  … and ${problems.length - max} more (see the output files)`);
  return lines.join('\n');
}
