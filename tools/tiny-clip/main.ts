// npx tsx tools/tiny-clip/main.ts [--size tiny|vit-b-32|vit-h-14] [--out DIR] [--seed N]
// Regenerates the committed test model (default: models/tiny-clip) or a bigger random one.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { workspaceRoot } from '@defect-rag/runtime';
import { generateClipModel, MODEL_SIZES, type ModelSize } from './generate';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: 'tiny' },
    out: { type: 'string' },
    seed: { type: 'string', default: '0' },
  },
});
if (!(values.size in MODEL_SIZES)) {
  console.error(`--size must be one of ${Object.keys(MODEL_SIZES).join(', ')}`);
  process.exit(2);
}
const size = values.size as ModelSize;
const outDir = path.resolve(
  values.out ?? path.join(workspaceRoot, 'models', size === 'tiny' ? 'tiny-clip' : `random-${size}`),
);

try {
  generateClipModel({ outDir, size, seed: Number(values.seed) });
  console.log(`model folder ready: ${outDir}`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
