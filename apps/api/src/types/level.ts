import { registerEnumType } from 'type-graphql';
import { POINT_LEVELS, type PointLevel } from '@defect-rag/runtime';
import { upperCaseEnum } from './upper-case-enum';

/** GraphQL names (CROP, PHOTO), pipeline values (the point levels). */
export const Level = upperCaseEnum(POINT_LEVELS);
export type Level = PointLevel;
registerEnumType(Level, {
  name: 'Level',
  description: 'What a point of the index stands for.',
  valuesConfig: {
    CROP: { description: 'A crop around defects or of clean bodywork (the default everywhere).' },
    PHOTO: { description: 'A whole photo, one point per photo beside its crops.' },
  },
});
