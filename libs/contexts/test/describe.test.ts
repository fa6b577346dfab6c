import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isDefectRagError } from '@defect-rag/runtime';
import { loadTaxonomy } from '@defect-rag/taxonomy';
import { describeCrops, relabelAndDescribe } from '../src';

const taxonomy = loadTaxonomy();

/** A crop as phase 1 plans it, labelled with another taxonomy: phase 2 labels it again. */
function crop(labels: string[], parts: [string, number][], extra: Record<string, unknown> = {}) {
  return {
    crop_id: `crop-${labels.join('-') || 'clean'}`,
    has_damage: labels.length > 0,
    defects: labels.map((label) => ({ label, type: 'from-phase-1', types: ['from-phase-1'] })),
    damage_types: ['from-phase-1'],
    vehicle_zone: 'from-phase-1',
    area: 'from-phase-1',
    part_overlaps: parts.map(([label, overlap]) => ({ label, overlap })),
    ...extra,
  };
}
type Crop = ReturnType<typeof crop>;

const text = (c: Crop, options = {}) => relabelAndDescribe([c], taxonomy, options).crops[0]?.text_description;

describe('damaged descriptions', () => {
  it('uses the singular for one defect', () => {
    expect(text(crop(['abolladura'], [['hood', 5000]]))).toBe(
      '1 dent on front (hood). Specific defects visible: dent.',
    );
  });

  it('uses the plural for several defects of one type', () => {
    expect(text(crop(['rayón', 'Scratches'], [['front_left_door', 9000]]))).toBe(
      '2 scratches on left side (door). Specific defects visible: 2 scratches.',
    );
  });

  it('says "defects" for mixed types and lists the crop own defects, grouped, in order', () => {
    expect(text(crop(['rayón', 'dent', 'scratch'], [['rear_bumper', 100]]))).toBe(
      '3 defects on rear (bumper). Specific defects visible: 2 scratches, dent.',
    );
  });

  it('describes a combined label as both of its types', () => {
    expect(text(crop(['rayón y abolladura'], [['back_right_light', 40]]))).toBe(
      '1 defect on rear (tail light). Specific defects visible: scratch and dent.',
    );
    expect(text(crop(['Rotura/Fractura'], [['back_right_light', 40]]))).toBe(
      '1 fracture on rear (tail light). Specific defects visible: fracture.',
    );
  });

  it('calls an unknown label a defect and an unknown zone the vehicle body', () => {
    expect(text(crop(['óxido'], []))).toBe(
      '1 defect on vehicle body (unspecified area). Specific defects visible: defect.',
    );
  });

  it('describes the sample datasets generic "damage" label', () => {
    expect(
      text(
        crop(
          ['damage', 'damage'],
          [
            ['headlamp', 300],
            ['front_bumper', 200],
          ],
        ),
      ),
    ).toBe('2 damaged areas on front (headlamp). Specific defects visible: 2 damaged areas.');
  });
});

describe('clean descriptions', () => {
  it('keeps the negative wording', () => {
    expect(
      text(
        crop(
          [],
          [
            ['front_right_door', 20000],
            ['right_mirror', 3000],
          ],
        ),
      ),
    ).toBe('Clean surface of right side (door). No defects visible. Inspection grid section.');
  });

  it('is written for clean crops without parts too', () => {
    expect(text(crop([], []))).toBe(
      'Clean surface of vehicle body (unspecified area). No defects visible. Inspection grid section.',
    );
  });
});

describe('enrichment', () => {
  const dented = crop(['abolladura', 'scratch', 'bollo'], [['hood', 1]]);

  it('is off by default', () => {
    expect(text(dented)).toBe('3 defects on front (hood). Specific defects visible: 2 dents, scratch.');
  });

  it('adds each type visual description once, in order of appearance', () => {
    expect(text(dented, { enrich: true })).toBe(
      '3 defects on front (hood). Specific defects visible: 2 dents, scratch. ' +
        'Smooth depression in the panel with distorted reflections. Thin shallow lines in the paint or clear coat.',
    );
  });

  it('leaves clean crops alone', () => {
    expect(text(crop([], [['hood', 1]]), { enrich: true })).toBe(
      'Clean surface of front (hood). No defects visible. Inspection grid section.',
    );
  });
});

describe('describeCrops', () => {
  it('writes the text from the labels phase 1 gave the crop, computing none of them again', () => {
    const labelled = {
      crop_id: 'c',
      has_damage: true,
      defects: [{ label: 'xyz', types: ['dent'] }],
      vehicle_zone: 'front',
      area: 'hood',
      // Overlaps that would say rear (bumper) and a label that would say unknown: not read here.
      part_overlaps: [{ label: 'rear_bumper', overlap: 100 }],
    };
    const result = describeCrops([labelled], taxonomy);
    expect(result.crops[0]?.text_description).toBe('1 dent on front (hood). Specific defects visible: dent.');
    expect(result.problems).toEqual([]);
  });
});

describe('relabelAndDescribe', () => {
  it('recomputes zone, area and damage types, keeping every other field', () => {
    const input = crop(
      ['Grieta', 'bollo'],
      [
        ['hood', 10],
        ['rear_bumper', 20],
      ],
      {
        vehicle_zone: 'front',
        area: 'hood',
        image_id: 'cdd_2',
        split: 'train',
      },
    );
    const [out] = relabelAndDescribe([input], taxonomy).crops;
    expect(out).toMatchObject({
      crop_id: input.crop_id,
      image_id: 'cdd_2',
      split: 'train',
      vehicle_zone: 'rear',
      area: 'bumper',
      damage_types: ['fracture', 'dent'],
      defects: [
        { label: 'Grieta', type: 'fracture' },
        { label: 'bollo', type: 'dent' },
      ],
    });
    expect(relabelAndDescribe([crop([], [['hood', 1]])], taxonomy).crops[0]?.damage_types).toEqual([]);
  });

  it('reports unknown labels once each, with counts, and keeps going', () => {
    const result = relabelAndDescribe(
      [
        crop(
          ['óxido'],
          [
            ['spoiler', 50],
            ['hood', 10],
          ],
        ),
        crop(['óxido', 'dent'], [['spoiler', 5]]),
      ],
      taxonomy,
    );
    expect(result.crops).toHaveLength(2);
    expect(result.crops[1]?.damage_types).toEqual(['unknown', 'dent']);
    expect(result.unknownLabels).toEqual([
      { kind: 'damage', label: 'óxido', count: 2 },
      { kind: 'part', label: 'spoiler', count: 2 },
    ]);
    expect(result.problems.map((p) => [p.code, p.item])).toEqual([
      ['LABEL_UNKNOWN', "damage label 'óxido'"],
      ['LABEL_UNKNOWN', "part label 'spoiler'"],
    ]);
  });

  it('fails on unknown labels under strict, naming them', () => {
    const run = () => relabelAndDescribe([crop(['óxido'], [])], taxonomy, { strict: true });
    expect(run).toThrow(/damage 'óxido' \(1\)/);
    try {
      run();
    } catch (error) {
      expect(isDefectRagError(error, 'LABEL_UNKNOWN')).toBe(true);
    }
    expect(() => relabelAndDescribe([crop(['dent'], [['hood', 1]])], taxonomy, { strict: true })).not.toThrow();
  });

  it('reports a crop whose has_damage contradicts its defects', () => {
    const result = relabelAndDescribe([crop([], [], { has_damage: true })], taxonomy);
    expect(result.problems).toEqual([expect.objectContaining({ code: 'METADATA_INVALID', item: 'crop-clean' })]);
    expect(result.crops[0]?.text_description).toMatch(/^Clean surface/);
  });

  it('reports descriptions over the token limit with the given counter', () => {
    const counted: string[] = [];
    const countTokens = (value: string) => {
      counted.push(value);
      return value.startsWith('Clean') ? 12 : 80;
    };
    const result = relabelAndDescribe([crop(['dent'], []), crop([], [])], taxonomy, { countTokens });
    expect(counted).toHaveLength(2);
    expect(result.problems).toEqual([
      {
        item: 'crop-dent',
        stage: 'contexts',
        code: 'TEXT_TRUNCATED',
        message: "description is 80 tokens, over the text model's 77: its end will be cut",
      },
    ]);
  });

  it('estimates tokens without a counter', () => {
    const many = crop(['dent', 'scratch', 'crack', 'hole', 'suciedad', 'desconchón', 'cristal roto', 'faro roto'], []);
    expect(relabelAndDescribe([many], taxonomy).problems).toEqual([]);
    const enriched = relabelAndDescribe([many], taxonomy, { enrich: true });
    expect(enriched.problems).toEqual([
      expect.objectContaining({
        code: 'TEXT_TRUNCATED',
        message: expect.stringMatching(/^description is about \d+ tokens/),
      }),
    ]);
  });

  it('reports progress up to the total', () => {
    const events: number[] = [];
    const crops = Array.from({ length: 450 }, () => crop([], []));
    relabelAndDescribe(crops, taxonomy, { onProgress: ({ done, total }) => events.push(done / total) });
    expect(events.at(-1)).toBe(1);
    expect(events).toEqual([...events].sort((a, b) => a - b));
  });
});

describe('templates from a taxonomy override', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'contexts-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('uses the override templates and nouns', () => {
    const file = path.join(dir, 'taxonomy.yaml');
    writeFileSync(
      file,
      [
        'descriptions:',
        '  damaged: "Close-up of {count} {damage_type}: {defects}, {vehicle_zone} {area}."',
        '  clean: "Undamaged {area}, {vehicle_zone}. No damage, clean paint."',
        '  mixed: { plural: damages }',
      ].join('\n'),
    );
    const custom = loadTaxonomy(file);
    const result = relabelAndDescribe([crop(['dent', 'rayón'], [['hood', 1]]), crop([], [['hood', 1]])], custom);
    expect(result.crops.map((c) => c.text_description)).toEqual([
      'Close-up of 2 damages: dent, scratch, front hood.',
      'Undamaged hood, front. No damage, clean paint.',
    ]);
  });
});
