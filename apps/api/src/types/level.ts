import { registerEnumType } from 'type-graphql';
import { POINT_LEVELS, type PointLevel } from '@defect-rag/runtime';

/** GraphQL names (CROP, PHOTO), pipeline values (the point levels). */
export const Level = Object.fromEntries(POINT_LEVELS.map((level) => [level.toUpperCase(), level])) as {
  [L in PointLevel as Uppercase<L>]: L;
};
export type Level = PointLevel;
registerEnumType(Level, {
  name: 'Level',
  description: 'What a point of the index stands for.',
  valuesConfig: {
    CROP: { description: 'A crop around defects or of clean bodywork (the default everywhere).' },
    PHOTO: { description: 'A whole photo, one point per photo beside its crops.' },
  },
});
