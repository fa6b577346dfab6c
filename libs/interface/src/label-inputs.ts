import { z } from 'zod';
import { MAX_LABEL_POINTS } from '@defect-rag/ingestion';
import { optional } from './inputs';
import { cropId } from './search-inputs';

/**
 * The checks of an analyst label's fields: what GraphQL cannot say about them. Whether the polygon
 * lies inside its photo and the type is in the dataset's taxonomy is the library's to check (it
 * knows the photo and the taxonomy).
 */
export const labelChecks = {
  photoId: cropId,
  damageType: z.string().trim().min(1, 'is empty').max(200),
  labelId: z.uuid({ error: 'not a valid label id' }),
  cropId: optional(cropId),
  /** A polygon of points (GraphQL checks its points as inputs of their own). */
  polygon: <P extends z.ZodType>(point: P) =>
    z.array(point).min(3, 'needs at least 3 points').max(MAX_LABEL_POINTS, `at most ${MAX_LABEL_POINTS} points`),
};

/** A "no damage" mark names a crop or a box, not both, nor neither. */
export const oneNoDamageWindow = {
  holds: (input: { cropId?: unknown; box?: unknown }) => (input.cropId === undefined) !== (input.box === undefined),
  message: 'give exactly one of cropId or box',
};
