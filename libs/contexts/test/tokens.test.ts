import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedPathOrSkip } from '@defect-rag/testing';
import { estimateClipTokens } from '../src';

describe('estimateClipTokens', () => {
  it('counts start and end tokens, punctuation runs and single digits', () => {
    expect(estimateClipTokens('')).toBe(2);
    expect(estimateClipTokens('dent')).toBe(3);
    expect(estimateClipTokens('12 dents.')).toBe(2 + 2 + 1 + 1);
    expect(estimateClipTokens('(bumper).')).toBe(2 + 1 + 2 + 1);
  });

  it('grows with word length', () => {
    expect(estimateClipTokens('a')).toBeLessThan(estimateClipTokens('paragolpesdelantero'));
  });

  const goldens = sharedPathOrSkip('tokenizers/clip/goldens.json');
  it.skipIf(!goldens)('stays within 40 % of the real CLIP token counts of the shared goldens', () => {
    const cases = JSON.parse(readFileSync(goldens ?? '', 'utf8')) as { text: string; ids: number[] }[];
    expect(cases.length).toBeGreaterThan(3);
    for (const { text, ids } of cases) {
      const estimate = estimateClipTokens(text);
      expect(Math.abs(estimate - ids.length) / ids.length, text).toBeLessThanOrEqual(0.4);
      // English descriptions are what the pipeline writes: there the estimate errs on the safe side.
      if (/^(\d+ \w+ on|Clean surface)/.test(text)) expect(estimate, text).toBeGreaterThanOrEqual(ids.length);
    }
  });
});
