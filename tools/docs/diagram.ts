import { readFile, writeFile } from 'node:fs/promises';
import { Graphviz } from '@hpcc-js/wasm-graphviz';
import sharp from 'sharp';

/** Pixels per inch of the PNG: Graphviz lays out in points (72 per inch), Word shows 96 dpi. */
const DENSITY = 102;

/** Renders a Graphviz DOT file to a PNG (Graphviz in WebAssembly draws SVG, sharp rasterises it). */
export async function renderDiagram(dotFile: string, pngFile: string): Promise<void> {
  const graphviz = await Graphviz.load();
  const svg = graphviz.dot(await readFile(dotFile, 'utf8'), 'svg');
  await writeFile(pngFile, await sharp(Buffer.from(svg), { density: DENSITY }).png().toBuffer());
}
