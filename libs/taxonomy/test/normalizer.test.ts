import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sampleDatasetOrSkip } from '@defect-rag/testing';
import { loadTaxonomy, TaxonomyNormalizer } from '../src';

const taxonomy = loadTaxonomy();
const normalizer = () => new TaxonomyNormalizer(taxonomy);

describe('TaxonomyNormalizer.damageType', () => {
  it.each([
    ['scratch', 'scratch'],
    ['Scratch', 'scratch'],
    ['SCRATCHES', 'scratch'],
    ['rayón', 'scratch'],
    ['rayon', 'scratch'],
    ['Rayones', 'scratch'],
    ['arañazos', 'scratch'],
    ['deep_scratch', 'deep_scratch'],
    ['deep-scratches', 'deep_scratch'],
    ['Rayón profundo', 'deep_scratch'],
    ['abolladura', 'dent'],
    ['Abolladuras', 'dent'],
    ['bollo', 'dent'],
    ['dents', 'dent'],
    ['crack', 'fracture'],
    ['Grietas', 'fracture'],
    ['rotura', 'fracture'],
    ['perforación', 'perforation'],
    ['PERFORACIONES', 'perforation'],
    ['agujero', 'perforation'],
    ['holes', 'perforation'],
    ['contaminación', 'contamination'],
    ['suciedad', 'contamination'],
    ['desconchón', 'paint_damage'],
    ['pintura', 'paint_damage'],
    ['cristal roto', 'broken_glass'],
    ['Cristales rotos', 'broken_glass'],
    ['faro roto', 'broken_lamp'],
    ['damage', 'damage'],
    ['daño', 'damage'],
    ['dano', 'damage'],
    ['DAÑOS', 'damage'],
    ['defecto', 'damage'],
  ])('%s → %s', (label, expected) => {
    expect(normalizer().damageType(label)).toBe(expected);
  });

  it('reads combined labels, keeping the label order and dropping repeats', () => {
    const n = normalizer();
    expect(n.damageTypes('Rotura/Fractura')).toEqual(['fracture']);
    expect(n.damageType('Rotura/Fractura')).toBe('fracture');
    expect(n.damageTypes('rayón y abolladura')).toEqual(['scratch', 'dent']);
    expect(n.damageTypes('dent, scratch')).toEqual(['dent', 'scratch']);
    expect(n.damageTypes('abolladura + rayones + abolladura')).toEqual(['dent', 'scratch']);
    expect(n.unknownLabels()).toEqual([]);
  });

  it('matches a multi-word synonym whole before splitting it', () => {
    // "roto" alone is a fracture; "faro roto" is a broken lamp.
    expect(normalizer().damageTypes('faro_roto')).toEqual(['broken_lamp']);
  });

  it('returns unknown for labels it does not know and counts each lookup', () => {
    const n = normalizer();
    expect(n.damageType('óxido')).toBe('unknown');
    expect(n.damageTypes('óxido')).toEqual(['unknown']);
    expect(n.damageType('')).toBe('unknown');
    expect(n.unknownLabels()).toEqual([
      { kind: 'damage', label: 'óxido', count: 2 },
      { kind: 'damage', label: '', count: 1 },
    ]);
  });

  it('keeps the known part of a partly unknown combined label but still reports it', () => {
    const n = normalizer();
    expect(n.damageTypes('rayón/óxido')).toEqual(['scratch']);
    expect(n.unknownLabels()).toEqual([{ kind: 'damage', label: 'rayón/óxido', count: 1 }]);
  });
});

describe('TaxonomyNormalizer.part', () => {
  it.each([
    ['headlamp', 'front', 'headlamp'],
    ['door', 'side', 'door'],
    ['front_bumper', 'front', 'bumper'],
    ['rear_bumper', 'rear', 'bumper'],
    ['back_bumper', 'rear', 'bumper'],
    ['front_left_door', 'left_side', 'door'],
    ['back_right_door', 'right_side', 'door'],
    ['back_right_light', 'rear', 'taillight'],
    ['front_right_light', 'front', 'headlamp'],
    ['front_glass', 'front', 'glass'],
    ['back_glass', 'rear', 'glass'],
    ['left_mirror', 'left_side', 'mirror'],
    ['tailgate', 'rear', 'tailgate'],
    ['wheel', 'side', 'wheel'],
    ['Front-Bumper', 'front', 'bumper'],
    ['Capó', 'front', 'hood'],
    ['puertas', 'side', 'door'],
  ])('%s → %s / %s', (label, zone, area) => {
    expect(normalizer().part(label)).toEqual({ zone, area });
  });

  it('returns null for an unknown part and counts it', () => {
    const n = normalizer();
    expect(n.part('spoiler')).toBeNull();
    expect(n.part('spoiler')).toBeNull();
    expect(n.unknownLabels()).toEqual([{ kind: 'part', label: 'spoiler', count: 2 }]);
  });

  const dataset = sampleDatasetOrSkip();
  it.skipIf(!dataset)('knows every part label and damage label of the shared sample', () => {
    const polygons = JSON.parse(readFileSync(path.join(dataset ?? '', 'poligonos.json'), 'utf8')) as Record<
      string,
      { parts?: { label: string }[] }
    >;
    const partLabels = new Set(Object.values(polygons).flatMap((entry) => (entry.parts ?? []).map((p) => p.label)));
    expect(partLabels.size).toBeGreaterThanOrEqual(20);
    const n = normalizer();
    for (const label of partLabels) expect(n.part(label), label).not.toBeNull();
    expect(n.damageType('damage')).toBe('damage');
    expect(n.unknownLabels()).toEqual([]);
  });
});

describe('TaxonomyNormalizer names', () => {
  it('gives the words of zones, areas and damage types, falling back to the unknown names', () => {
    const n = normalizer();
    expect(n.zoneName('left_side')).toBe('left side');
    expect(n.areaName('taillight')).toBe('tail light');
    expect(n.zoneName('nowhere')).toBe(n.zoneName('unknown'));
    expect(n.damageTypeInfo('fracture')).toMatchObject({ plural: 'fractures', critical: true });
    const critical = taxonomy.damageTypes.filter((type) => type.critical).map((type) => type.id);
    // The original protocol's critical classes: breakage/fracture, scratches (plain and deep), contamination.
    expect(critical.sort()).toEqual(['contamination', 'deep_scratch', 'fracture', 'scratch']);
  });
});
