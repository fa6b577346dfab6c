// `npm run bench -- relabel [--runs 3]`
//
// The RELABEL run after one analyst label, over the shared sample ingested with the tiny test model
// (random weights: only the plumbing is timed): each run labels a dent on another clean photo, then
// brings the dataset's points up to date. Against it, an ingestion with nothing changed: what
// comparing every crop with its stored hash costs, which a label's run pays too.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { addDefectLabel, ingestDataset, relabelDataset } from '@defect-rag/ingestion';
import { openBackend } from '@defect-rag/runs';
import { searchSimilar } from '@defect-rag/search';
import { createLogger, loadConfig, sampleDatasetDir, workspaceRoot } from '@defect-rag/runtime';
import { startTestServers } from '@defect-rag/testing';
import { median, timed } from './_stats';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const RUNS = Number(args.runs);
const sample = sampleDatasetDir();
if (!sample) {
  console.error('the shared sample (../shared/datasets/vehicle-damage-sample) is needed for this benchmark');
  process.exit(2);
}

const servers = await startTestServers();
const config = loadConfig(
  {
    DATABASE_URL: servers.databaseUrl,
    QDRANT_URL: servers.qdrantUrl,
    DEFECT_RAG_DATA_DIR: await mkdtemp(path.join(os.tmpdir(), 'bench-relabel-')),
    DEFECT_RAG_MODEL_DIR: path.join(workspaceRoot, 'models', 'tiny-clip'),
  },
  { cwd: workspaceRoot, dotenv: false },
);
const backend = await openBackend(config, createLogger('warn'));
try {
  const first = await ingestDataset(backend, { datasetDir: sample, name: 'bench' });
  const clean = await searchSimilar(backend, {
    text: 'car',
    level: 'photo',
    filter: { datasetId: first.datasetId, hasDamage: false },
    limit: RUNS,
  });
  const unchangedMs: number[] = [];
  const relabelMs: number[] = [];
  let embedded: number[] = [];
  for (const { crop: photo } of clean.items.slice(0, RUNS)) {
    unchangedMs.push((await timed(() => ingestDataset(backend, { datasetDir: sample, name: 'bench' }))).ms);
    const { width, height } = photo.photo!;
    await addDefectLabel(
      backend,
      {
        photoId: photo.id,
        damageType: 'dent',
        polygon: [
          [width * 0.3, height * 0.4],
          [width * 0.5, height * 0.4],
          [width * 0.5, height * 0.6],
        ],
      },
      'bench',
    );
    const { result, ms } = await timed(() => relabelDataset(backend, first.datasetId, {}));
    relabelMs.push(ms);
    embedded = [...embedded, result.ingestions[0]!.embedded];
  }
  console.log(
    JSON.stringify(
      {
        images: first.images,
        crops: first.crops.total,
        runs: relabelMs.length,
        relabelMedianMs: Math.round(median(relabelMs)),
        unchangedIngestMedianMs: Math.round(median(unchangedMs)),
        cropsEmbeddedPerRelabel: embedded,
      },
      null,
      2,
    ),
  );
} finally {
  await backend.close();
  await servers.stop();
}
