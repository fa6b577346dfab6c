// `npm run bench -- ingest [--model tiny|vit-b-32] [--runs 3]`
//
// A whole ingestion run over the shared sample (read, plan, cut, describe, embed, fuse, upsert,
// on embedded PostgreSQL and Qdrant) against embedding alone (decode + preprocess, both towers,
// fuse) of the same crops and texts in the same batches, alternated in one process. The ratio says
// what everything around the embedder costs; the target is ≤ 1.2, i.e. the run is bound by the
// embedder. With the tiny test model the embedder costs next to nothing, so the ratio is only
// meaningful with `--model vit-b-32` (a random-weight model of ViT-B/32's shapes, generated once
// under .data/models/ with Debian's python3-onnx).
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fuse } from '@defect-rag/embedding';
import { ingestDataset } from '@defect-rag/ingestion';
import { openBackend } from '@defect-rag/runs';
import { createLogger, loadConfig, sampleDatasetDir, workspaceRoot } from '@defect-rag/runtime';
import { startTestServers } from '@defect-rag/testing';
import { assertPythonOnnx, generateClipModel } from '../tiny-clip/generate';
import { median, timed, withPeakRss } from './_stats';

const { values: args } = parseArgs({
  options: { model: { type: 'string', default: 'vit-b-32' }, runs: { type: 'string', default: '3' } },
});
const RUNS = Number(args.runs);
const sample = sampleDatasetDir();
if (!sample) {
  console.error('the shared sample (../shared/datasets/vehicle-damage-sample) is needed for this benchmark');
  process.exit(2);
}

const modelDir =
  args.model === 'tiny'
    ? path.join(workspaceRoot, 'models', 'tiny-clip')
    : path.join(loadConfig().dataDir, 'models', 'random-vit-b-32');
if (args.model !== 'tiny' && !existsSync(path.join(modelDir, 'onnx', 'vision_model.onnx'))) {
  assertPythonOnnx();
  console.error(`generating the ViT-B/32-size random model into ${modelDir} (once)…`);
  generateClipModel({ outDir: modelDir, size: 'vit-b-32' });
}

const servers = await startTestServers();
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-ingest-'));
const config = loadConfig(
  {
    DATABASE_URL: servers.databaseUrl,
    QDRANT_URL: servers.qdrantUrl,
    DEFECT_RAG_DATA_DIR: dataDir,
    DEFECT_RAG_MODEL_DIR: modelDir,
  },
  { cwd: workspaceRoot, dotenv: false },
);
const backend = await openBackend(config, createLogger('warn'));
try {
  const embedder = await backend.embedder();
  const runMs: number[] = [];
  const embedMs: number[] = [];
  let crops = 0;
  let peak = 0;
  for (let run = 0; run < RUNS; run++) {
    const { result: summary, peakRssMiB } = await withPeakRss(async () => {
      const { result, ms } = await timed(() => ingestDataset(backend, { datasetDir: sample, name: 'bench' }));
      runMs.push(ms);
      return result;
    });
    peak = Math.max(peak, peakRssMiB);
    crops = summary.crops.total;
    const refs = await backend.vectorStore.scrollPayloads(summary.collection, { datasetId: summary.datasetId });
    const points = await backend.vectorStore.getPoints(
      summary.collection,
      refs.map((ref) => ref.cropId),
    );
    const files = points.map((point) => path.join(backend.cropsDir(summary.datasetId), point.payload.file));
    const texts = points.map((point) => point.payload.text_description);
    const { ms } = await timed(async () => {
      for (let start = 0; start < files.length; start += embedder.batchSize) {
        const images = await embedder.embedImages(files.slice(start, start + embedder.batchSize));
        const textVectors = await embedder.embedTexts(texts.slice(start, start + embedder.batchSize));
        images.forEach((image, i) => fuse(image, textVectors[i]!, { strategy: 'average' }, 'shared'));
      }
    });
    embedMs.push(ms);
    // The next run starts from an empty index again, so it does the whole work.
    await backend.vectorStore.deletePoints(summary.collection, { datasetId: summary.datasetId });
    console.error(
      `run ${run + 1}/${RUNS}: ingest ${(runMs.at(-1)! / 1000).toFixed(2)} s, embed only ${(ms / 1000).toFixed(2)} s`,
    );
  }
  const run = median(runMs);
  const embed = median(embedMs);
  console.log(
    `ingest benchmark: model ${embedder.modelId} (${args.model}, random weights), ${crops} crops from 114 images, median of ${RUNS} runs`,
  );
  console.log(
    `  whole ingestion run   ${(run / 1000).toFixed(2)} s  (${(114 / (run / 1000)).toFixed(1)} images/s, ${(crops / (run / 1000)).toFixed(1)} crops/s)`,
  );
  console.log(`  embedding alone       ${(embed / 1000).toFixed(2)} s`);
  console.log(`  ratio run / embed     ${(run / embed).toFixed(3)}  (target ≤ 1.2)`);
  console.log(`  peak RSS              ${peak.toFixed(0)} MiB`);
} finally {
  await backend.close();
  await servers.stop();
  await rm(dataDir, { recursive: true, force: true });
}
