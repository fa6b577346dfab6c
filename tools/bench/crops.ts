// `npm run bench -- crops [--dataset DIR] [--runs 5] [--concurrency N]`
//
// The phase-1 crop stage (what `cropsStage` runs: load the taxonomy, read + validate the dataset,
// plan, balance, decode, cut, encode, write crops and metadata) against a decode-only pass over the same images with the same
// decode settings and concurrency, alternated in the same process. The ratio says how much the
// stage costs beyond decoding each image once; the target is ≤ 1.5. Wall time is the measure; the
// process CPU time is printed beside it because on a shared machine it is the steadier of the two.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { cropDataset, writePhase1Metadata } from '@defect-rag/crops';
import { mapConcurrent, readDataset } from '@defect-rag/dataset';
import { sampleDatasetDir } from '@defect-rag/runtime';
import { loadTaxonomy, TaxonomyNormalizer } from '@defect-rag/taxonomy';
import { median, timed, withPeakRss } from './_stats';

const { values: args } = parseArgs({
  options: {
    dataset: { type: 'string' },
    runs: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: String(os.availableParallelism()) },
  },
});
const datasetDir = args.dataset ?? sampleDatasetDir();
if (!datasetDir) {
  console.error('no dataset: pass --dataset DIR or put the shared sample beside the checkout');
  process.exit(2);
}
const RUNS = Number(args.runs);
const CONCURRENCY = Number(args.concurrency);

const dataset = await readDataset(datasetDir);
const files = dataset.images.map((image) => path.join(dataset.root, image.path));
const outDir = await mkdtemp(path.join(os.tmpdir(), 'bench-crops-'));

/** Exactly the cutter's decode, and nothing else. */
async function decodeOnly(): Promise<void> {
  await mapConcurrent(files, CONCURRENCY, (file) =>
    sharp(file, { failOn: 'error' })
      .autoOrient()
      .flatten({ background: '#000000' })
      .toColourspace('srgb')
      .raw()
      .toBuffer(),
  );
}

/** The crop stage as `cropsStage` runs it (the pipeline library cannot be imported from tools/). */
async function cropStage() {
  const normalizer = new TaxonomyNormalizer(loadTaxonomy());
  const metadata = await cropDataset(await readDataset(datasetDir!), { outDir, normalizer, concurrency: CONCURRENCY });
  await writePhase1Metadata(outDir, metadata);
  return metadata;
}

/** Wall and process CPU milliseconds of one call. */
async function measure<T>(work: () => Promise<T>): Promise<{ result: T; ms: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const { result, ms } = await timed(work);
  const used = process.cpuUsage(cpu);
  return { result, ms, cpuMs: (used.user + used.system) / 1000 };
}

try {
  // Warm-up: file cache, sharp/libvips start-up, module loading.
  await decodeOnly();
  await cropStage();

  const decodeMs: number[] = [];
  const stageMs: number[] = [];
  const decodeCpuMs: number[] = [];
  const stageCpuMs: number[] = [];
  let summary: Awaited<ReturnType<typeof cropStage>>['summary'] | undefined;
  const { peakRssMiB } = await withPeakRss(async () => {
    for (let run = 0; run < RUNS; run++) {
      const decoded = await measure(decodeOnly);
      decodeMs.push(decoded.ms);
      decodeCpuMs.push(decoded.cpuMs);
      const stage = await measure(cropStage);
      stageMs.push(stage.ms);
      stageCpuMs.push(stage.cpuMs);
      summary = stage.result.summary;
    }
  });

  const decode = median(decodeMs);
  const stage = median(stageMs);
  const decodeCpu = median(decodeCpuMs);
  const stageCpu = median(stageCpuMs);
  const seconds = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
  console.log(
    `dataset      ${dataset.name}: ${files.length} images, ${summary!.crops} crops written per run (cluster ${summary!.by_strategy.cluster}, tile ${summary!.by_strategy.tile}, grid ${summary!.by_strategy.grid})`,
  );
  console.log(`runs         ${RUNS}, concurrency ${CONCURRENCY}, ${os.availableParallelism()} cores`);
  console.log(`decode only  median ${seconds(decode)}  (${decodeMs.map((ms) => Math.round(ms)).join(', ')} ms)`);
  console.log(`crop stage   median ${seconds(stage)}  (${stageMs.map((ms) => Math.round(ms)).join(', ')} ms)`);
  console.log(`ratio        ${(stage / decode).toFixed(2)} (crop stage / decode only, wall; target ≤ 1.5)`);
  console.log(
    `cpu time     decode only ${seconds(decodeCpu)}, crop stage ${seconds(stageCpu)}: ratio ${(stageCpu / decodeCpu).toFixed(2)}`,
  );
  console.log(
    `throughput   ${(files.length / (stage / 1000)).toFixed(1)} images/s, ${(summary!.crops / (stage / 1000)).toFixed(1)} crops/s`,
  );
  console.log(`peak RSS     ${peakRssMiB.toFixed(0)} MiB (whole process, during the timed runs)`);
} finally {
  await rm(outDir, { recursive: true, force: true });
}
