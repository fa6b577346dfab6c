/**
 * Builds a Hugging Face `tokenizer.json` (+ `tokenizer_config.json`) for a CLIP byte-level BPE from
 * a CLIP merges file such as OpenAI's `bpe_simple_vocab_16e6.txt.gz`. The vocabulary follows the
 * published scheme (openai/CLIP `simple_tokenizer.py`): the 256 byte symbols, the same 256 with
 * `</w>`, one entry per merge, then `<|startoftext|>` and `<|endoftext|>`. The pipeline around the
 * model (normaliser, pre-tokeniser, post-processor) is the one Hugging Face ships for CLIP, so any
 * reader of `tokenizer.json` gives the ids CLIP was trained with.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export const START_OF_TEXT = '<|startoftext|>';
export const END_OF_TEXT = '<|endoftext|>';
/** CLIP's vocabulary size: 256 bytes, 256 bytes + `</w>`, 48 894 merges, 2 special tokens. */
export const CLIP_VOCAB_SIZE = 49408;
export const CLIP_CONTEXT_LENGTH = 77;

const END_OF_WORD = '</w>';
const BYTE_SYMBOLS = 512;
const SPECIAL_TOKENS = 2;

/**
 * GPT-2/CLIP's reversible map from bytes to printable characters, in CLIP's order: the printable
 * Latin-1 bytes first, then the others mapped above U+0100. Its order is the vocabulary's order.
 */
export function bytesToUnicode(): Array<[byte: number, symbol: string]> {
  const printable: number[] = [];
  for (const [from, to] of [
    [0x21, 0x7e],
    [0xa1, 0xac],
    [0xae, 0xff],
  ] as const) {
    for (let b = from; b <= to; b++) printable.push(b);
  }
  const pairs: Array<[number, string]> = printable.map((b) => [b, String.fromCodePoint(b)]);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    if (!printable.includes(b)) pairs.push([b, String.fromCodePoint(256 + extra++)]);
  }
  return pairs;
}

/** Reads a merges file, gzip-compressed or not. */
export function readMergesFile(file: string): string {
  const bytes = readFileSync(file);
  const gzipped = bytes[0] === 0x1f && bytes[1] === 0x8b;
  return (gzipped ? gunzipSync(bytes) : bytes).toString('utf8');
}

export interface ClipTokenizerFiles {
  /** Contents of `tokenizer.json`. */
  tokenizer: Record<string, unknown>;
  /** Contents of `tokenizer_config.json`. */
  tokenizerConfig: Record<string, unknown>;
}

/**
 * @param mergesText the merges file: a header line, then one `left right` pair per line, best first.
 * @param vocabSize the final vocabulary size; the merges used are the first `vocabSize - 514` lines
 *   after the header (CLIP's file holds more merges than CLIP uses).
 */
export function buildClipTokenizer(
  mergesText: string,
  {
    vocabSize = CLIP_VOCAB_SIZE,
    contextLength = CLIP_CONTEXT_LENGTH,
  }: { vocabSize?: number; contextLength?: number } = {},
): ClipTokenizerFiles {
  const mergeCount = vocabSize - BYTE_SYMBOLS - SPECIAL_TOKENS;
  const lines = mergesText.split('\n').slice(1, 1 + mergeCount);
  const merges = lines.map((line, index) => {
    const parts = line.trim().split(' ');
    if (parts.length !== 2 || !parts[0] || !parts[1]) {
      throw new Error(`merges line ${index + 2} is not a "left right" pair: ${JSON.stringify(line)}`);
    }
    return parts as [string, string];
  });
  if (merges.length < mergeCount) {
    throw new Error(`a vocabulary of ${vocabSize} needs ${mergeCount} merges; the file has ${merges.length}`);
  }

  const symbols = bytesToUnicode().map(([, symbol]) => symbol);
  const tokens = [...symbols, ...symbols.map((symbol) => symbol + END_OF_WORD), ...merges.map(([a, b]) => a + b)];
  const vocab: Record<string, number> = {};
  tokens.forEach((token, id) => {
    if (token in vocab) throw new Error(`merge result ${JSON.stringify(token)} appears twice in the vocabulary`);
    vocab[token] = id;
  });
  const startId = tokens.length;
  const endId = startId + 1;
  vocab[START_OF_TEXT] = startId;
  vocab[END_OF_TEXT] = endId;

  const specialToken = (id: number, content: string) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: true,
    special: true,
  });

  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [specialToken(startId, START_OF_TEXT), specialToken(endId, END_OF_TEXT)],
    // CLIP cleans text with ftfy + whitespace folding + lower-casing; NFC is the part of ftfy that
    // matters for ordinary text, and it is what Hugging Face's CLIP tokenizer does too.
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFC' },
        { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' },
        { type: 'Lowercase' },
      ],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        {
          type: 'Split',
          pattern: {
            Regex:
              "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+",
          },
          behavior: 'Removed',
          invert: true,
        },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: 'RobertaProcessing',
      sep: [END_OF_TEXT, endId],
      cls: [START_OF_TEXT, startId],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: END_OF_TEXT,
      continuing_subword_prefix: '',
      end_of_word_suffix: END_OF_WORD,
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: merges.map(([a, b]) => `${a} ${b}`),
    },
  };

  const tokenizerConfig = {
    tokenizer_class: 'CLIPTokenizer',
    bos_token: START_OF_TEXT,
    eos_token: END_OF_TEXT,
    unk_token: END_OF_TEXT,
    // CLIP pads with the end token; the text tower pools at the first end token, so padding after
    // it never changes a vector.
    pad_token: END_OF_TEXT,
    model_max_length: contextLength,
    do_lower_case: true,
    add_prefix_space: false,
    clean_up_tokenization_spaces: false,
  };

  return { tokenizer, tokenizerConfig };
}
