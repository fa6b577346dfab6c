import { describe, expect, it } from 'vitest';
import { loadTaxonomy, TaxonomyNormalizer } from '@defect-rag/taxonomy';
import { describePhoto } from '../src';

const normalizer = new TaxonomyNormalizer(loadTaxonomy());
const front = { vehicle_zone: 'front', area: 'bumper' };
const door = { vehicle_zone: 'side', area: 'door' };

describe('describePhoto', () => {
  it('lists all the defects grouped by type and zone, the largest group first', () => {
    const text = describePhoto(
      [
        { types: ['dent'], zone: door },
        { types: ['scratch'], zone: front },
        { types: ['scratch'], zone: front },
      ],
      [front, door],
      normalizer,
    );
    expect(text).toBe('3 defects: 2 scratches on front (bumper), dent on side (door).');
  });

  it('keeps equal types on different zones apart and names combined labels', () => {
    expect(
      describePhoto(
        [
          { types: ['scratch'], zone: front },
          { types: ['scratch', 'dent'], zone: door },
        ],
        [],
        normalizer,
      ),
    ).toBe('2 defects: scratch on front (bumper), scratch and dent on side (door).');
    expect(describePhoto([{ types: ['dent'], zone: door }], [], normalizer)).toBe('1 defect: dent on side (door).');
  });

  it('describes a clean photo with the negative wording and the zones it shows', () => {
    expect(describePhoto([], [front, { vehicle_zone: 'front', area: 'headlamp' }, door], normalizer)).toBe(
      'Clean vehicle. No defects visible. Visible zones: front (bumper, headlamp), side (door).',
    );
    expect(describePhoto([], [], normalizer)).toBe('Clean vehicle. No defects visible.');
  });
});
