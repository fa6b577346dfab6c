import { describe, expect, it } from 'vitest';
import { collectionNameFor, pointIdForCrop } from '../src';

describe('pointIdForCrop', () => {
  it('is the RFC 9562 UUID v5 of the crop id in the project namespace', () => {
    // Reference values from Python: uuid.uuid5(uuid.UUID('8e5e721b-16a5-4334-887b-23d8bfc80e13'), crop_id).
    // A change here would give every stored crop a new id, so re-runs would duplicate points.
    expect(pointIdForCrop('ds-a/img-1/crop-0')).toBe('0c459005-dc17-5889-a10a-be7e69790878');
    expect(pointIdForCrop('')).toBe('6535f119-c1fd-57a8-a5f5-b59e5ac5cb92');
  });

  it('gives distinct crops distinct ids and non-ASCII ids a valid UUID', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => pointIdForCrop(`dataset/imagen-ñ/${i}`));
    expect(new Set(ids).size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('collectionNameFor', () => {
  it('is crops_<model slug>_<dimension>', () => {
    expect(collectionNameFor('facebook/metaclip-b32-400m', 512)).toBe('crops_facebook-metaclip-b32-400m_512');
    expect(collectionNameFor('  Tiny CLIP (test) ', 64)).toBe('crops_tiny-clip-test_64');
  });

  it('keeps a name for models whose id has no letters or digits, and bounds its length', () => {
    expect(collectionNameFor('///', 8)).toBe('crops_model_8');
    expect(collectionNameFor('x'.repeat(500), 1024).length).toBeLessThanOrEqual(140);
  });
});
