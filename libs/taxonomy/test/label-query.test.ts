import { describe, expect, it } from 'vitest';
import { loadTaxonomy, parseLabelQuery } from '../src/index';

const taxonomy = loadTaxonomy();

describe('parseLabelQuery', () => {
  it('reads damage types by name, plural and Spanish synonym, skipping joining words', () => {
    expect(parseLabelQuery(taxonomy, 'rayón')).toEqual({ damageTypes: ['scratch'], zones: [] });
    expect(parseLabelQuery(taxonomy, 'scratches and dents')).toEqual({ damageTypes: ['scratch', 'dent'], zones: [] });
  });

  it('reads zones by name and by part label, and the longest name first', () => {
    expect(parseLabelQuery(taxonomy, 'rayón en el front bumper')).toEqual({
      damageTypes: ['scratch'],
      zones: ['front'],
    });
    expect(parseLabelQuery(taxonomy, 'dent on the left side')).toEqual({ damageTypes: ['dent'], zones: ['left_side'] });
    expect(parseLabelQuery(taxonomy, 'deep scratch').damageTypes).toEqual(['deep_scratch']);
  });

  it('refuses a word the taxonomy does not know, listing the vocabulary', () => {
    expect(() => parseLabelQuery(taxonomy, 'scratch with sparkles')).toThrow(
      expect.objectContaining({
        code: 'BAD_INPUT',
        message: expect.stringMatching(/"sparkles".*Damage types: scratch/),
      }),
    );
    expect(() => parseLabelQuery(taxonomy, 'on the')).toThrow(/names no damage type or zone/);
  });
});
