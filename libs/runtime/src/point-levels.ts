/**
 * What a point of the index stands for: a crop around defects or clean bodywork, or a whole photo
 * (one per photo, beside its crops). Searches that name no level keep to crops.
 */
export const POINT_LEVELS = ['crop', 'photo'] as const;
export type PointLevel = (typeof POINT_LEVELS)[number];
