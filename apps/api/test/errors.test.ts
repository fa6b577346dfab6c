import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createLogger, DefectRagError, ERROR_CODES } from '@defect-rag/runtime';
import { apiCodeOf, errorFormatter } from '../src/errors';

const logger = createLogger('silent');
const formatted = {
  message: 'original',
  path: ['searchSimilar'],
  extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at secret.ts:1'] },
};

describe('error mapping', () => {
  it('gives every library error code an API code', () => {
    for (const code of ERROR_CODES) expect(apiCodeOf(new DefectRagError(code, 'x'))).toMatch(/^[A-Z_]+$/);
    expect(apiCodeOf(new DefectRagError('CROP_NOT_FOUND', 'x'))).toBe('NOT_FOUND');
    expect(apiCodeOf(new DefectRagError('QDRANT_UNAVAILABLE', 'x'))).toBe('UNAVAILABLE');
    expect(apiCodeOf(new DefectRagError('RUN_CONFLICT', 'x'))).toBe('CONFLICT');
    expect(apiCodeOf(new DefectRagError('IMAGE_TOO_LARGE', 'x'))).toBe('PAYLOAD_TOO_LARGE');
  });

  it('keeps the message of a library error and names its library code as the reason', () => {
    const error = new GraphQLError('wrapped', {
      path: ['searchSimilar'],
      originalError: new DefectRagError('CROP_NOT_FOUND', 'no crop "x" in the index'),
    });
    expect(errorFormatter(logger, true)(formatted, error)).toEqual({
      message: 'no crop "x" in the index',
      path: ['searchSimilar'],
      extensions: { code: 'NOT_FOUND', reason: 'CROP_NOT_FOUND' },
    });
  });

  it('in production, answers an unexpected failure without its message or stack; in development, with them', () => {
    const error = new GraphQLError('wrapped', {
      path: ['searchSimilar'],
      originalError: new Error('relation "runs" does not exist at SELECT * FROM secret'),
    });
    const production = errorFormatter(logger, true)({ ...formatted, message: error.originalError!.message }, error);
    expect(production.message).not.toContain('secret');
    expect(production.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
    const development = errorFormatter(logger, false)({ ...formatted, message: error.originalError!.message }, error);
    expect(development.message).toContain('relation "runs" does not exist');
  });
});
