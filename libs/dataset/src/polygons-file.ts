import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { DefectRagError, type Problem } from '@defect-rag/runtime';
import type { Part, Point, Polygon } from './geometry';
import { checkPolygon, pointSchema, rectangleToPolygon, type Size } from './polygons';

export const POLYGONS_FILE = 'poligonos.json';

const ring = z.array(pointSchema);

/** The shape shipped with the sample datasets: `{width, height, vehicle: [polygon…], parts}`. */
const referenceEntrySchema = z.object({
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  // One polygon or a list of them.
  vehicle: z.union([z.array(ring), ring.transform((polygon) => [polygon])]).default([]),
  parts: z.array(z.object({ label: z.string().trim().min(1), points: ring })).default([]),
});

const labelMeShapeSchema = z.object({
  label: z.string().trim().min(1),
  points: ring,
  shape_type: z.string().nullish(),
});

/** LabelMe style: a shape list, bare or as a LabelMe file; the silhouette is a shape labelled `vehicle`. */
const labelMeEntrySchema = z.union([
  z.array(labelMeShapeSchema).transform((shapes) => ({ shapes, imageWidth: undefined, imageHeight: undefined })),
  z.object({
    shapes: z.array(labelMeShapeSchema),
    imageWidth: z.number().nullish(),
    imageHeight: z.number().nullish(),
  }),
]);

const VEHICLE_LABELS = new Set(['vehicle', 'vehiculo', 'car', 'coche']);

/** One entry of `poligonos.json`, in a single form whatever form the file used. */
export interface PolygonsEntry {
  key: string;
  /** The image size the entry declares, when it declares one. */
  size: Size | null;
  vehicle: Point[][];
  parts: Array<{ label: string; points: Point[] }>;
}

/** What `poligonos.json` holds: its usable entries, and why each unusable one is not (by key). */
export interface PolygonsFile {
  entries: Map<string, PolygonsEntry>;
  invalid: Map<string, string>;
}

/**
 * Reads `poligonos.json`. POLYGONS_INVALID when the file is not JSON or not an object keyed by
 * image; an entry of neither known shape is listed in `invalid` with the reason, naming the key, so
 * the caller can go on without it.
 */
export async function readPolygonsFile(file: string, relative: string): Promise<PolygonsFile> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new DefectRagError('POLYGONS_INVALID', `${relative}: malformed JSON: ${(error as Error).message}`, { file });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new DefectRagError('POLYGONS_INVALID', `${relative}: expected an object keyed by image file name`, { file });
  }
  const entries = new Map<string, PolygonsEntry>();
  const invalid = new Map<string, string>();
  for (const [key, value] of Object.entries(json)) {
    const reference = referenceEntrySchema.safeParse(value);
    if (reference.success) {
      const { width, height, vehicle, parts } = reference.data;
      entries.set(key, { key, size: { width, height }, vehicle: vehicle.map(copyRing), parts: parts.map(copyPart) });
      continue;
    }
    const labelMe = labelMeEntrySchema.safeParse(value);
    if (labelMe.success) {
      entries.set(key, fromLabelMe(key, labelMe.data));
      continue;
    }
    invalid.set(
      key,
      `${relative}: entry "${key}" is neither {width, height, vehicle, parts} nor a LabelMe shape list: ${z.prettifyError(reference.error)}`,
    );
  }
  return { entries, invalid };
}

function fromLabelMe(key: string, entry: z.infer<typeof labelMeEntrySchema>): PolygonsEntry {
  const vehicle: Point[][] = [];
  const parts: PolygonsEntry['parts'] = [];
  for (const shape of entry.shapes) {
    const points =
      shape.shape_type === 'rectangle' && shape.points.length === 2
        ? [...rectangleToPolygon([shape.points[0]!, shape.points[1]!])]
        : shape.points;
    const folded = shape.label.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
    if (VEHICLE_LABELS.has(folded)) vehicle.push(copyRing(points));
    else parts.push({ label: shape.label, points: copyRing(points) });
  }
  const size = entry.imageWidth && entry.imageHeight ? { width: entry.imageWidth, height: entry.imageHeight } : null;
  return { key, size, vehicle, parts };
}

function copyRing(points: readonly Point[]): Point[] {
  return points.map(([x, y]) => [x, y]);
}

function copyPart(part: { label: string; points: readonly Point[] }): { label: string; points: Point[] } {
  return { label: part.label, points: copyRing(part.points) };
}

/**
 * The vehicle and part polygons of one image, checked against its displayed size like damage
 * polygons. An entry declaring another size is ignored with a problem: its coordinates would land
 * in the wrong place.
 */
export function imagePolygons(
  entry: PolygonsEntry,
  image: { displayed: Size; stored: Size; orientation: number },
  relative: string,
): { vehicle: Polygon[]; parts: Part[]; problems: Problem[] } {
  const item = `${relative}: ${entry.key}`;
  const problem = (code: Problem['code'], message: string): Problem => ({ item, stage: 'dataset', code, message });
  const { displayed, stored } = image;
  if (entry.size && (entry.size.width !== displayed.width || entry.size.height !== displayed.height)) {
    const frame =
      entry.size.width === stored.width && entry.size.height === stored.height
        ? ` (the stored frame; the image has EXIF orientation ${image.orientation})`
        : '';
    return {
      vehicle: [],
      parts: [],
      problems: [
        problem(
          'POLYGONS_INVALID',
          `declares ${entry.size.width}×${entry.size.height}${frame} but the image is displayed as ${displayed.width}×${displayed.height}; its polygons are ignored`,
        ),
      ],
    };
  }
  const problems: Problem[] = [];
  const vehicle: Polygon[] = [];
  entry.vehicle.forEach((points, index) => {
    const checked = checkPolygon(points, displayed, `vehicle polygon ${index}`, 'POLYGON_INVALID');
    problems.push(...checked.issues.map((issue) => problem(issue.code, issue.message)));
    if (checked.polygon) vehicle.push(checked.polygon);
  });
  const parts: Part[] = [];
  entry.parts.forEach(({ label, points }, index) => {
    const checked = checkPolygon(points, displayed, `part ${index} ('${label}')`, 'POLYGON_INVALID');
    problems.push(...checked.issues.map((issue) => problem(issue.code, issue.message)));
    if (checked.polygon) parts.push({ label, polygon: checked.polygon });
  });
  return { vehicle, parts, problems };
}
