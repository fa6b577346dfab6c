import { describe, expect, it } from 'vitest';
import type { CropRecord } from '../src';
import { balanceCrops } from '../src';

let next = 0;
function crop(hasDamage: boolean | null, zone: string, split: CropRecord['split'] = null): CropRecord {
  const id = `c${next++}`;
  return {
    crop_id: id,
    image_id: 'i',
    image: 'i.jpg',
    file: `crops/${id}.jpg`,
    has_damage: hasDamage,
    strategy: hasDamage ? 'cluster' : 'grid',
    box: { x: 0, y: 0, width: 336, height: 336 },
    width: 336,
    height: 336,
    fill: null,
    defects: [],
    damage_types: [],
    grid_pos: hasDamage ? null : [0, 0],
    mask_coverage: hasDamage ? null : 1,
    vehicle_zone: zone,
    area: 'unknown',
    part_overlaps: [],
    split,
  };
}

describe('balanceCrops', () => {
  it('keeps every window of an unlabelled photo and counts none of them as damage or clean', () => {
    const crops = [
      ...Array.from({ length: 2 }, () => crop(true, 'front')),
      ...Array.from({ length: 6 }, () => crop(false, 'front')),
      ...Array.from({ length: 9 }, () => crop(null, 'front')),
    ];
    const kept = balanceCrops(crops, 1);
    expect(kept.filter((c) => c.has_damage === null)).toHaveLength(9);
    expect(kept.filter((c) => c.has_damage === false)).toHaveLength(2);
  });

  it('samples clean crops down to the damage count, by zone, and keeps every damage crop', () => {
    const crops = [
      ...Array.from({ length: 8 }, () => crop(true, 'front')),
      ...Array.from({ length: 30 }, () => crop(false, 'front')),
      ...Array.from({ length: 10 }, () => crop(false, 'rear')),
    ];
    const kept = balanceCrops(crops, 1);
    expect(kept.filter((c) => c.has_damage)).toHaveLength(8);
    const clean = kept.filter((c) => !c.has_damage);
    expect(clean).toHaveLength(8);
    expect(clean.filter((c) => c.vehicle_zone === 'rear')).toHaveLength(2);
    expect(balanceCrops(crops, 1)).toEqual(kept);
    expect(balanceCrops(crops, 2)).not.toEqual(kept);
  });

  it('balances each split on its own', () => {
    const crops = [
      ...Array.from({ length: 8 }, () => crop(true, 'front', 'train')),
      ...Array.from({ length: 2 }, () => crop(true, 'front', 'test')),
      ...Array.from({ length: 20 }, () => crop(false, 'front', 'train')),
      ...Array.from({ length: 20 }, () => crop(false, 'front', 'test')),
    ];
    const kept = balanceCrops(crops, 1);
    const count = (split: string, damage: boolean) =>
      kept.filter((c) => c.split === split && c.has_damage === damage).length;
    expect([count('train', true), count('train', false), count('test', true), count('test', false)]).toEqual([
      8, 8, 2, 2,
    ]);
  });

  it('keeps every clean crop when there are too few or no damage crops', () => {
    const few = [crop(true, 'front'), crop(true, 'front'), crop(false, 'front')];
    expect(balanceCrops(few, 1)).toEqual(few);
    const cleanOnly = [crop(false, 'front'), crop(false, 'rear')];
    expect(balanceCrops(cleanOnly, 1)).toEqual(cleanOnly);
  });
});
