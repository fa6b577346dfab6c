import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { Graphviz } from '@hpcc-js/wasm-graphviz';
import sharp from 'sharp';

/** Pixels per inch of the PNG: Graphviz lays out in points (72 per inch), Word shows 96 dpi. */
const DENSITY = 102;
const SOURCE_STAMP = /graphviz-source-sha256:([0-9a-f]{64})/;

/**
 * What a PNG records of the DOT text it was drawn from (its EXIF image description). The drawing
 * itself cannot tell: its text is set in whatever fonts the drawing machine has.
 */
export function sourceStamp(dot: string): string {
  return `graphviz-source-sha256:${createHash('sha256').update(dot).digest('hex')}`;
}

/** Renders a Graphviz DOT file to a PNG (Graphviz in WebAssembly draws SVG, sharp rasterises it), stamped with its source. */
export async function renderDiagram(dotFile: string, pngFile: string): Promise<void> {
  const dot = await readFile(dotFile, 'utf8');
  const graphviz = await Graphviz.load();
  const svg = graphviz.dot(dot, 'svg');
  const png = await sharp(Buffer.from(svg), { density: DENSITY })
    .png()
    .withExif({ IFD0: { ImageDescription: sourceStamp(dot) } })
    .toBuffer();
  await writeFile(pngFile, png);
}

/** The source stamp of a PNG that `renderDiagram` drew; undefined for any other PNG. */
export async function drawnFrom(pngFile: string): Promise<string | undefined> {
  const { exif } = await sharp(pngFile).metadata();
  const found = exif?.toString('latin1').match(SOURCE_STAMP);
  return found ? found[0] : undefined;
}
