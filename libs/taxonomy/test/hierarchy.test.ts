import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isDefectRagError } from '@defect-rag/runtime';
import { childZones, loadTaxonomy, rollUpZoneCounts, zonesWithin } from '../src';

const dir = mkdtempSync(path.join(tmpdir(), 'taxonomy-hierarchy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function override(name: string, yaml: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, yaml);
  return file;
}

function rejection(file: string): { message: string; details: Record<string, unknown> } {
  try {
    loadTaxonomy(file);
  } catch (error) {
    if (isDefectRagError(error, 'TAXONOMY_INVALID')) return { message: error.message, details: error.details };
    throw error;
  }
  throw new Error(`expected ${file} to be rejected`);
}

describe('zone hierarchy', () => {
  const taxonomy = loadTaxonomy();

  it('the default taxonomy puts left and right side under side', () => {
    const parents = Object.fromEntries(taxonomy.zones.map((zone) => [zone.id, zone.parent]));
    expect(parents).toMatchObject({ left_side: 'side', right_side: 'side', side: null, front: null });
    expect(childZones(taxonomy, 'side')).toEqual(['left_side', 'right_side']);
    expect(childZones(taxonomy, 'left_side')).toEqual([]);
  });

  it('a parent zone matches its children; unknown ids stay as they are', () => {
    expect(zonesWithin(taxonomy, ['side']).sort()).toEqual(['left_side', 'right_side', 'side']);
    expect(zonesWithin(taxonomy, ['left_side', 'front'])).toEqual(['left_side', 'front']);
    expect(zonesWithin(taxonomy, ['side', 'left_side', 'bodywork']).sort()).toEqual([
      'bodywork',
      'left_side',
      'right_side',
      'side',
    ]);
  });

  it('counts roll up into parents, including a parent with no crops of its own', () => {
    expect(
      rollUpZoneCounts(taxonomy, [
        { value: 'side', count: 40 },
        { value: 'right_side', count: 29 },
        { value: 'front', count: 50 },
        { value: 'left_side', count: 7 },
      ]),
    ).toEqual([
      { value: 'side', count: 76 },
      { value: 'front', count: 50 },
      { value: 'right_side', count: 29 },
      { value: 'left_side', count: 7 },
    ]);
    expect(rollUpZoneCounts(taxonomy, [{ value: 'left_side', count: 3 }])).toEqual([
      { value: 'left_side', count: 3 },
      { value: 'side', count: 3 },
    ]);
  });

  it('an override can nest its own zones several levels deep', () => {
    const nested = loadTaxonomy(
      override(
        'nested.yaml',
        `zones:
  underbody: underbody
  sill: { name: sill, parent: underbody }
  left_sill: { name: left sill, parent: sill }
`,
      ),
    );
    expect(zonesWithin(nested, ['underbody']).sort()).toEqual(['left_sill', 'sill', 'underbody']);
    expect(rollUpZoneCounts(nested, [{ value: 'left_sill', count: 2 }]).map(({ value }) => value)).toEqual([
      // equal counts keep the taxonomy's order
      'underbody',
      'sill',
      'left_sill',
    ]);
  });

  it('refuses an unknown parent, naming the file and the zone', () => {
    const file = override('unknown-parent.yaml', 'zones:\n  sill: { name: sill, parent: underbody }\n');
    const { message, details } = rejection(file);
    expect(details).toMatchObject({ file, key: 'zones.sill.parent' });
    expect(message).toContain(file);
    expect(message).toContain("unknown zone 'underbody'");
  });

  it('refuses a cycle, naming the file and the zones in it', () => {
    const file = override('cycle.yaml', 'zones:\n  side: { name: side, parent: left_side }\n');
    const { message, details } = rejection(file);
    expect(details.file).toBe(file);
    expect(message).toContain(file);
    expect(message).toMatch(/cycle: (left_side → side → left_side|side → left_side → side)/);
  });

  it('refuses a zone that is its own parent and unknown as a parent', () => {
    expect(rejection(override('self.yaml', 'zones:\n  roof: { name: roof, parent: roof }\n')).message).toContain(
      'cycle: roof → roof',
    );
    expect(rejection(override('unknown.yaml', 'zones:\n  roof: { name: roof, parent: unknown }\n')).details.key).toBe(
      'zones.roof.parent',
    );
  });

  it('refuses a zone entry that is neither a name nor { name, parent }', () => {
    const file = override('shape.yaml', 'zones:\n  roof: { label: roof }\n');
    expect(rejection(file).message).toContain(file);
  });
});
