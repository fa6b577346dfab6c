import { describe, expect, it } from 'vitest';
import { toSourceBox } from '../src/components/region-picker';
import { DEFAULT_SETTINGS, toSimilarityQuery, type QuerySource, type SearchSettings } from '../src/search-query';
import {
  excludePhoto,
  giveFeedback,
  hasNextPage,
  NO_REFINEMENTS,
  refineQuery,
  withdrawFeedback,
} from '../src/refinements';
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

  const file = new File([new Uint8Array([1])], 'q.jpg', { type: 'image/jpeg' });
  const image: QuerySource = { kind: 'image', file, preview: 'blob:x', region: null, text: '', alpha: null };

  it('asks for whole photos only when Photos is chosen, keeping refinements and paging', () => {
    expect(toSimilarityQuery({ kind: 'text', text: 'dent' }, settings)).not.toHaveProperty('level');
    const photos = toSimilarityQuery({ kind: 'crop', id: 'photo:p1' }, { ...settings, level: 'PHOTO' });
    expect(photos).toEqual({ cropId: 'photo:p1', mode: 'FUSED', level: 'PHOTO', limit: 12 });
    expect(refineQuery(photos, { ...NO_REFINEMENTS, offset: 12 })).toMatchObject({ level: 'PHOTO', offset: 12 });
  });

  it('leaves the image variable for the multipart file', () => {
    expect(toSimilarityQuery(image, { ...settings, minScore: 'abc' })).toEqual({
      image: null,
      mode: 'FUSED',
      limit: 12,
    });
  });

  it('sends an image with its region, its description (hybrid) and α only once moved', () => {
    const region = { x: 410, y: 220, width: 180, height: 120 };
    expect(toSimilarityQuery({ ...image, region, text: ' dent ' }, settings)).toEqual({
      image: null,
      region: { box: region },
      text: 'dent',
      mode: 'FUSED',
      limit: 12,
    });
    expect(toSimilarityQuery({ ...image, text: 'dent', alpha: 0.7 }, settings)).toMatchObject({
      text: 'dent',
      alpha: 0.7,
    });
    // α weighs an image against a text: without a text it is not sent (the API refuses it).
    expect(toSimilarityQuery({ ...image, alpha: 0.7 }, settings)).not.toHaveProperty('alpha');
  });

  it('asks for one crop per photo when the box is ticked', () => {
    expect(toSimilarityQuery({ kind: 'crop', id: 'c1' }, { ...settings, onePerPhoto: true })).toMatchObject({
      onePerPhoto: true,
    });
    expect(toSimilarityQuery({ kind: 'crop', id: 'c1' }, settings)).not.toHaveProperty('onePerPhoto');
  });
});

describe('refinements', () => {
  const query = toSimilarityQuery({ kind: 'text', text: 'dent' }, settings);

  it('adds nothing until the user refines', () => {
    expect(refineQuery(query, NO_REFINEMENTS)).toEqual(query);
  });

  it('keeps a crop in one feedback list, and goes back to the first page', () => {
    let refinements = { ...NO_REFINEMENTS, offset: 24 };
    refinements = giveFeedback(refinements, 'a', 'positive');
    refinements = giveFeedback(refinements, 'b', 'negative');
    expect(refineQuery(query, refinements)).toEqual({ ...query, positiveCropIds: ['a'], negativeCropIds: ['b'] });
    refinements = giveFeedback(refinements, 'a', 'negative');
    expect(refinements).toMatchObject({ positiveCropIds: [], negativeCropIds: ['b', 'a'] });
    expect(withdrawFeedback(refinements, 'b').negativeCropIds).toEqual(['a']);
  });

  it('excludes photos and lets them back in', () => {
    const excluded = excludePhoto(excludePhoto(NO_REFINEMENTS, 'p1'), 'p2');
    expect(refineQuery(query, { ...excluded, offset: 12 })).toEqual({
      ...query,
      excludePhotoIds: ['p1', 'p2'],
      offset: 12,
    });
    expect(excludePhoto(excluded, 'p1', false).excludePhotoIds).toEqual(['p2']);
  });

  it('offers a next page only after a full one, within offset + limit ≤ 100', () => {
    expect(hasNextPage(0, 12, 12)).toBe(true);
    expect(hasNextPage(0, 12, 7)).toBe(false);
    expect(hasNextPage(76, 12, 12)).toBe(true); // the next is 88…99
    expect(hasNextPage(88, 12, 12)).toBe(false);
  });
});

describe('toSourceBox', () => {
  it('turns a drag in displayed pixels into a box in source pixels, whichever way it went', () => {
    const displayed = { width: 300, height: 200 };
    const natural = { width: 1200, height: 800 };
    const box = { x: 200, y: 120, width: 400, height: 200 };
    expect(toSourceBox({ x: 50, y: 30 }, { x: 150, y: 80 }, displayed, natural)).toEqual(box);
    expect(toSourceBox({ x: 150, y: 80 }, { x: 50, y: 30 }, displayed, natural)).toEqual(box);
  });

  it('clamps a drag that leaves the photo', () => {
    expect(
      toSourceBox({ x: -20, y: 190 }, { x: 40, y: 260 }, { width: 300, height: 200 }, { width: 600, height: 400 }),
    ).toEqual({ x: 0, y: 380, width: 80, height: 20 });
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
