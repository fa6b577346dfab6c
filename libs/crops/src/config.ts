import { z } from 'zod';
import { DefectRagError } from '@defect-rag/runtime';

export const cropConfigSchema = z.object({
  /** Side of every crop in pixels; crops are cut 1:1 from the source, never resized. */
  size: z.number().int().min(16).max(4096).default(336),
  /** Overlap between the tiles that cover a defect larger than the window. */
  tileOverlap: z.number().min(0).max(0.9).default(0.3),
  /** Overlap between the grid windows over a clean vehicle. */
  gridOverlap: z.number().min(0).max(0.9).default(0.3),
  /** A clean crop is kept only when the vehicle silhouette covers at least this share of it. */
  minVehicleCoverage: z.number().min(0).max(1).default(0.5),
  /** Black out what lies outside the vehicle silhouette in clean crops, as the original did. */
  maskBackground: z.boolean().default(true),
  /** Sample clean crops (seeded, by zone) down to the number of damage crops: 50/50. */
  balance: z.boolean().default(true),
  seed: z.number().int().default(42),
  format: z.enum(['jpeg', 'png']).default('jpeg'),
  jpegQuality: z.number().int().min(1).max(100).default(95),
});

export type CropConfig = z.infer<typeof cropConfigSchema>;

/** The full configuration from the caller's overrides; invalid values are a BAD_INPUT error. */
export function cropConfig(overrides: Partial<CropConfig> = {}): CropConfig {
  const parsed = cropConfigSchema.safeParse(overrides);
  if (!parsed.success) throw new DefectRagError('BAD_INPUT', `invalid crop options: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** The fill of crops taken from images smaller than the window; black like a masked background. */
export const FILL_COLOR: [number, number, number] = [0, 0, 0];
