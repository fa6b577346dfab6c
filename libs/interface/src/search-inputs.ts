import { z } from 'zod';
import { MAX_FEEDBACK_CROPS } from '@defect-rag/search';
import { filterValues, MAX_QUERY_TEXT_LENGTH, optional, shortText } from './inputs';

const MAX_REGION_POINTS = 1000;

/** A pixel coordinate or size. */
export const finite = z.number({ error: 'must be a finite number' });

/** A crop (or photo point) id. */
export const cropId = z.string().min(1).max(500);

/**
 * The checks of a similarity query's fields, which both edges use: the GraphQL input classes
 * (`@Check`) and the MCP tools' input schemas.
 */
export const queryChecks = {
  cropId: optional(cropId),
  text: optional(z.string().max(MAX_QUERY_TEXT_LENGTH, `at most ${MAX_QUERY_TEXT_LENGTH} characters`)),
  model: optional(z.string().min(1).max(300)),
  // A GraphQL literal such as 1e309 arrives as Infinity; zod's own message for it says nothing.
  minScore: optional(z.number({ error: 'must be a finite number in [-1, 1]' })),
  alpha: optional(z.number({ error: 'must be a finite number in [0, 1]' })),
  cropIds: optional(z.array(z.string().min(1).max(500)).max(MAX_FEEDBACK_CROPS)),
};

/** A region's polygon of `point`s (GraphQL checks its points as inputs of their own). */
export const regionPolygon = <P extends z.ZodType>(point: P) =>
  optional(z.array(point).min(3, 'needs at least 3 points').max(MAX_REGION_POINTS));

/** The checks of a crop filter's fields. */
export const filterChecks = {
  zones: filterValues,
  areas: filterValues,
  damageTypes: filterValues,
  datasetId: shortText,
  split: shortText,
};

/** A query region is a box or a polygon, not both, nor neither. */
export const oneRegionShape = {
  holds: (region: { box?: unknown; polygon?: unknown }) =>
    (region.box === undefined) !== (region.polygon === undefined),
  message: 'give exactly one of box or polygon',
};
