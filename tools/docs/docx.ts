import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  AlignmentType,
  Document,
  HeadingLevel,
  ImageRun,
  LevelFormat,
  Packer,
  Paragraph,
  ShadingType,
  Table,
  TableCell,
  TableRow,
  TextRun,
  WidthType,
  type IParagraphOptions,
  type ParagraphChild,
} from 'docx';
import { Lexer, type Token, type Tokens } from 'marked';
import sharp from 'sharp';

/** Text width of an A4 page with docx's default margins (1 inch), in pixels at 96 dpi (Word's unit
 * for images) and in twentieths of a point (its unit for tables). */
const PAGE_WIDTH_PX = 600;
const PAGE_WIDTH_TWIPS = 9026;
/** Paragraph spacing after, in twentieths of a point: body text, list items, a list's last item. */
const SPACING_AFTER = { paragraph: 120, item: 40, list: 160 } as const;
/** Space above a paragraph that follows a table, which has no spacing of its own. */
const SPACING_AFTER_TABLE = 160;
/** Body text in half-points (11 pt); inline code a point smaller, since a monospaced face runs wider. */
const BODY_SIZE = 22;
const CODE_FONT = 'Consolas';
const ORDERED_LIST = 'ordered';

/** How a Markdown heading depth becomes a Word paragraph style: the one `#` is the title. */
const HEADING_STYLES = {
  1: HeadingLevel.TITLE,
  2: HeadingLevel.HEADING_1,
  3: HeadingLevel.HEADING_2,
  4: HeadingLevel.HEADING_3,
} as const;

export interface MarkdownDocxOptions {
  /** Folder that the Markdown's image paths are relative to. */
  baseDir: string;
  /** BCP 47 language of the text, so that Word checks its spelling in that language. */
  language: string;
  /** The document's author, as Word shows it in its properties. */
  author: string;
}

/**
 * Builds a Word document from Markdown with the `docx` library: headings (`#` as the title, `##`
 * as Heading 1, and so on), paragraphs, bold, italic, inline code, bulleted and numbered lists,
 * tables and PNG images. Anything else (a code block, HTML, a quote) is refused with the
 * Markdown that holds it, since the document's readers would not see it as written.
 */
export async function markdownToDocx(markdown: string, options: MarkdownDocxOptions): Promise<Buffer> {
  const converter = new Converter(options.baseDir);
  const children = await converter.blocks(new Lexer().lex(markdown));
  const document = new Document({
    title: converter.title,
    creator: options.author,
    lastModifiedBy: options.author,
    styles: {
      default: { document: { run: { font: 'Calibri', size: BODY_SIZE, language: { value: options.language } } } },
    },
    numbering: {
      config: [
        {
          reference: ORDERED_LIST,
          levels: [0, 1, 2].map((level) => ({
            level,
            format: LevelFormat.DECIMAL,
            text: `%${level + 1}.`,
            alignment: AlignmentType.START,
            style: { paragraph: { indent: { left: 720 * (level + 1), hanging: 360 } } },
          })),
        },
      ],
    },
    sections: [{ children }],
  });
  return Packer.toBuffer(document);
}

interface InlineStyle {
  bold?: boolean;
  italics?: boolean;
}

class Converter {
  title = '';
  private orderedLists = 0;
  private previous = '';

  constructor(private readonly baseDir: string) {}

  async blocks(tokens: Token[]): Promise<(Paragraph | Table)[]> {
    const out: (Paragraph | Table)[] = [];
    for (const token of tokens) {
      out.push(...(await this.block(token as Tokens.Generic)));
      if (token.type !== 'space') this.previous = token.type;
    }
    return out;
  }

  private async block(token: Tokens.Generic): Promise<(Paragraph | Table)[]> {
    switch (token.type) {
      case 'space':
        return [];
      case 'heading':
        return [this.heading(token as Tokens.Heading)];
      case 'paragraph': {
        const { tokens } = token as Tokens.Paragraph;
        const [only] = tokens;
        if (tokens.length === 1 && only?.type === 'image') return [await this.image(only as Tokens.Image)];
        const before = this.previous === 'table' ? SPACING_AFTER_TABLE : 0;
        return [new Paragraph({ children: this.inline(tokens), spacing: { before, after: SPACING_AFTER.paragraph } })];
      }
      case 'list': {
        const items = this.list(token as Tokens.List, 0);
        return items.map(
          (item, index) =>
            new Paragraph({
              ...item,
              spacing: { after: index === items.length - 1 ? SPACING_AFTER.list : SPACING_AFTER.item },
            }),
        );
      }
      case 'table':
        return [this.table(token as Tokens.Table)];
      default:
        throw new Error(`Markdown ${token.type} is not supported in a Word document: ${excerpt(token.raw)}`);
    }
  }

  private heading(token: Tokens.Heading): Paragraph {
    const style = HEADING_STYLES[token.depth as keyof typeof HEADING_STYLES];
    if (style === undefined) throw new Error(`Heading level ${token.depth} is deeper than 4: ${excerpt(token.raw)}`);
    if (style === HeadingLevel.TITLE) {
      if (this.title !== '') throw new Error(`A second title (#): ${excerpt(token.raw)}; the document has one`);
      this.title = token.text;
    }
    return new Paragraph({ heading: style, children: this.inline(token.tokens) });
  }

  private async image(token: Tokens.Image): Promise<Paragraph> {
    if (path.extname(token.href).toLowerCase() !== '.png') {
      throw new Error(`Image ${token.href}: only PNG images are supported`);
    }
    const data = await readFile(path.resolve(this.baseDir, token.href));
    const { width, height } = await sharp(data).metadata();
    const scale = Math.min(1, PAGE_WIDTH_PX / width);
    return new Paragraph({
      alignment: AlignmentType.CENTER,
      children: [
        new ImageRun({
          type: 'png',
          data,
          transformation: { width: Math.round(width * scale), height: Math.round(height * scale) },
          altText: { name: path.basename(token.href), title: token.text, description: token.text },
        }),
      ],
    });
  }

  private list(token: Tokens.List, level: number): IParagraphOptions[] {
    const instance = token.ordered ? ++this.orderedLists : 0;
    return token.items.flatMap((item) =>
      item.tokens.flatMap((child): IParagraphOptions[] => {
        if (child.type === 'list') return this.list(child as Tokens.List, level + 1);
        if (child.type === 'space') return [];
        if (child.type !== 'text' && child.type !== 'paragraph') {
          throw new Error(`Markdown ${child.type} inside a list item is not supported: ${excerpt(child.raw)}`);
        }
        const inline = (child as Tokens.Text).tokens ?? [child];
        return [
          {
            children: this.inline(inline),
            ...(token.ordered ? { numbering: { reference: ORDERED_LIST, level, instance } } : { bullet: { level } }),
          },
        ];
      }),
    );
  }

  private table(token: Tokens.Table): Table {
    // Columns as wide as their longest text, as a Markdown renderer lays them out; Word would
    // otherwise split the page evenly and wrap a long first column into many lines.
    const lengths = token.header.map((_, column) =>
      Math.max(12, ...[token.header, ...token.rows].map((cells) => cells[column]?.text.length ?? 0)),
    );
    const total = lengths.reduce((sum, length) => sum + length, 0);
    const widths = lengths.map((length) => Math.round((PAGE_WIDTH_TWIPS * length) / total));
    const row = (cells: Tokens.TableCell[], header: boolean) =>
      new TableRow({
        tableHeader: header || undefined,
        children: cells.map(
          (cell, column) =>
            new TableCell({
              width: { size: widths[column] ?? 0, type: WidthType.DXA },
              shading: header ? { type: ShadingType.CLEAR, fill: 'E7EDF3', color: 'auto' } : undefined,
              margins: { left: 80, right: 80, top: 40, bottom: 40 },
              children: [
                new Paragraph({
                  alignment: token.align[column] === 'right' ? AlignmentType.RIGHT : AlignmentType.LEFT,
                  children: this.inline(cell.tokens, { bold: header }, 18),
                }),
              ],
            }),
        ),
      });
    return new Table({
      width: { size: PAGE_WIDTH_TWIPS, type: WidthType.DXA },
      columnWidths: widths,
      rows: [row(token.header, true), ...token.rows.map((cells) => row(cells, false))],
    });
  }

  /** Runs of an inline token list; `size` in half-points, unset for the document's default. */
  private inline(tokens: Token[], style: InlineStyle = {}, size?: number): ParagraphChild[] {
    return tokens.flatMap((token): ParagraphChild[] => {
      switch (token.type) {
        case 'text':
        case 'escape':
          return 'tokens' in token && token.tokens?.length
            ? this.inline(token.tokens, style, size)
            : [new TextRun({ text: softBreaks(token.text as string), ...style, size })];
        case 'strong':
          return this.inline((token as Tokens.Strong).tokens, { ...style, bold: true }, size);
        case 'em':
          return this.inline((token as Tokens.Em).tokens, { ...style, italics: true }, size);
        case 'codespan':
          return [
            new TextRun({
              text: softBreaks(token.text as string),
              ...style,
              size: (size ?? BODY_SIZE) - 2,
              font: CODE_FONT,
            }),
          ];
        case 'br':
          return [new TextRun({ text: '', break: 1 })];
        default:
          throw new Error(`Markdown ${token.type} is not supported inside a paragraph: ${excerpt(token.raw)}`);
      }
    });
  }
}

/** A line break inside a Markdown paragraph is a space; Word would keep it as a character. */
function softBreaks(text: string): string {
  return text.replaceAll('\n', ' ');
}

function excerpt(raw: string): string {
  const line = raw.trim().split('\n')[0] ?? '';
  return JSON.stringify(line.length > 60 ? `${line.slice(0, 60)}…` : line);
}
