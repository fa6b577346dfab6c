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
    // Arguments in alphabetical order, each possibly with its description.
    expect(schema).toMatch(
      /ragContext\(\s+format: RagContextFormat! = TEXT\s+(?:"""[^"]*"""\s+)?maxCharacters: Int\s+(?:"""[^"]*"""\s+)?normalReferences: Int! = 0\s+query: SimilarityQuery!\s+\): RagContext!/,
    );
    expect(schema).toContain('zoneDamageTypes: [ZoneDamageTypeCount!]!');
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
