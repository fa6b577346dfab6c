import type { SimilarityQuery } from './queries';

/**
 * What the user adds to a query from its results: relevance feedback ("more like this", "not like
 * this"), photos left out, and the page. A new query starts without any.
 */
export interface Refinements {
  positiveCropIds: string[];
  negativeCropIds: string[];
  excludePhotoIds: string[];
  offset: number;
}

export const NO_REFINEMENTS: Refinements = { positiveCropIds: [], negativeCropIds: [], excludePhotoIds: [], offset: 0 };

/** The API's cap: offset + limit ≤ 100. */
export const MAX_RESULT_POSITION = 100;

export type Feedback = 'positive' | 'negative';

/** The query with the refinements that are set; empty lists and offset 0 are left out, not sent. */
export function refineQuery(query: SimilarityQuery, refinements: Refinements): SimilarityQuery {
  const { positiveCropIds, negativeCropIds, excludePhotoIds, offset } = refinements;
  return {
    ...query,
    ...(positiveCropIds.length > 0 ? { positiveCropIds } : {}),
    ...(negativeCropIds.length > 0 ? { negativeCropIds } : {}),
    ...(excludePhotoIds.length > 0 ? { excludePhotoIds } : {}),
    ...(offset > 0 ? { offset } : {}),
  };
}

/**
 * Marks a crop as a positive or a negative example, back to the first page. A crop is one or the
 * other (the API refuses both), so it leaves the opposite list.
 */
export function giveFeedback(refinements: Refinements, cropId: string, feedback: Feedback): Refinements {
  const without = (ids: string[]) => ids.filter((id) => id !== cropId);
  const positives = without(refinements.positiveCropIds);
  const negatives = without(refinements.negativeCropIds);
  return {
    ...refinements,
    positiveCropIds: feedback === 'positive' ? [...positives, cropId] : positives,
    negativeCropIds: feedback === 'negative' ? [...negatives, cropId] : negatives,
    offset: 0,
  };
}

/** Leaves a photo's crops out (or lets them back in), back to the first page. */
export function excludePhoto(refinements: Refinements, photoId: string, excluded = true): Refinements {
  const others = refinements.excludePhotoIds.filter((id) => id !== photoId);
  return { ...refinements, excludePhotoIds: excluded ? [...others, photoId] : others, offset: 0 };
}

/** Drops a crop from the feedback, back to the first page. */
export function withdrawFeedback(refinements: Refinements, cropId: string): Refinements {
  return {
    ...refinements,
    positiveCropIds: refinements.positiveCropIds.filter((id) => id !== cropId),
    negativeCropIds: refinements.negativeCropIds.filter((id) => id !== cropId),
    offset: 0,
  };
}

/** Whether a page after this one can exist: this one is full and the next stays within the cap. */
export function hasNextPage(offset: number, limit: number, shown: number): boolean {
  return shown >= limit && offset + 2 * limit <= MAX_RESULT_POSITION;
}
