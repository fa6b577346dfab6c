// npm run docs [-- --out DIR]
// Draws docs/data-flow.png from docs/data-flow.dot, then builds the client's technical overview,
// docs/technical-overview.es.docx (or DIR/technical-overview.es.docx), from its Markdown.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildOverview, DOCS_DIR, renderDataFlow } from './build';

const { values } = parseArgs({ options: { out: { type: 'string' } } });

try {
  const outDir = path.resolve(values.out ?? DOCS_DIR);
  await mkdir(outDir, { recursive: true });
  const diagram = await renderDataFlow();
  const docx = await buildOverview(outDir);
  console.log(`docs: drew ${path.relative(process.cwd(), diagram)}, wrote ${path.relative(process.cwd(), docx)}`);
} catch (error) {
  console.error(`docs: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
