import { z } from 'zod';
import type { ErrorCode } from '@defect-rag/runtime';
import { clipPolygon, polygonArea, type Point, type Polygon } from './geometry';

export const pointSchema = z.tuple([z.number(), z.number()]).readonly();

/** A polygon problem before it gets its item and stage. */
export interface PolygonIssue {
  code: ErrorCode;
  message: string;
}

export interface Size {
  width: number;
  height: number;
}

/**
 * Checks one polygon against its image: at least 3 points, inside [0, width] × [0, height] (clipped
 * to the image and reported otherwise), and a non-zero area after clipping. Returns the polygon to
 * use (null when it must be dropped) and what was wrong with it. `what` names it in messages.
 */
export function checkPolygon(
  points: readonly Point[],
  size: Size,
  what: string,
  zeroAreaCode: ErrorCode,
): { polygon: Polygon | null; issues: PolygonIssue[] } {
  if (points.length < 3) {
    return {
      polygon: null,
      issues: [
        { code: 'POLYGON_INVALID', message: `${what} has ${points.length} point(s); a polygon needs at least 3` },
      ],
    };
  }
  const issues: PolygonIssue[] = [];
  let polygon: Polygon = points;
  const outside = points.filter(([x, y]) => x < 0 || y < 0 || x > size.width || y > size.height);
  if (outside.length > 0) {
    polygon = clipPolygon(points, { x: 0, y: 0, width: size.width, height: size.height });
    issues.push({
      code: 'POLYGON_OUT_OF_BOUNDS',
      message: `${what} has ${outside.length} point(s) outside the ${size.width}×${size.height} image (first: ${formatPoint(outside[0]!)}); clipped to the image`,
    });
  }
  if (polygon.length < 3 || polygonArea(polygon) === 0) {
    issues.push({
      code: zeroAreaCode,
      message: `${what} has zero area${outside.length > 0 ? ' inside the image' : ''}; dropped`,
    });
    return { polygon: null, issues };
  }
  return { polygon, issues };
}

/** A LabelMe `rectangle` is two opposite corners; everything else here is a polygon. */
export function rectangleToPolygon([a, b]: readonly [Point, Point]): Polygon {
  return [a, [b[0], a[1]], b, [a[0], b[1]]];
}

function formatPoint([x, y]: Point): string {
  return `(${x}, ${y})`;
}
