import type { GraphQLFormattedError } from 'graphql';
import { GraphQLError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { DefectRagError, type ErrorCode, type Logger } from '@defect-rag/runtime';

/**
 * The `extensions.code` values of this API. Apollo's own (GRAPHQL_PARSE_FAILED,
 * GRAPHQL_VALIDATION_FAILED, BAD_REQUEST…) pass through unchanged.
 */
export type ApiErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'UNAVAILABLE'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'QUERY_TOO_COMPLEX'
  | 'TIMEOUT'
  | 'INTERNAL_SERVER_ERROR';

/**
 * The one place where the libraries' error codes become API codes. The library code stays visible
 * as `extensions.reason`, so a client can tell CROP_NOT_FOUND from DATASET_NOT_FOUND.
 */
const API_CODES: Record<ErrorCode, ApiErrorCode> = {
  CONFIG_INVALID: 'INTERNAL_SERVER_ERROR',
  PLATFORM_UNSUPPORTED: 'UNAVAILABLE',
  SERVER_START_FAILED: 'UNAVAILABLE',
  DATA_DIR_BUSY: 'UNAVAILABLE',
  BINARY_CHECKSUM_MISMATCH: 'UNAVAILABLE',
  DATABASE_UNAVAILABLE: 'UNAVAILABLE',
  MIGRATION_FAILED: 'UNAVAILABLE',
  QDRANT_UNAVAILABLE: 'UNAVAILABLE',
  COLLECTION_MISMATCH: 'UNAVAILABLE',
  COLLECTION_NOT_FOUND: 'NOT_FOUND',
  DATASET_NOT_FOUND: 'NOT_FOUND',
  DATASET_INVALID: 'BAD_USER_INPUT',
  DATASET_FORBIDDEN: 'FORBIDDEN',
  DATASET_CONFLICT: 'CONFLICT',
  ANNOTATION_INVALID: 'BAD_USER_INPUT',
  POLYGONS_INVALID: 'BAD_USER_INPUT',
  IMAGE_NOT_FOUND: 'NOT_FOUND',
  IMAGE_DECODE_FAILED: 'BAD_USER_INPUT',
  IMAGE_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  POLYGON_INVALID: 'BAD_USER_INPUT',
  POLYGON_OUT_OF_BOUNDS: 'BAD_USER_INPUT',
  DEFECT_ZERO_AREA: 'BAD_USER_INPUT',
  LABEL_UNKNOWN: 'BAD_USER_INPUT',
  TAXONOMY_INVALID: 'BAD_USER_INPUT',
  METADATA_INVALID: 'BAD_USER_INPUT',
  SPLIT_INVALID: 'BAD_USER_INPUT',
  MODEL_NOT_FOUND: 'UNAVAILABLE',
  MODEL_INVALID: 'UNAVAILABLE',
  EXECUTION_PROVIDER_UNAVAILABLE: 'UNAVAILABLE',
  TEXT_TRUNCATED: 'BAD_USER_INPUT',
  EMBEDDING_FAILED: 'INTERNAL_SERVER_ERROR',
  MODE_UNSUPPORTED: 'BAD_USER_INPUT',
  RUN_NOT_FOUND: 'NOT_FOUND',
  REPORT_NOT_FOUND: 'NOT_FOUND',
  RUN_CANCELLED: 'CONFLICT',
  RUN_CONFLICT: 'CONFLICT',
  WORKER_MODEL_MISMATCH: 'CONFLICT',
  WORKER_CONFIG_MISMATCH: 'CONFLICT',
  CROP_NOT_FOUND: 'NOT_FOUND',
  PHOTO_NOT_FOUND: 'NOT_FOUND',
  BAD_INPUT: 'BAD_USER_INPUT',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  INTERNAL: 'INTERNAL_SERVER_ERROR',
};

/** HTTP statuses for errors answered outside GraphQL execution (routes, upload parsing, auth). */
export const HTTP_STATUS: Record<ApiErrorCode, number> = {
  BAD_USER_INPUT: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNAVAILABLE: 503,
  PAYLOAD_TOO_LARGE: 413,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  QUERY_TOO_COMPLEX: 400,
  TIMEOUT: 504,
  INTERNAL_SERVER_ERROR: 500,
};

export function apiCodeOf(error: DefectRagError): ApiErrorCode {
  return API_CODES[error.code];
}

/** An error the API raises itself (auth, limits, timeouts), with its HTTP status for Apollo. */
export function apiError(code: ApiErrorCode, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code, http: { status: HTTP_STATUS[code] } } });
}

const INTERNAL_MESSAGE = 'internal server error (the server log has the details)';

/**
 * Apollo's `formatError`: library errors get their API code and keep their message (written for
 * users); anything unexpected is logged with its stack and, in production, answered without its
 * message, which may carry internals (SQL, paths).
 */
export function errorFormatter(logger: Logger, production: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof DefectRagError) {
      const code = apiCodeOf(original);
      if (code === 'INTERNAL_SERVER_ERROR')
        logger.error({ err: original, path: formatted.path }, 'GraphQL request failed');
      const message = code === 'INTERNAL_SERVER_ERROR' && production ? INTERNAL_MESSAGE : original.message;
      return {
        ...formatted,
        message,
        extensions: { ...stripInternals(formatted.extensions, production), code, reason: original.code },
      };
    }
    if (formatted.extensions?.code !== 'INTERNAL_SERVER_ERROR')
      return { ...formatted, extensions: stripInternals(formatted.extensions, production) };
    logger.error({ err: original, path: formatted.path }, 'GraphQL request failed');
    return {
      ...formatted,
      message: production ? INTERNAL_MESSAGE : formatted.message,
      extensions: stripInternals(formatted.extensions, production),
    };
  };
}

function stripInternals(
  extensions: GraphQLFormattedError['extensions'],
  production: boolean,
): GraphQLFormattedError['extensions'] {
  if (!production || !extensions) return extensions;
  // Apollo already drops `stacktrace` in production; `exception` is where older plugins put causes.
  const { stacktrace: _stacktrace, exception: _exception, ...rest } = extensions;
  return rest;
}

/** The JSON body for errors answered outside GraphQL, shaped like a GraphQL response. */
export function errorBody(code: ApiErrorCode, message: string, reason?: string): { errors: GraphQLFormattedError[] } {
  return { errors: [{ message, extensions: { code, ...(reason ? { reason } : {}) } }] };
}
