import type { Point } from '@defect-rag/dataset';
import type { Car } from './car';
import type { DamageShape } from './damage';
import { toFileCoordinates } from './shapes';

/** The first line of the dataset's README, which also marks a folder as a demo dataset. */
export const README_TITLE = '# defect-rag demo dataset';

/** LabelMe 5 damage file, with the keys in the order LabelMe writes them. */
export function labelMeFile(
  shapes: readonly DamageShape[],
  image: { file: string; width: number; height: number },
): string {
  return formatJson(
    {
      version: '5.0.1',
      flags: {},
      shapes: shapes.map((shape) => ({
        label: shape.label,
        points: toFileCoordinates(shape.points, image.width, image.height),
        group_id: null,
        shape_type: shape.shapeType,
        flags: {},
      })),
      imagePath: `../images/${image.file}`,
      imageData: null,
      imageHeight: image.height,
      imageWidth: image.width,
    },
    2,
  );
}

/** One `poligonos.json` entry in the shape the shared sample ships. */
export function polygonsEntry(car: Car, width: number, height: number) {
  const points = (polygon: readonly Point[]) => toFileCoordinates(polygon, width, height);
  return {
    width,
    height,
    vehicle: [points(car.silhouette)],
    parts: car.parts.map((part) => ({ label: part.label, points: points(part.polygon) })),
  };
}

export function polygonsFile(entries: Record<string, ReturnType<typeof polygonsEntry>>): string {
  return formatJson(entries, 1);
}

export interface DatasetFacts {
  images: number;
  damaged: number;
  clean: number;
  defects: number;
  seed: number;
  /** Damage labels and how many shapes carry each, in first-seen order. */
  labels: Map<string, number>;
  /** Part labels and how many polygons carry each. */
  parts: Map<string, number>;
  sizes: string[];
  /** Longest bounding-box side of any damage shape, px. */
  longestDefect: number;
}

export function readme(facts: DatasetFacts): string {
  const count = (map: Map<string, number>) => [...map].map(([label, n]) => `\`${label}\` ${n}`).join(', ');
  return `${README_TITLE}

Synthetic pictures of cars, drawn by defect-rag (\`generateDemoDataset\`, seed ${facts.seed}), for demos and
tests. Nothing here is a photograph; it is not training data. The same seed and image count always
give the same bytes.

| images | damaged | clean | damage shapes |
|---|---|---|---|
| ${facts.images} | ${facts.damaged} | ${facts.clean} | ${facts.defects} |

## Layout

- \`images/<stem>.jpg\`: side views of a car on a textured background.
- \`annotations/<stem>_labelDANO_modificado.json\`: LabelMe 5 polygons (some rectangles), damaged
  images only. An image is damaged exactly when this file exists; the file names say nothing.
- \`poligonos.json\`: \`{"<file>": {"width", "height", "vehicle": [[[x,y],...]], "parts": [{"label", "points"}]}}\`
  for every image: the car's outline (body and wheels) and its parts.

## Content

- Damage: scratches (thin jagged lines, some keyed along the doors), dents (shaded hollows), cracks
  (branching lines on bumpers, lamps and glass) and paint chips; the longest shape is
  ${facts.longestDefect} px. Labelled the way annotators write them, in Spanish and English:
  ${count(facts.labels)}.
- Parts: ${count(facts.parts)}.
- Sizes: ${facts.sizes.join(', ')}.
`;
}

/**
 * JSON as the shared sample writes it (Python's \`json.dump\` with \`indent\`): one key per line,
 * but each [x, y] point on one line.
 */
function formatJson(value: unknown, indent: number): string {
  return `${JSON.stringify(value, null, indent).replace(/\[\s+(-?[\d.e+-]+),\s+(-?[\d.e+-]+)\s+\]/g, '[$1, $2]')}\n`;
}
