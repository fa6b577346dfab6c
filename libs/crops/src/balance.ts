import { stratifiedSample } from '@defect-rag/dataset';
import type { CropRecord } from './metadata';

/**
 * The original dataset was 50/50 damage/clean: within each split (or overall without one), clean
 * crops are sampled down to the number of damage crops, stratified by vehicle zone and seeded.
 * Damage crops are never dropped; when there are fewer clean crops than damage crops, or no damage
 * crops at all, every clean crop is kept. Windows of unlabelled photos are neither: all are kept,
 * since any of them may show the damage someone is looking for. Returns the kept crops in their
 * original order.
 */
export function balanceCrops(crops: readonly CropRecord[], seed: number): CropRecord[] {
  const kept = new Set<CropRecord>(crops.filter((crop) => crop.has_damage !== false));
  for (const split of [...new Set(crops.map((crop) => crop.split))]) {
    const inSplit = crops.filter((crop) => crop.split === split);
    const damage = inSplit.filter((crop) => crop.has_damage === true).length;
    const clean = inSplit.filter((crop) => crop.has_damage === false);
    const chosen =
      damage === 0 || clean.length <= damage
        ? clean
        : stratifiedSample(clean, (crop) => crop.vehicle_zone, damage, `balance:${seed}:${split}`);
    for (const crop of chosen) kept.add(crop);
  }
  return crops.filter((crop) => kept.has(crop));
}
