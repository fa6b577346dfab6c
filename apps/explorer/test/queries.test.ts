import { readFileSync } from 'node:fs';
import { buildSchema, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import * as queries from '../src/queries';
import * as runQueries from '../src/run-queries';

// The generator checks each marked string alone; this checks the strings as sent, fragments included.
const schema = buildSchema(readFileSync(new URL('../../api/schema.graphql', import.meta.url), 'utf8'));

describe('the operations the explorer sends', () => {
  const operations: [string, string][] = Object.entries({ ...queries, ...runQueries });

  it('are all here', () => {
    expect(operations.map(([name]) => name).sort()).toEqual([
      'BROWSE_CROPS',
      'CROP',
      'CROP_RAG_CONTEXT',
      'DATASETS_AND_RUNS',
      'MODEL',
      'RUN_DETAIL',
      'RUN_PROBLEMS',
      'SEARCH',
      'SEARCH_OPTIONS',
    ]);
  });

  it.each(operations)('%s is one valid operation of the API schema', (_name, source) => {
    const document = parse(source);
    expect(validate(schema, document)).toEqual([]);
    expect(document.definitions.filter((definition) => definition.kind === 'OperationDefinition')).toHaveLength(1);
  });
});
