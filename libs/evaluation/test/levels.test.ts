import { describe, expect, it } from 'vitest';
import type { CropPayload } from '@defect-rag/vector-store';
import { CRITERIA } from '../src/relevance';
import { compareLevels } from '../src/levels';
import { labelsOf, type EvaluationCrop } from '../src/retrieval';

/** A crop or photo point of photo `imageId` whose image vector points along `direction`. */
function point(
  key: string,
  imageId: string,
  level: 'crop' | 'photo',
  labels: { damaged: boolean; zone: string },
  direction: readonly number[],
): EvaluationCrop {
  const norm = Math.hypot(...direction);
  const payload = {
    crop_id: key,
    level,
    image_id: imageId,
    has_damage: labels.damaged,
    vehicle_zone: labels.zone,
    damage_types: labels.damaged ? ['dent'] : [],
  } as CropPayload;
  return { labels: labelsOf(payload), payload, vectors: { image: Float32Array.from(direction, (v) => v / norm) } };
}

const dentFront = { damaged: true, zone: 'front' };
const cleanSide = { damaged: false, zone: 'side' };

// Train photo A is a dent on the front, B a clean side. Test photo C is a dent on the front whose
// whole-photo vector is like A's, but whose only crop looks like B's crop.
const trainPhotos = [
  point('photo:A', 'A', 'photo', dentFront, [1, 0, 0]),
  point('photo:B', 'B', 'photo', cleanSide, [0, 1, 0]),
  // A train photo without crops takes no part: both levels must answer the same questions.
  point('photo:D', 'D', 'photo', dentFront, [1, 0, 0]),
];
const trainCrops = [point('a1', 'A', 'crop', dentFront, [0, 0, 1]), point('b1', 'B', 'crop', cleanSide, [1, 1, 0])];
const testPhotos = [point('photo:C', 'C', 'photo', dentFront, [0.9, 0.1, 0])];
const testCrops = [point('c1', 'C', 'crop', dentFront, [0.5, 1, 0.1])];

describe('the level comparison', () => {
  it('answers the same per-photo questions with photo vectors and with crops, and across levels', async () => {
    const levels = await compareLevels({
      trainCrops,
      testCrops,
      trainPhotos,
      testPhotos,
      view: 'tiles',
      ks: [1, 2],
      critical: new Set(['dent']),
      judged: CRITERIA,
      trivial: (photo) => (photo.payload.image_id === 'B' ? Float32Array.of(1, 0) : Float32Array.of(0, 1)),
    });
    expect(levels).toMatchObject({ view: 'tiles', testPhotos: 1, trainPhotos: 2 });
    const byLabel = Object.fromEntries(levels.configurations.map((c) => [c.label, c]));
    const p1 = (label: string, criterion: 'damage' | 'zone') =>
      byLabel[label]!.metrics.overall.criteria[criterion].precision[1];

    // The photo vector finds A (a dent on the front); its crop finds B (clean, side).
    expect(p1('photo → photos', 'damage')).toBe(1);
    expect(p1('photo → photos', 'zone')).toBe(1);
    expect(p1('photo crops → photos (best crop)', 'damage')).toBe(0);
    expect(p1('photo crops → photos (best crop)', 'zone')).toBe(0);
    // Trivial features make C look like A (not B): 1; random vectors are some value in [0, 1].
    expect(p1('baseline: trivial features, photo → photos', 'damage')).toBe(1);
    expect(byLabel['baseline: random vectors, photo → photos']!.role).toBe('baseline');
    // Across levels: C's photo vector is nearest b1 (clean) among crops; c1 is nearest B among photos.
    expect(byLabel['photo → crops']).toMatchObject({ query: 'photo', index: 'crops' });
    expect(p1('photo → crops', 'damage')).toBe(0);
    expect(byLabel['crop → photos']).toMatchObject({ query: 'crop', index: 'photos' });
    expect(p1('crop → photos', 'damage')).toBe(0);
    // Per class of the test photo.
    expect(Object.keys(byLabel['photo → photos']!.metrics.byType)).toEqual(['dent']);
  });
});
