import type { GraphQLFormattedError } from 'graphql';
import { GraphQLError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { apiCodeOf, HTTP_STATUS, type ApiErrorCode } from '@defect-rag/interface';
import { DefectRagError, type Logger } from '@defect-rag/runtime';

export { apiCodeOf, HTTP_STATUS, type ApiErrorCode };

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
