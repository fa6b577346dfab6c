import { describe, expect, it } from 'vitest';
import { loadTaxonomy, TaxonomyNormalizer, zoneOfCrop, type PartOverlap } from '../src';

const taxonomy = loadTaxonomy();
const zone = (overlaps: PartOverlap[]) => zoneOfCrop(overlaps, new TaxonomyNormalizer(taxonomy));

describe('zoneOfCrop', () => {
  it('takes the part with the largest overlap', () => {
    expect(
      zone([
        { label: 'hood', overlap: 500 },
        { label: 'rear_bumper', overlap: 900 },
      ]),
    ).toEqual({
      vehicle_zone: 'rear',
      area: 'bumper',
    });
  });

  it('sums overlaps per zone, then per area inside the winning zone', () => {
    // left side: 100 (door); front: 60 + 50 = 110 → front, and its largest area is the headlamp.
    const result = zone([
      { label: 'front_left_door', overlap: 100 },
      { label: 'front_left_light', overlap: 60 },
      { label: 'front_bumper', overlap: 50 },
    ]);
    expect(result).toEqual({ vehicle_zone: 'front', area: 'headlamp' });
  });

  it('sums several polygons with the same label', () => {
    const result = zone([
      { label: 'wheel', overlap: 40 },
      { label: 'front_bumper', overlap: 70 },
      { label: 'wheel', overlap: 40 },
    ]);
    expect(result).toEqual({ vehicle_zone: 'side', area: 'wheel' });
  });

  it('breaks ties by taxonomy order, whatever the input order', () => {
    // front comes before rear in the default taxonomy; bumper before hood.
    const tied = [
      { label: 'rear_bumper', overlap: 300 },
      { label: 'front_bumper', overlap: 300 },
    ];
    expect(zone(tied)).toEqual({ vehicle_zone: 'front', area: 'bumper' });
    expect(zone([...tied].reverse())).toEqual({ vehicle_zone: 'front', area: 'bumper' });
    const tiedAreas = [
      { label: 'hood', overlap: 80 },
      { label: 'front_bumper', overlap: 80 },
    ];
    expect(zone(tiedAreas)).toEqual({ vehicle_zone: 'front', area: 'bumper' });
    expect(zone([...tiedAreas].reverse())).toEqual({ vehicle_zone: 'front', area: 'bumper' });
  });

  it('is unknown with no parts, no positive overlap, or only unknown parts', () => {
    const unknown = { vehicle_zone: 'unknown', area: 'unknown' };
    expect(zone([])).toEqual(unknown);
    expect(zone([{ label: 'hood', overlap: 0 }])).toEqual(unknown);
    expect(zone([{ label: 'spoiler', overlap: 1000 }])).toEqual(unknown);
  });

  it('ignores unknown parts but reports them', () => {
    const normalizer = new TaxonomyNormalizer(taxonomy);
    const result = zoneOfCrop(
      [
        { label: 'spoiler', overlap: 1000 },
        { label: 'hood', overlap: 10 },
      ],
      normalizer,
    );
    expect(result).toEqual({ vehicle_zone: 'front', area: 'hood' });
    expect(normalizer.unknownLabels()).toEqual([{ kind: 'part', label: 'spoiler', count: 1 }]);
  });
});
