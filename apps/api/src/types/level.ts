import { registerEnumType } from 'type-graphql';
import { POINT_LEVELS, type PointLevel } from '@defect-rag/runtime';

/**
 * A GraphQL enum over a list of pipeline values: the upper-cased value is its GraphQL name
 * (`fused` ↔ FUSED), so resolvers pass the value straight on.
 */
export function upperCaseEnum<V extends string>(values: readonly V[]): { [K in V as Uppercase<K>]: K } {
  return Object.fromEntries(values.map((value) => [value.toUpperCase(), value])) as { [K in V as Uppercase<K>]: K };
}

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
