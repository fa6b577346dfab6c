/**
 * A GraphQL enum over a list of pipeline values: the upper-cased value is its GraphQL name
 * (`fused` ↔ FUSED), so resolvers pass the value straight on.
 */
export function upperCaseEnum<V extends string>(values: readonly V[]): { [K in V as Uppercase<K>]: K } {
  return Object.fromEntries(values.map((value) => [value.toUpperCase(), value])) as { [K in V as Uppercase<K>]: K };
}
