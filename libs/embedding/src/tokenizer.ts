import { Tokenizer } from '@huggingface/tokenizers';

/** Token ids of a batch, padded to its longest text, ready to become `input_ids` / `attention_mask`. */
export interface TokenBatch {
  ids: number[];
  mask: number[];
  /** Tokens per row after padding. */
  length: number;
}

/**
 * A model folder's tokenizer.json read by @huggingface/tokenizers, with CLIP's contract on top:
 * start and end tokens added, at most `maxLength` tokens (the end token is kept when cutting), and
 * padding with the folder's pad token.
 */
export class TextTokenizer {
  private readonly tokenizer: Tokenizer;
  private readonly padId: number;

  constructor(
    tokenizerJson: object,
    tokenizerConfig: Record<string, unknown>,
    readonly maxLength: number,
    fail: (message: string) => Error,
  ) {
    try {
      this.tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
    } catch (error) {
      throw fail(`tokenizer.json could not be read: ${(error as Error).message}`);
    }
    const ends = this.tokenizer.encode('').ids;
    if (ends.length === 0) throw fail('tokenizer.json adds no start/end tokens (expected a CLIP post-processor)');
    // CLIP pads with its end token; the tower pools at the first end token, so the pad value only
    // has to be a valid id.
    const padToken = tokenizerConfig.pad_token;
    const padName = typeof padToken === 'string' ? padToken : (padToken as { content?: string } | undefined)?.content;
    this.padId = (padName !== undefined ? this.tokenizer.token_to_id(padName) : undefined) ?? ends.at(-1)!;
  }

  /** Tokens of `text` with the start and end tokens, before any cut to `maxLength`. */
  countTokens(text: string): number {
    return this.tokenizer.encode(text).ids.length;
  }

  /** Ids of `text`, cut to `maxLength` with the end token kept last, as CLIP truncates. */
  encode(text: string): number[] {
    const ids = this.tokenizer.encode(text).ids;
    return ids.length <= this.maxLength ? ids : [...ids.slice(0, this.maxLength - 1), ids.at(-1)!];
  }

  /**
   * Pads to the longest text of the batch rather than to `maxLength`: CLIP's text tower is causal
   * and pools at the end token, so the padding after it never changes a vector and only costs time.
   * `fixedLength` is for graphs exported with a fixed sequence length.
   */
  encodeBatch(texts: readonly string[], fixedLength?: number): TokenBatch {
    const rows = texts.map((text) => this.encode(text));
    const length = fixedLength ?? Math.max(...rows.map((row) => row.length));
    const ids: number[] = [];
    const mask: number[] = [];
    for (const row of rows) {
      for (let i = 0; i < length; i++) {
        ids.push(i < row.length ? row[i]! : this.padId);
        mask.push(i < row.length ? 1 : 0);
      }
    }
    return { ids, mask, length };
  }
}
