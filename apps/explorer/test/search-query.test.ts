import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, toSimilarityQuery, type SearchSettings } from '../src/pages/search-page';
import { href, parseRoute } from '../src/router';

// The form as the page starts: no filter, fused mode, the default model, 12 results.
const settings: SearchSettings = DEFAULT_SETTINGS;

describe('toSimilarityQuery', () => {
  it('sends no filter when nothing narrows the search', () => {
    expect(toSimilarityQuery({ kind: 'text', text: 'dent' }, settings)).toEqual({
      text: 'dent',
      mode: 'FUSED',
      limit: 12,
    });
  });

  it('turns the form into the API filter, leaving out what is not set', () => {
    const query = toSimilarityQuery(
      { kind: 'crop', id: 'c1' },
      { ...settings, damage: 'clean', zones: ['front'], split: 'test', mode: 'IMAGE', limit: 5, minScore: '0.25' },
    );
    expect(query).toEqual({
      cropId: 'c1',
      filter: { hasDamage: false, zones: ['front'], split: 'test' },
      mode: 'IMAGE',
      limit: 5,
      minScore: 0.25,
    });
    expect(
      toSimilarityQuery({ kind: 'text', text: 'x' }, { ...settings, damage: 'damaged', damageTypes: ['dent'] }).filter,
    ).toEqual({ hasDamage: true, damageTypes: ['dent'] });
  });

  it('leaves the image variable for the multipart file', () => {
    const file = new File([new Uint8Array([1])], 'q.jpg', { type: 'image/jpeg' });
    expect(toSimilarityQuery({ kind: 'image', file, preview: 'blob:x' }, { ...settings, minScore: 'abc' })).toEqual({
      image: null,
      mode: 'FUSED',
      limit: 12,
    });
  });
});

describe('toSimilarityQuery and the model', () => {
  it('names the chosen model, and none for the default', () => {
    expect(toSimilarityQuery({ kind: 'crop', id: 'c1' }, settings)).not.toHaveProperty('model');
    expect(
      toSimilarityQuery({ kind: 'crop', id: 'c1' }, { ...settings, model: 'org/image-only', mode: 'IMAGE' }),
    ).toEqual({
      cropId: 'c1',
      mode: 'IMAGE',
      model: 'org/image-only',
      limit: 12,
    });
  });
});

describe('routes', () => {
  it('round-trip through the hash, ids with URL characters included', () => {
    for (const route of [
      { page: 'search', similarTo: null },
      { page: 'search', similarTo: 'a/b?c' },
      { page: 'crop', id: 'cdd_1_cluster_0c2e5c66d2' },
      { page: 'runs' },
      { page: 'run', id: '8e50219e-551a-45ef-b7a5-4f51cb507b73' },
    ] as const) {
      expect(parseRoute(href(route))).toEqual(route);
    }
  });

  it('falls back to the search page', () => {
    expect(parseRoute('')).toEqual({ page: 'search', similarTo: null });
    expect(parseRoute('#/nowhere')).toEqual({ page: 'search', similarTo: null });
  });
});
