import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isDefectRagError } from '@defect-rag/runtime';
import {
  datasetTaxonomyFile,
  DEFAULT_TAXONOMY_FILE,
  findDatasetTaxonomy,
  loadDatasetTaxonomy,
  loadTaxonomy,
  TaxonomyNormalizer,
} from '../src';

const dir = mkdtempSync(path.join(tmpdir(), 'taxonomy-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
function writeOverride(yaml: string): string {
  const file = path.join(dir, `override-${++fileCount}.yaml`);
  writeFileSync(file, yaml);
  return file;
}

function loadError(file: string): { message: string; details: Record<string, unknown> } {
  try {
    loadTaxonomy(file);
  } catch (error) {
    if (isDefectRagError(error, 'TAXONOMY_INVALID')) return { message: error.message, details: error.details };
    throw error;
  }
  throw new Error(`expected ${file} to be rejected`);
}

describe('loadTaxonomy', () => {
  it('loads the shipped default', () => {
    const taxonomy = loadTaxonomy();
    expect(taxonomy.sources).toEqual([DEFAULT_TAXONOMY_FILE]);
    expect(taxonomy.damageTypes.map((type) => type.id)).toEqual(
      expect.arrayContaining([
        'scratch',
        'deep_scratch',
        'dent',
        'fracture',
        'perforation',
        'contamination',
        'paint_damage',
        'broken_glass',
        'broken_lamp',
        'damage',
      ]),
    );
    expect(taxonomy.zones.map((zone) => zone.id)).toEqual(
      expect.arrayContaining(['front', 'rear', 'left_side', 'right_side', 'roof', 'unknown']),
    );
  });

  it('merges an override onto the default', () => {
    const file = writeOverride(`
damage_types:
  - id: dent
    synonyms: [golpe, hundido]
  - id: rust
    name: rust spot
    plural: rust spots
    critical: true
    visual: orange-brown corrosion
    synonyms: [óxido, corrosión]
zones:
  underbody: underbody
parts:
  bajos: { zone: underbody, area: unknown }
descriptions:
  clean: "Clean {area} on {vehicle_zone}. No damage."
`);
    const taxonomy = loadTaxonomy(file);
    expect(taxonomy.sources).toEqual([DEFAULT_TAXONOMY_FILE, file]);
    const n = new TaxonomyNormalizer(taxonomy);
    expect(n.damageType('óxidos')).toBe('rust');
    expect(n.damageType('hundido')).toBe('dent');
    // The override's synonyms replace the default's list: "bollo" is no longer a dent.
    expect(n.damageType('bollo')).toBe('unknown');
    expect(n.damageTypeInfo('dent')?.plural).toBe('dents');
    expect(n.part('bajos')).toEqual({ zone: 'underbody', area: 'unknown' });
    expect(n.part('front_bumper')).toEqual({ zone: 'front', area: 'bumper' });
    expect(taxonomy.descriptions.clean).toBe('Clean {area} on {vehicle_zone}. No damage.');
    expect(taxonomy.descriptions.damaged).toContain('Specific defects visible');
  });

  it('treats an empty override as no change', () => {
    const taxonomy = loadTaxonomy(writeOverride('# nothing yet\n'));
    expect(taxonomy.damageTypes).toEqual(loadTaxonomy().damageTypes);
  });

  it.each([
    ['a missing field of a new type', 'damage_types:\n  - id: rust\n    name: rust\n', 'damage_types[0].plural'],
    ['a misspelt key', 'damage_types:\n  - id: dent\n    synonym: [golpe]\n', 'damage_types[0]'],
    ['a wrong type', 'damage_types:\n  - id: dent\n    critical: "yes"\n', 'damage_types[0].critical'],
    ['a part on an unknown zone', 'parts:\n  spoiler: { zone: top, area: roof }\n', 'parts.spoiler.zone'],
    ['a part on an unknown area', 'parts:\n  spoiler: { zone: rear, area: wing }\n', 'parts.spoiler.area'],
    ['a synonym used by two types', 'damage_types:\n  - id: dent\n    synonyms: [rayones]\n', 'damage_types[2]'],
    [
      'the reserved id',
      'damage_types:\n  - { id: unknown, name: x, plural: xs, critical: false, visual: x }\n',
      'damage_types[10].id',
    ],
    ['an unknown placeholder', 'descriptions:\n  clean: "Clean {zone}."\n', 'descriptions.clean'],
  ])('rejects %s, naming the file and key', (_what, yaml, key) => {
    const file = writeOverride(yaml);
    const { message, details } = loadError(file);
    expect(message).toContain(file);
    expect(message).toContain(key);
    expect(details).toMatchObject({ file, key });
  });

  it('rejects invalid YAML and missing files, naming the file', () => {
    const broken = writeOverride('damage_types: [\n');
    expect(loadError(broken).message).toMatch(new RegExp(`${broken}.*not valid YAML`));
    const missing = path.join(dir, 'nope.yaml');
    expect(loadError(missing).message).toContain(`${missing}: cannot read the file (ENOENT)`);
  });
});

describe('findDatasetTaxonomy', () => {
  it('finds taxonomy.yaml in a dataset root', () => {
    const dataset = mkdtempSync(path.join(dir, 'dataset-'));
    expect(findDatasetTaxonomy(dataset)).toBeNull();
    writeFileSync(path.join(dataset, 'taxonomy.yaml'), 'zones: { underbody: underbody }\n');
    expect(findDatasetTaxonomy(dataset)).toBe(path.join(dataset, 'taxonomy.yaml'));
  });
});

describe('datasetTaxonomyFile / loadDatasetTaxonomy', () => {
  it('takes the override, else the dataset’s taxonomy.yaml, else the default', () => {
    const dataset = mkdtempSync(path.join(dir, 'dataset-'));
    expect(datasetTaxonomyFile(dataset)).toBeUndefined();
    expect(loadDatasetTaxonomy(dataset).sources).toEqual([DEFAULT_TAXONOMY_FILE]);
    const own = path.join(dataset, 'taxonomy.yaml');
    writeFileSync(own, 'zones: { underbody: underbody }\n');
    expect(datasetTaxonomyFile(dataset)).toBe(own);
    expect(loadDatasetTaxonomy(dataset).zones.map((zone) => zone.id)).toContain('underbody');
    const override = writeOverride('zones: { roof_rack: roof rack }\n');
    expect(datasetTaxonomyFile(dataset, override)).toBe(override);
    expect(loadDatasetTaxonomy(dataset, override).sources).toEqual([DEFAULT_TAXONOMY_FILE, override]);
  });
});
