import type { Phase2Crop } from '@defect-rag/contexts';
import type { Taxonomy } from '@defect-rag/taxonomy';
import type { CropPayload } from '@defect-rag/vector-store';

/** The damage types a taxonomy marks critical. */
export function criticalTypesOf(taxonomy: Taxonomy): ReadonlySet<string> {
  return new Set(taxonomy.damageTypes.filter((type) => type.critical).map((type) => type.id));
}

/** The point payload of a described crop: what ingestion and `index` store for it. */
export function cropPayload(
  crop: Phase2Crop,
  point: { datasetId: string; modelId: string; contentHash: string; criticalTypes: ReadonlySet<string> },
): CropPayload {
  return {
    crop_id: crop.crop_id,
    level: 'crop',
    dataset_id: point.datasetId,
    image_id: crop.image_id,
    image: crop.image,
    file: crop.file,
    split: crop.split ?? null,
    has_damage: crop.has_damage,
    labelled: crop.labelled !== false,
    vehicle_zone: crop.vehicle_zone,
    area: crop.area,
    damage_types: crop.damage_types,
    defects: crop.defects.map(({ label, type, box, polygon, visible_fraction }) => ({
      label,
      type,
      box,
      polygon,
      visible_fraction,
      critical: point.criticalTypes.has(type),
    })),
    text_description: crop.text_description,
    grid_pos: crop.grid_pos,
    box: crop.box,
    strategy: crop.strategy,
    model_id: point.modelId,
    content_hash: point.contentHash,
  };
}
