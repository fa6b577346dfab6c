// npx tsx tools/discovery/main.ts <labelled-dataset-dir> --model DIR --cache DIR [--json FILE]
//   [--queries-per-type N] [--max-windows N] [--k 1,5,10]
// Discovery precision@k (docs/discovery.md; `defect-rag evaluate --discovery` adds it to its report): the test split's damaged photos indexed as unlabelled
// windows (their annotations hidden), queried with train damage crops of each type, against
// trivial features and random windows. Cut windows and model vectors are cached under --cache.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadModel } from '@defect-rag/embedding';
import { formatDiscoveryMarkdown, measureDiscovery } from '@defect-rag/evaluation';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    model: { type: 'string' },
    cache: { type: 'string' },
    json: { type: 'string' },
    'queries-per-type': { type: 'string', default: '20' },
    'max-windows': { type: 'string', default: '1500' },
    k: { type: 'string', default: '1,5,10' },
  },
});
if (!positionals[0] || !values.model || !values.cache)
  throw new Error('usage: main.ts <dataset-dir> --model DIR --cache DIR [--json FILE]');

const report = await measureDiscovery({
  datasetDir: positionals[0],
  embedder: await loadModel(path.resolve(values.model)),
  cacheDir: path.resolve(values.cache),
  ks: values.k.split(',').map(Number),
  queriesPerType: Number(values['queries-per-type']),
  maxWindows: Number(values['max-windows']),
  onProgress: ({ stage, done, total }) => process.stderr.write(`${stage} ${done}/${total}\n`),
});
if (values.json) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(formatDiscoveryMarkdown(report));
