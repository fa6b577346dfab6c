import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { workspaceRoot } from '@defect-rag/runtime';
import { sharedPathOrSkip } from '@defect-rag/testing';
import { TextTokenizer } from '../src/tokenizer';
import { TINY_CLIP } from './support/images';

const clipDir = sharedPathOrSkip('tokenizers/clip');
const fail = (message: string) => new Error(message);
const START = 49406;
const END = 49407;

/** Runs the tool as a user would and reads what it wrote. */
function buildWithTool(mergesFile: string): { tokenizer: Record<string, unknown>; config: Record<string, unknown> } {
  const out = mkdtempSync(path.join(os.tmpdir(), 'clip-tokenizer-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));
  execFileSync(process.execPath, [
    '--import',
    'tsx',
    path.join(workspaceRoot, 'tools', 'clip-tokenizer', 'main.ts'),
    mergesFile,
    '--out',
    out,
  ]);
  const read = (name: string) => JSON.parse(readFileSync(path.join(out, name), 'utf8')) as Record<string, unknown>;
  return { tokenizer: read('tokenizer.json'), config: read('tokenizer_config.json') };
}

describe.skipIf(!clipDir)('CLIP tokenizer built by tools/clip-tokenizer from bpe_simple_vocab_16e6.txt.gz', () => {
  const files = clipDir ? buildWithTool(path.join(clipDir, 'bpe_simple_vocab_16e6.txt.gz')) : undefined;
  const tokenizer = files && new TextTokenizer(files.tokenizer, files.config, 77, fail);
  const goldens = clipDir
    ? (JSON.parse(readFileSync(path.join(clipDir, 'goldens.json'), 'utf8')) as Array<{ text: string; ids: number[] }>)
    : [];

  it("has CLIP's 49408 ids with the special tokens last", () => {
    const vocab = (files!.tokenizer.model as { vocab: Record<string, number> }).vocab;
    expect(Object.keys(vocab)).toHaveLength(49408);
    expect(vocab['<|startoftext|>']).toBe(START);
    expect(vocab['<|endoftext|>']).toBe(END);
  });

  it.each(goldens.map((golden) => [golden.text, golden.ids] as const))('%s', (text, ids) => {
    expect(tokenizer!.encode(text)).toEqual(ids);
    expect(tokenizer!.countTokens(text)).toBe(ids.length);
  });

  it('cuts long texts to 77 tokens keeping the end token, and counts them uncut', () => {
    const text = Array.from({ length: 60 }, (_, i) => `scratch ${i}`).join(', ');
    expect(tokenizer!.countTokens(text)).toBeGreaterThan(77);
    const ids = tokenizer!.encode(text);
    expect(ids).toHaveLength(77);
    expect(ids[0]).toBe(START);
    expect(ids[76]).toBe(END);
    expect(ids.slice(0, 76)).toEqual(tokenizer!.encode(`${text} more words`).slice(0, 76));
  });

  it('pads a batch to its longest text with the end token and masks the padding', () => {
    const batch = tokenizer!.encodeBatch(['a photo of a cat', 'a cat']);
    expect(batch.length).toBe(7);
    expect(batch.ids.slice(7)).toEqual([START, 320, 2368, END, END, END, END]);
    expect(batch.mask).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
  });
});

describe("the tiny model's domain tokenizer", () => {
  const read = (name: string) =>
    JSON.parse(readFileSync(path.join(TINY_CLIP, name), 'utf8')) as Record<string, unknown>;
  const tokenizer = new TextTokenizer(read('tokenizer.json'), read('tokenizer_config.json'), 77, fail);
  const vocabSize = (read('config.json').text_config as { vocab_size: number }).vocab_size;

  it("follows CLIP's contract: start and end tokens are the last two ids", () => {
    const ids = tokenizer.encode('clean surface');
    expect(ids[0]).toBe(vocabSize - 2);
    expect(ids.at(-1)).toBe(vocabSize - 1);
    expect(Math.max(...ids)).toBe(vocabSize - 1);
  });

  it('keeps domain words whole, in English and Spanish, and still tokenises anything else', () => {
    // 2 · scratches · on · front · ( · bumper · ) · .
    expect(tokenizer.countTokens('2 scratches on front (bumper).')).toBe(2 + 8);
    expect(tokenizer.countTokens('rayones profundos en el paragolpes delantero')).toBe(2 + 6);
    expect(tokenizer.countTokens('xyz')).toBe(2 + 3);
  });
});
