import path from 'node:path';
import {
  DEFAULT_BATCH_PHOTOS,
  ingestDataset,
  type FusionStrategy,
  type IngestionSummary,
  type PhotoView,
} from '@defect-rag/ingestion';
import { DefectRagError } from '@defect-rag/runtime';
import { withBackend, integer, number } from '../backend';
import { localWorkers } from '../local-workers';
import { formatProblems } from '../output';
import { photoViewOption } from '../photo-view';
import { searchHints } from '../search-hints';
import { createProgressDisplay } from '../progress';
import type { CliCommand } from './command';

interface IngestCliOptions {
  name?: string;
  model?: string;
  split?: string;
  taxonomy?: string;
  fusion: FusionStrategy;
  alpha?: number;
  batchSize?: number;
  balance: boolean;
  enrich?: boolean;
  repoint?: boolean;
  unlabelled?: boolean;
  photoView?: PhotoView;
  whiten?: number;
  workers?: number;
  batchPhotos?: number;
  json?: boolean;
}

export const ingestCommand: CliCommand = {
  register(program) {
    program
      .command('ingest')
      .description('crops → contexts → embeddings → Qdrant as one resumable run recorded in PostgreSQL')
      .argument('<dataset-dir>', 'the dataset folder')
      .option('--name <name>', 'dataset name (default: the folder name); part of every crop id')
      .option('--model <dir>', 'model folder (default: DEFECT_RAG_MODEL_DIR)')
      .option('--split <file>', 'split.json from `defect-rag split`')
      .option('--taxonomy <file>', 'taxonomy override')
      .option('--fusion <strategy>', 'average or weighted', 'average')
      .option('--alpha <weight>', 'image weight of the weighted fusion, 0…1', number)
      .option('--batch-size <n>', 'crops embedded per batch (default: the model’s)', integer)
      .option('--no-balance', 'index every clean crop instead of sampling them 50/50 against damage crops')
      .option('--enrich', 'add each damage type’s visual description to the texts')
      .option('--repoint', 'point an existing dataset name at this folder (refused otherwise)')
      .option(
        '--unlabelled',
        'photos without an annotation file are unlabelled (damage unknown, unmasked windows), not clean; kept for later runs of the dataset',
      )
      .addOption(photoViewOption())
      .option(
        '--whiten <dimensions>',
        'make the (image-only) model’s collection centred + PCA-whitened to this many dimensions, fitted on its crops and refitted as it grows (docs/similarity.md)',
        positive,
      )
      .option('--workers <n>', 'spread the run over n local `defect-rag worker` processes (others may join)', positive)
      .option('--batch-photos <n>', `photos per batch of a distributed run (default ${DEFAULT_BATCH_PHOTOS})`, positive)
      .option('--json', 'print the summary as JSON')
      .action(async (datasetDir: string, options: IngestCliOptions) => {
        if (options.batchPhotos !== undefined && options.workers === undefined) {
          throw new DefectRagError('BAD_INPUT', '--batch-photos is for a distributed run: give --workers too');
        }
        const { summary, hints } = await withBackend(
          async (backend, signal) => {
            const progress = createProgressDisplay();
            const ingested = await ingestDataset(
              backend,
              {
                datasetDir,
                name: options.name,
                modelDir: options.model,
                splitFile: options.split,
                taxonomyFile: options.taxonomy,
                fusion: {
                  strategy: options.fusion,
                  ...(options.alpha !== undefined ? { alpha: options.alpha } : {}),
                },
                batchSize: options.batchSize,
                enrich: options.enrich,
                crop: { balance: options.balance },
                repoint: options.repoint,
                // Left out, the dataset keeps what it was registered with.
                unlabelled: options.unlabelled,
                photoView: options.photoView,
                whiten: options.whiten,
              },
              { onProgress: progress.listener, signal },
              options.workers === undefined
                ? undefined
                : { batchPhotos: options.batchPhotos, workers: localWorkers(options.workers, options.model) },
            ).finally(() => progress.stop());
            const modelDir = options.model ? path.resolve(options.model) : backend.config.modelDir;
            return { summary: ingested, hints: await searchHints(backend, { ...ingested, modelDir }) };
          },
          { cancelOnSignals: true },
        );
        process.stdout.write(options.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary, hints));
      });
  },
};

function positive(value: string): number {
  const parsed = integer(value);
  if (parsed < 1) throw new Error(`not a positive integer: ${value}`);
  return parsed;
}

function formatSummary(summary: IngestionSummary, hints: string[]): string {
  const seconds = (ms: number | undefined) => `${((ms ?? 0) / 1000).toFixed(1)} s`;
  const strategies = Object.entries(summary.crops.byStrategy)
    .map(([strategy, count]) => `${strategy} ${count}`)
    .join(', ');
  const stages = ['dataset', 'plan', 'hash', 'crops', 'embedding', 'index', 'batches'].filter(
    (stage) => summary.timings[stage] !== undefined,
  );
  return [
    `run ${summary.runId} ${summary.resumed ? '(resumed) ' : ''}succeeded`,
    `dataset   ${summary.datasetName} (${summary.datasetId})`,
    `model     ${summary.modelId}${summary.randomWeights ? '  (random test weights: similarities are meaningless)' : ''}`,
    `index     ${summary.collection}: ${summary.points} crop points and ${summary.photos.points} photo points for this dataset`,
    `images    ${summary.images}`,
    `crops     ${summary.crops.total} (${summary.crops.damage} damage, ${summary.crops.clean} clean${summary.crops.unlabelled > 0 ? `, ${summary.crops.unlabelled} unlabelled windows` : ''}; ${strategies})`,
    `embedded  ${summary.embedded} new or changed, ${summary.unchanged} unchanged${summary.resplit > 0 ? ` (${summary.resplit} moved to another split)` : ''}, ${summary.removed} removed`,
    `photos    ${summary.photos.embedded} embedded (view: ${summary.photos.view}), ${summary.photos.unchanged} unchanged, ${summary.photos.removed} removed`,
    `time      ${seconds(summary.timings.total)} total (${stages.map((stage) => `${stage} ${seconds(summary.timings[stage])}`).join(', ')}); ${summary.imagesPerSecond.toFixed(1)} images/s`,
    formatProblems(summary.problems),
    '',
    'search it:',
    ...hints,
    `  npx defect-rag runs`,
    '',
  ].join('\n');
}
