import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printApiSchema } from '../src';

describe('apps/api/schema.graphql', () => {
  it('is the schema the code builds (run `npm run -w @defect-rag/api schema` after changing a type)', async () => {
    const committed = readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8');
    expect(committed, 'apps/api/schema.graphql is stale: run `npm run -w @defect-rag/api schema`').toBe(
      await printApiSchema(),
    );
  });

  it('has the names clients and agents rely on', async () => {
    const schema = await printApiSchema();
    expect(schema).toContain('searchSimilar(query: SimilarityQuery!): [SimilarCrop!]!');
    expect(schema).toMatch(/ragContext\(format: RagContextFormat! = TEXT, query: SimilarityQuery!\): RagContext!/);
    for (const field of [
      'id',
      'hasDamage',
      'vehicleZone',
      'area',
      'damageTypes',
      'defects',
      'textDescription',
      'sourceImage',
      'box',
      'imageUrl',
      'datasetId',
      'split',
    ]) {
      expect(schema).toMatch(new RegExp(`type Crop \\{[^}]*\\n  ${field}: `));
    }
  });
});
