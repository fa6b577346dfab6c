/** The text model's context length for CLIP-family models (start and end tokens included). */
export const CLIP_MAX_TOKENS = 77;

/**
 * Counts the tokens the text model sees for a text, start and end tokens included. The embedding
 * library has the model's real tokenizer; callers that have it pass its count here.
 */
export type CountTokens = (text: string) => number;

// CLIP's pre-tokenisation: contractions, runs of letters, single digits, runs of other symbols.
const PRE_TOKENS = /'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+/gu;

/**
 * A tokenizer-free estimate of the CLIP token count: CLIP's pre-tokenisation, then one BPE token
 * per 5 letters of each word. Common English words are one token in CLIP's vocabulary, so this
 * over-counts plain English descriptions (by about a third on the shared goldens) and may
 * under-count other languages by a few tokens: a guard against truncation, not an exact count.
 */
export const estimateClipTokens: CountTokens = (text) => {
  let count = 2;
  for (const [piece] of text.toLowerCase().matchAll(PRE_TOKENS)) {
    count += /^\p{L}+$/u.test(piece) ? Math.ceil(piece.length / 5) : 1;
  }
  return count;
};
