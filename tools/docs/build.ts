import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderDiagram } from './diagram';
import { markdownToDocx } from './docx';

export const DOCS_DIR = path.resolve(import.meta.dirname, '..', '..', 'docs');
export const OVERVIEW_MARKDOWN = path.join(DOCS_DIR, 'technical-overview.es.md');
export const DATA_FLOW_DOT = path.join(DOCS_DIR, 'data-flow.dot');
export const DATA_FLOW_PNG = path.join(DOCS_DIR, 'data-flow.png');

/** Draws the overview's data-flow figure from its Graphviz source, beside it in docs/. */
export async function renderDataFlow(): Promise<string> {
  await renderDiagram(DATA_FLOW_DOT, DATA_FLOW_PNG);
  return DATA_FLOW_PNG;
}

/** Writes technical-overview.es.docx into `outDir` from the Markdown in docs/; returns its path. */
export async function buildOverview(outDir: string): Promise<string> {
  const docx = await markdownToDocx(await readFile(OVERVIEW_MARKDOWN, 'utf8'), {
    baseDir: DOCS_DIR,
    language: 'es-ES',
    author: 'defect-rag',
  });
  const file = path.join(outDir, 'technical-overview.es.docx');
  await writeFile(file, docx);
  return file;
}
