// npx tsx tools/inception-v3/main.ts [--variant LAYER[+LAYER…]-POOLING] [--out DIR] [--force]
// Makes the model folder models/inception-v3-imagenet from nsfwjs's InceptionV3 (npm ci runs it
// as part of postinstall). Skips, in well under a second, when the folder's stamp already matches.
// --variant writes another pooling of the same frozen weights (docs/similarity.md), by default
// into models/inception-v3-imagenet-<variant>.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { convertToFolder, DEFAULT_HEAD, isUpToDate, parseVariant, variantFolderName, variantName } from './converter';

const workspaceRoot = path.resolve(import.meta.dirname, '..', '..');

const { values } = parseArgs({
  options: { out: { type: 'string' }, force: { type: 'boolean', default: false }, variant: { type: 'string' } },
});

try {
  const head = values.variant ? parseVariant(values.variant) : DEFAULT_HEAD;
  const outDir = path.resolve(values.out ?? path.join(workspaceRoot, 'models', variantFolderName(head)));
  const shown = path.relative(process.cwd(), outDir) || '.';
  if (!values.force && isUpToDate(outDir, head)) {
    console.log(`inception-v3: ${shown} is up to date (nsfwjs InceptionV3, ${variantName(head)}), nothing to do`);
  } else {
    const started = performance.now();
    const result = convertToFolder(outDir, head);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const megabytes = (result.onnxBytes / 1e6).toFixed(1);
    console.log(
      `inception-v3: wrote ${shown} (ImageNet InceptionV3 from nsfwjs, ${variantName(head)}, ` +
        `${result.parameters.toLocaleString('en')} parameters, ${megabytes} MB ONNX) in ${seconds} s`,
    );
  }
} catch (error) {
  console.error(`inception-v3: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
