/**
 * The kinds of vector a crop has, in this order everywhere (collections, phase-3 files, search
 * modes, evaluation query modes): the image tower's, the text tower's, and their fusion.
 */
export const VECTOR_KINDS = ['image', 'text', 'fused'] as const;
export type VectorKind = (typeof VECTOR_KINDS)[number];

/** The towers a model may have; an image-only model has no text, so no fused vectors either. */
export const TOWERS = ['image', 'text'] as const;
export type Tower = (typeof TOWERS)[number];

/** The vector kinds a model with these towers produces. */
export function vectorKindsFor(towers: readonly Tower[]): readonly VectorKind[] {
  return towers.includes('text') ? VECTOR_KINDS : ['image'];
}

export function isVectorKind(value: string): value is VectorKind {
  return (VECTOR_KINDS as readonly string[]).includes(value);
}
