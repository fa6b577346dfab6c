import { describe, expect, it } from 'vitest';
import { zonesAsTree } from '../src/zones';

describe('zonesAsTree', () => {
  it('lists each zone’s children right after it, one level deeper', () => {
    const zones = [
      { id: 'front', name: 'front', parent: null },
      { id: 'left_side', name: 'left side', parent: 'side' },
      { id: 'right_side', name: 'right side', parent: 'side' },
      { id: 'side', name: 'side', parent: null },
      { id: 'left_sill', name: 'left sill', parent: 'left_side' },
      { id: 'unknown', name: 'vehicle body', parent: null },
    ];
    expect(zonesAsTree(zones).map(({ id, depth }) => `${'  '.repeat(depth)}${id}`)).toEqual([
      'front',
      'side',
      '  left_side',
      '    left_sill',
      '  right_side',
      'unknown',
    ]);
  });

  it('shows a zone whose parent is not listed at the top level', () => {
    expect(zonesAsTree([{ id: 'sill', name: 'sill', parent: 'underbody' }])).toEqual([
      { id: 'sill', name: 'sill', depth: 0 },
    ]);
  });
});
