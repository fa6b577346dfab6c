import { mulberry32 } from '@defect-rag/runtime';
import type { CropFilter, CropPayload, CropPoint } from '../src';

export const DIMENSION = 16;
export const MODEL_ID = 'test/tiny-clip';

const ZONES = ['front', 'front', 'front', 'side', 'side', 'rear', 'roof'];
const AREA_OF_ZONE: Record<string, string> = {
  front: 'exterior-front',
  side: 'exterior-side',
  rear: 'exterior-rear',
  roof: 'exterior-top',
};
const DAMAGE_TYPES = ['scratch', 'scratch', 'dent', 'dent', 'crack', 'broken_glass'];
const SPLITS = ['train', 'train', 'test', null] as const;

function randomVector(random: () => number): Float32Array {
  return Float32Array.from({ length: DIMENSION }, () => random() * 2 - 1);
}

/**
 * `count` points over two datasets, 5 crops per image, with skewed zones and damage types (roof
 * and broken glass are rare), some crops with two damage types and a third clean; one clean crop
 * in seven is a window of an unlabelled photo instead (has_damage null, labelled false).
 */
export function syntheticPoints(count: number, seed = 7): CropPoint[] {
  const random = mulberry32(seed);
  const pick = <T>(values: readonly T[]) => values[Math.floor(random() * values.length)]!;
  return Array.from({ length: count }, (_, index) => {
    const datasetId = index % 4 === 3 ? 'ds-b' : 'ds-a';
    const imageId = `img-${Math.floor(index / 5)}`;
    const cropId = `${datasetId}/${imageId}/crop-${index}`;
    const zone = pick(ZONES);
    const damaged = random() < 0.66;
    const damageTypes = damaged
      ? [...new Set([pick(DAMAGE_TYPES), ...(random() < 0.3 ? [pick(DAMAGE_TYPES)] : [])])]
      : [];
    const unlabelled = !damaged && index % 7 === 3;
    const payload: CropPayload = {
      crop_id: cropId,
      level: 'crop',
      dataset_id: datasetId,
      image_id: imageId,
      image: `images/${imageId}.jpg`,
      file: `crops/${cropId}.jpg`,
      split: pick(SPLITS),
      has_damage: unlabelled ? null : damaged,
      labelled: !unlabelled,
      vehicle_zone: zone,
      area: AREA_OF_ZONE[zone]!,
      damage_types: damageTypes,
      defects: damageTypes.map((type) => ({
        label: type,
        type,
        box: { x: 10, y: 20, width: 30, height: 40 },
        polygon: [] as [number, number][],
        visible_fraction: 0.8,
        critical: false,
      })),
      text_description: damaged ? `${damageTypes.join(' and ')} on the ${zone}` : `clean paint on the ${zone}`,
      grid_pos: damaged ? null : [index % 3, index % 5],
      box: { x: index, y: 0, width: 336, height: 336 },
      strategy: damaged ? 'cluster' : 'grid',
      model_id: MODEL_ID,
      content_hash: `hash-${index}`,
    };
    return {
      cropId,
      vectors: { fused: randomVector(random), image: randomVector(random), text: randomVector(random) },
      payload,
    };
  });
}

/** The filter's meaning written out in plain JS, to check Qdrant's answers against. */
export function matches(payload: CropPayload, filter: CropFilter): boolean {
  const anyOf = (wanted: readonly string[] | undefined, values: readonly string[]) =>
    !wanted || wanted.length === 0 || values.some((value) => wanted.includes(value));
  return (
    (filter.hasDamage === undefined || payload.has_damage === filter.hasDamage) &&
    (filter.labelled === undefined || payload.labelled === filter.labelled) &&
    anyOf(filter.zones, [payload.vehicle_zone]) &&
    anyOf(filter.areas, [payload.area]) &&
    anyOf(filter.damageTypes, payload.damage_types) &&
    anyOf(filter.imageIds, [payload.image_id]) &&
    (filter.datasetId === undefined || payload.dataset_id === filter.datasetId) &&
    (filter.split === undefined || payload.split === filter.split)
  );
}
