import { z } from 'zod';
import type { Problem } from '@defect-rag/runtime';
import { polygonArea, polygonBox, type Point } from './geometry';
import type { Defect } from './model';
import { checkPolygon, pointSchema, rectangleToPolygon, type Size } from './polygons';

const labelMeFileSchema = z.object({
  shapes: z.array(z.unknown()),
  imageWidth: z.number().nullish(),
  imageHeight: z.number().nullish(),
});

const shapeSchema = z.object({
  label: z.string().trim().min(1, 'empty label'),
  points: z.array(pointSchema),
  shape_type: z.string().nullish(),
});

/** The image a LabelMe file is checked against: its displayed size and its stored one. */
export interface AnnotatedImage {
  displayed: Size;
  stored: Size;
  orientation: number;
}

/**
 * Reads the damage shapes of a LabelMe file. `defects` is null when the file cannot be used at all
 * (malformed JSON, not LabelMe, drawn on an image of another size); otherwise each bad shape is
 * dropped or clipped with a problem and the rest are returned.
 */
export function parseLabelMe(
  text: string,
  item: string,
  image: AnnotatedImage,
): { defects: Defect[] | null; problems: Problem[] } {
  const problem = (code: Problem['code'], message: string): Problem => ({ item, stage: 'dataset', code, message });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { defects: null, problems: [problem('ANNOTATION_INVALID', `malformed JSON: ${(error as Error).message}`)] };
  }
  const file = labelMeFileSchema.safeParse(json);
  if (!file.success) {
    return {
      defects: null,
      problems: [problem('ANNOTATION_INVALID', `not a LabelMe file: ${z.prettifyError(file.error)}`)],
    };
  }
  const sizeProblem = checkDeclaredSize(file.data, image);
  if (sizeProblem) return { defects: null, problems: [problem('ANNOTATION_INVALID', sizeProblem)] };

  const defects: Defect[] = [];
  const problems: Problem[] = [];
  file.data.shapes.forEach((raw, index) => {
    const shape = shapeSchema.safeParse(raw);
    if (!shape.success) {
      problems.push(
        problem('POLYGON_INVALID', `shape ${index} is not a LabelMe shape: ${z.prettifyError(shape.error)}`),
      );
      return;
    }
    const { label, points, shape_type: type } = shape.data;
    const what = `shape ${index} ('${label}')`;
    let outline: readonly Point[];
    if (type === 'rectangle' && points.length === 2) outline = rectangleToPolygon([points[0]!, points[1]!]);
    else if (type === undefined || type === null || type === 'polygon') outline = points;
    else {
      problems.push(problem('POLYGON_INVALID', `${what} is a ${type}; only polygon and rectangle shapes are read`));
      return;
    }
    const checked = checkPolygon(outline, image.displayed, what, 'DEFECT_ZERO_AREA');
    problems.push(...checked.issues.map((issue) => problem(issue.code, issue.message)));
    if (checked.polygon) {
      defects.push({
        index,
        label,
        polygon: checked.polygon,
        box: polygonBox(checked.polygon),
        area: polygonArea(checked.polygon),
      });
    }
  });
  return { defects, problems };
}

/**
 * LabelMe records the size of the image it showed. Since LabelMe applies EXIF orientation before
 * showing an image, that is the displayed size; a file whose size only matches the stored frame was
 * drawn by a tool that ignored the orientation, and its coordinates cannot be trusted.
 */
function checkDeclaredSize(file: z.infer<typeof labelMeFileSchema>, image: AnnotatedImage): string | null {
  const { imageWidth: width, imageHeight: height } = file;
  if (width == null || height == null) return null;
  const { displayed, stored } = image;
  if (width === displayed.width && height === displayed.height) return null;
  if (width === stored.width && height === stored.height) {
    return `drawn on the stored ${width}×${height} frame, but the image has EXIF orientation ${image.orientation} and is displayed as ${displayed.width}×${displayed.height}; annotations must use the displayed frame`;
  }
  return `imageWidth×imageHeight is ${width}×${height} but the image is ${displayed.width}×${displayed.height}`;
}
