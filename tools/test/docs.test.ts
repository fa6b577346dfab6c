import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mammoth from 'mammoth';
import { Lexer, type Token, type Tokens } from 'marked';
import { afterAll, describe, expect, it } from 'vitest';
import { buildOverview, DATA_FLOW_DOT, DATA_FLOW_PNG, DOCS_DIR, OVERVIEW_MARKDOWN } from '../docs/build';
import sharp from 'sharp';
import { drawnFrom, renderDiagram, sourceStamp } from '../docs/diagram';
import { markdownToDocx } from '../docs/docx';

/**
 * The client's overview (docs/technical-overview.es.md) as Word: the .docx that `npm run docs`
 * builds is opened again with mammoth, a reader independent of the writer, and compared with the
 * Markdown it came from.
 */
const tmp = mkdtempSync(path.join(tmpdir(), 'defect-rag-docs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Word's styles as the HTML levels of the Markdown they come from (`#` is the Title style). */
const STYLE_MAP = [
  "p[style-name='Title'] => h1:fresh",
  "p[style-name='Heading 1'] => h2:fresh",
  "p[style-name='Heading 2'] => h3:fresh",
  "p[style-name='Heading 3'] => h4:fresh",
];

async function openDocx(buffer: Buffer): Promise<string> {
  const { value, messages } = await mammoth.convertToHtml({ buffer }, { styleMap: STYLE_MAP });
  expect(messages).toEqual([]);
  return value;
}

function plain(html: string): string {
  return html
    .replace(/<[^>]+>/g, '')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&amp;', '&');
}

function htmlHeadings(html: string): { depth: number; text: string }[] {
  return [...html.matchAll(/<h(\d)>(.*?)<\/h\d>/g)].map(([, depth, text]) => ({
    depth: Number(depth),
    text: plain(text!),
  }));
}

function markdownTokens(markdown: string): Token[] {
  const all: Token[] = [];
  const walk = (tokens: Token[]) => {
    for (const token of tokens) {
      all.push(token);
      if (token.type === 'list') for (const item of (token as Tokens.List).items) walk(item.tokens);
    }
  };
  walk(new Lexer().lex(markdown));
  return all;
}

describe('the technical overview', () => {
  const markdown = readFileSync(OVERVIEW_MARKDOWN, 'utf8');
  const tokens = markdownTokens(markdown);

  it('has no code blocks', () => {
    expect(tokens.filter((token) => token.type === 'code').map((token) => token.raw)).toEqual([]);
  });

  it('builds a Word document with the Markdown headings in order and at their levels, its tables and the figure', async () => {
    const html = await openDocx(readFileSync(await buildOverview(tmp)));

    const headings = tokens
      .filter((token): token is Tokens.Heading => token.type === 'heading')
      .map((heading) => ({ depth: heading.depth, text: heading.tokens.map(textOf).join('') }));
    expect(headings.length).toBeGreaterThan(8);
    expect(htmlHeadings(html)).toEqual(headings);

    const tables = tokens.filter((token): token is Tokens.Table => token.type === 'table');
    expect(tables.length).toBeGreaterThan(0);
    const htmlTables = [...html.matchAll(/<table>(.*?)<\/table>/g)].map(([, table]) => table!);
    expect(htmlTables.map((table) => [...table.matchAll(/<th>(.*?)<\/th>/g)].map(([, cell]) => plain(cell!)))).toEqual(
      tables.map((table) => table.header.map((cell) => cell.tokens.map(textOf).join(''))),
    );
    expect(htmlTables.map((table) => table.match(/<tr>/g)?.length)).toEqual(
      tables.map((table) => table.rows.length + 1),
    );

    const images = [...html.matchAll(/<img alt="([^"]*)" src="data:image\/png;base64,([^"]+)"/g)];
    expect(images.map(([, alt]) => alt)).toEqual(
      tokens
        .flatMap((token) => (token.type === 'paragraph' ? (token as Tokens.Paragraph).tokens : []))
        .filter((token) => token.type === 'image')
        .map((token) => (token as Tokens.Image).text),
    );
    expect(images.map(([, , data]) => Buffer.from(data!, 'base64').equals(readFileSync(DATA_FLOW_PNG)))).toEqual([
      true,
    ]);
  });

  it('shows the figure its Graphviz source draws (run npm run docs after changing data-flow.dot)', async () => {
    expect(
      await drawnFrom(DATA_FLOW_PNG),
      'docs/data-flow.png was not drawn from docs/data-flow.dot as it is: run npm run docs',
    ).toBe(sourceStamp(readFileSync(DATA_FLOW_DOT, 'utf8')));
  });
});

describe('renderDiagram', () => {
  it('draws a DOT file as a PNG stamped with its source, which another source does not match', async () => {
    const dot = path.join(tmp, 'flow.dot');
    writeFileSync(dot, 'digraph { photos -> crops -> index }');
    const png = path.join(tmp, 'flow.png');
    await renderDiagram(dot, png);
    const { format, width, height } = await sharp(png).metadata();
    expect({ format, wide: width > 50, high: height > 150 }).toEqual({ format: 'png', wide: true, high: true });
    expect(await drawnFrom(png)).toBe(sourceStamp('digraph { photos -> crops -> index }'));
    expect(await drawnFrom(png)).not.toBe(sourceStamp('digraph { photos -> crops }'));
  });
});

describe('markdownToDocx', () => {
  const options = { baseDir: DOCS_DIR, language: 'es-ES', author: 'defect-rag' };

  it('keeps emphasis, inline code and nested and numbered lists, and makes a soft line break a space', async () => {
    const markdown = [
      '# Título',
      'Texto con **negrita**,\n*cursiva* y `código`.',
      '- uno\n  - uno y medio\n- dos',
      '1. primero\n2. segundo',
    ].join('\n\n');
    const html = await openDocx(await markdownToDocx(markdown, options));
    expect(html).toBe(
      '<h1>Título</h1><p>Texto con <strong>negrita</strong>, <em>cursiva</em> y código.</p>' +
        '<ul><li>uno<ul><li>uno y medio</li></ul></li><li>dos</li></ul><ol><li>primero</li><li>segundo</li></ol>',
    );
  });

  it('refuses what a Word reader would not see as written, naming it', async () => {
    await expect(markdownToDocx('# T\n\n```\nnpm run docs\n```\n', options)).rejects.toThrow(
      'Markdown code is not supported in a Word document: "```"',
    );
    await expect(markdownToDocx('# Uno\n\n# Dos\n', options)).rejects.toThrow('A second title (#): "# Dos"');
    await expect(markdownToDocx('# T\n\n![foto](foto.jpg)\n', options)).rejects.toThrow(
      'Image foto.jpg: only PNG images are supported',
    );
  });
});

function textOf(token: Token): string {
  return 'tokens' in token && token.tokens
    ? token.tokens.map(textOf).join('')
    : ((token as { text?: string }).text ?? '');
}
