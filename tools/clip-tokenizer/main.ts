// npx tsx tools/clip-tokenizer/main.ts <bpe_simple_vocab_16e6.txt.gz> --out <model-dir> [--vocab-size N]
// Writes tokenizer.json and tokenizer_config.json for a CLIP BPE into <model-dir>.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildClipTokenizer, CLIP_VOCAB_SIZE, readMergesFile } from './clip-tokenizer';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: 'string' },
    'vocab-size': { type: 'string', default: String(CLIP_VOCAB_SIZE) },
  },
});
const [mergesFile] = positionals;
if (!mergesFile || !values.out) {
  console.error(
    'usage: npx tsx tools/clip-tokenizer/main.ts <bpe_simple_vocab_16e6.txt.gz> --out <dir> [--vocab-size N]',
  );
  process.exit(2);
}

const { tokenizer, tokenizerConfig } = buildClipTokenizer(readMergesFile(mergesFile), {
  vocabSize: Number(values['vocab-size']),
});
mkdirSync(values.out, { recursive: true });
writeFileSync(path.join(values.out, 'tokenizer.json'), JSON.stringify(tokenizer));
writeFileSync(path.join(values.out, 'tokenizer_config.json'), `${JSON.stringify(tokenizerConfig, null, 2)}\n`);
console.log(`wrote ${path.join(values.out, 'tokenizer.json')} and tokenizer_config.json (${values['vocab-size']} ids)`);
