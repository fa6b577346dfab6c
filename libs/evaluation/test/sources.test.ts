import { describe, expect, it } from 'vitest';
import type { CropPayload } from '@defect-rag/vector-store';
import { CRITERIA } from '../src/relevance';
import type { SearchSpec } from '../src/protocol';
import { labelsOf, type EvaluationCrop } from '../src/retrieval';
import { NO_SOURCE, sourceNamer, withinSources } from '../src/sources';

describe('sourceNamer', () => {
  it('names the source by the stem up to the first _ by default', () => {
    const sourceOf = sourceNamer();
    expect(sourceOf('images/lns_0042_b.jpg')).toBe('lns');
    expect(sourceOf('/data/typed/images/ilj_7.JPG')).toBe('ilj');
    expect(sourceOf('images/plain.jpg')).toBe(NO_SOURCE);
  });

  it('takes the first group of a given pattern, else its whole match', () => {
    expect(sourceNamer('^[a-z]+')('images/cam12.jpg')).toBe('cam');
    expect(sourceNamer('-(\\w+)$')('images/car-7-front.jpg')).toBe('front');
  });

  it('refuses a pattern that is not a regular expression, naming it', () => {
    expect(() => sourceNamer('([')).toThrow(expect.objectContaining({ code: 'BAD_INPUT' }));
    expect(() => sourceNamer('([')).toThrow(/source pattern "\(\["/);
  });
});

function crop(id: string, image: string, types: string[], vector: number[]): EvaluationCrop {
  const payload = {
    crop_id: id,
    image_id: image,
    image: `images/${image}.jpg`,
    has_damage: true,
    vehicle_zone: 'unknown',
    damage_types: types,
  } as unknown as CropPayload;
  const norm = Math.hypot(...vector);
  return { labels: labelsOf(payload), payload, vectors: { image: Float32Array.from(vector, (v) => v / norm) } };
}

describe('withinSources', () => {
  it('searches each source’s train crops with its own test crops only', async () => {
    // Source a: the scratch query is nearest to b's scratch overall, but within a only a dent and a scratch.
    const train = [
      crop('a1', 'a_1', ['dent'], [1, 0.1, 0]),
      crop('a2', 'a_2', ['scratch'], [0, 1, 0]),
      crop('b1', 'b_1', ['scratch'], [1, 0, 0]),
    ];
    const test = [crop('a3', 'a_3', ['scratch'], [1, 0, 0.05]), crop('c1', 'c_1', ['dent'], [1, 0, 0])];
    const spec: SearchSpec = {
      role: 'model',
      mode: 'image',
      alpha: null,
      label: 'image → image',
      vectors: 'image',
      queryVector: (item) => item.vectors.image,
      index: { stored: 'image' },
    };
    const results = await withinSources({
      train,
      test,
      searches: [spec],
      ks: [1, 2],
      critical: new Set(['scratch']),
      judged: CRITERIA.filter((criterion) => criterion !== 'damage'),
      sourceOf: sourceNamer(),
    });
    expect(results.map(({ source, photos, trainCrops, testCrops }) => [source, photos, trainCrops, testCrops])).toEqual(
      [
        ['a', 3, 2, 1],
        ['b', 1, 1, 0],
        ['c', 1, 0, 1],
      ],
    );
    // Only a has both sides; b and c are listed, not evaluated.
    expect(results[1]!.configurations).toEqual([]);
    expect(results[2]!.configurations).toEqual([]);
    const metrics = results[0]!.configurations[0]!.metrics;
    // Within a: the dent first (wrong type), the scratch second.
    expect(metrics.overall.criteria.type.precision).toEqual({ 1: 0, 2: 0.5 });
    expect(metrics.overall.criticalRecall).toEqual({ 1: 0, 2: 1 });
    expect(metrics.overall.criteria.damage.queries).toBe(0);
    expect(metrics.typeConfusion).toEqual({ scratch: { dent: 1 } });
  });
});
