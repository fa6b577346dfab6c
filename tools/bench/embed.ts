// `npm run bench -- embed [--crops 64] [--runs 3] [--batches 1,8,32] [--threads N]`
// `npm run bench -- embed --device cpu|cuda [--models inception-v3,vit-h-14] [--precisions fp32,fp16]
//                         [--batches 32,64,128] [--runs 3] [--threads N]`
//
// Without --device: the phase-3 embed stage (`embedStage`: read the phase-2 file, decode + preprocess each crop,
// tokenise, run both towers, fuse, write the vectors) against the bare `session.run` calls for the
// same batches (tensors built beforehand), alternated in the same process, for fp32 and int8 and
// several batch sizes. The ratio says what everything around the model costs; the target is ≤ 1.15.
//
// The model is a random-weight CLIP with ViT-B/32's shapes, generated on first use into
// <DEFECT_RAG_DATA_DIR, default .data>/models/ (needs Debian's python3-onnx); its vectors mean
// nothing, only its cost is real.
// Each precision runs in its own child process so that its peak RSS is its own.
//
// With --device: images/s of the image models on that execution provider (tools/bench/_throughput.ts),
// the GPU benchmark (tools/bench/gpu.sh runs it with --device cuda).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Tokenizer } from '@huggingface/tokenizers';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { loadModel } from '@defect-rag/embedding';
import { embedStage, type Precision } from '@defect-rag/ingestion';
import { isDefectRagError, loadConfig, sampleDatasetDir } from '@defect-rag/runtime';
import { assertPythonOnnx, generateClipModel } from '../tiny-clip/generate';
import { median, timed, withPeakRss } from './_stats';
import {
  measureThroughput,
  THROUGHPUT_MODELS,
  THROUGHPUT_PRECISIONS,
  type ThroughputModel,
  type ThroughputOptions,
} from './_throughput';

const { values: args } = parseArgs({
  options: {
    crops: { type: 'string', default: '64' },
    runs: { type: 'string', default: '3' },
    batches: { type: 'string' },
    threads: { type: 'string' },
    device: { type: 'string' },
    models: { type: 'string', default: 'inception-v3,vit-h-14' },
    precisions: { type: 'string', default: 'fp32,fp16' },
    // Internal: the parent runs one child per precision.
    worker: { type: 'string' },
    'crops-dir': { type: 'string' },
  },
});
const CROPS = Number(args.crops);
const RUNS = Number(args.runs);
const BATCHES = (args.batches ?? (args.device ? '32,64,128' : '1,8,32')).split(',').map(Number);
const THREADS = args.threads === undefined ? undefined : Number(args.threads);
const MODEL_DIR = path.join(loadConfig().dataDir, 'models', 'random-vit-b-32');

interface Row {
  precision: Precision;
  batch: number;
  stageSeconds: number;
  sessionSeconds: number;
  /** CPU seconds of the whole process (all threads): steadier than wall time on a shared machine. */
  stageCpuSeconds: number;
  sessionCpuSeconds: number;
  peakRssMiB: number;
}

if (args.device) {
  const list = <T extends string>(flag: string, value: string, allowed: readonly T[]): T[] => {
    const items = value.split(',').map((item) => item.trim());
    const unknown = items.filter((item) => !allowed.includes(item as T));
    if (unknown.length > 0) {
      console.error(`--${flag}: unknown ${unknown.join(', ')} (one or more of ${allowed.join(', ')})`);
      process.exit(2);
    }
    return items as T[];
  };
  if (args.device !== 'cpu' && args.device !== 'cuda') {
    console.error(`--device must be cpu or cuda, got ${args.device}`);
    process.exit(2);
  }
  const options: ThroughputOptions = {
    device: args.device,
    models: list<ThroughputModel>('models', args.models, THROUGHPUT_MODELS),
    precisions: list('precisions', args.precisions, THROUGHPUT_PRECISIONS),
    batches: BATCHES,
    runs: RUNS,
    threads: THREADS,
  };
  try {
    await measureThroughput(options);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(isDefectRagError(error, 'EXECUTION_PROVIDER_UNAVAILABLE') ? 3 : 1);
  }
} else if (args.worker) {
  const rows = await measure(args.worker as Precision, args['crops-dir']!);
  process.stdout.write(`${JSON.stringify(rows)}\n`);
} else {
  try {
    assertPythonOnnx();
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
  if (!existsSync(path.join(MODEL_DIR, 'onnx', 'vision_model_quantized.onnx'))) {
    console.error(`generating the ViT-B/32-size random model into ${MODEL_DIR} (once)…`);
    generateClipModel({ outDir: MODEL_DIR, size: 'vit-b-32' });
  }
  const cropsDir = mkdtempSync(path.join(os.tmpdir(), 'bench-embed-'));
  try {
    await writeCrops(cropsDir);
    const rows: Row[] = [];
    for (const precision of ['fp32', 'int8'] as const) {
      console.error(`measuring ${precision}…`);
      const output = execFileSync(
        process.execPath,
        [
          '--import',
          'tsx',
          fileURLToPath(import.meta.url),
          ...process.argv.slice(2),
          '--worker',
          precision,
          '--crops-dir',
          cropsDir,
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
      );
      rows.push(...(JSON.parse(output.trim().split('\n').at(-1)!) as Row[]));
    }
    report(rows);
  } finally {
    rmSync(cropsDir, { recursive: true, force: true });
  }
}

/** Crops as phases 1–2 leave them: 336×336 JPEGs and metadata_crops_phase2.json with descriptions. */
async function writeCrops(cropsDir: string): Promise<void> {
  mkdirSync(path.join(cropsDir, 'crops'), { recursive: true });
  const sample = sampleDatasetDir();
  const sources = sample
    ? readdirSync(path.join(sample, 'images'))
        .filter((name) => /\.(jpe?g|png)$/i.test(name))
        .sort()
        .map((name) => path.join(sample, 'images', name))
    : [];
  const zones = ['front (bumper)', 'rear left door (door)', 'hood (hood)', 'roof (roof)', 'rear (trunk)'];
  const crops = [];
  for (let i = 0; i < CROPS; i++) {
    const file = `crops/crop_${String(i).padStart(4, '0')}.jpg`;
    const source = sources[i % Math.max(sources.length, 1)];
    const image = source
      ? sharp(source).resize(336, 336, { fit: 'cover' })
      : sharp({
          create: {
            width: 336,
            height: 336,
            channels: 3,
            background: { r: (i * 53) % 256, g: (i * 97) % 256, b: 128 },
          },
        });
    writeFileSync(path.join(cropsDir, file), await image.jpeg({ quality: 95 }).toBuffer());
    const zone = zones[i % zones.length]!;
    const text_description =
      i % 2
        ? `Clean surface of ${zone}. No defects visible. Inspection grid section.`
        : `${(i % 3) + 1} scratches on ${zone}. Specific defects visible: scratch, deep scratch, dent.`;
    crops.push({ crop_id: `bench-${i}`, file, text_description });
  }
  writeFileSync(path.join(cropsDir, 'metadata_crops_phase2.json'), JSON.stringify({ crops }));
}

async function measure(precision: Precision, cropsDir: string): Promise<Row[]> {
  const stage = (batchSize: number) =>
    embedStage({ cropsDir, modelDir: MODEL_DIR, batchSize, precision, intraOpThreads: THREADS });

  // First the memory: one stage run per batch size, before the bare sessions below exist.
  const peaks = new Map<number, number>();
  for (const batch of BATCHES) peaks.set(batch, (await withPeakRss(() => stage(batch))).peakRssMiB);

  const suffix = precision === 'int8' ? '_quantized' : '';
  // The same session options as libs/embedding's towers.
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    interOpNumThreads: 1,
    logSeverityLevel: 4,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
    ...(THREADS !== undefined && { intraOpNumThreads: THREADS }),
  };
  const vision = await ort.InferenceSession.create(path.join(MODEL_DIR, 'onnx', `vision_model${suffix}.onnx`), options);
  const text = await ort.InferenceSession.create(path.join(MODEL_DIR, 'onnx', `text_model${suffix}.onnx`), options);
  const descriptions = (
    JSON.parse(readFileSync(path.join(cropsDir, 'metadata_crops_phase2.json'), 'utf8')) as {
      crops: Array<{ text_description: string }>;
    }
  ).crops.map((crop) => crop.text_description);
  const tokenizer = new Tokenizer(
    JSON.parse(readFileSync(path.join(MODEL_DIR, 'tokenizer.json'), 'utf8')),
    JSON.parse(readFileSync(path.join(MODEL_DIR, 'tokenizer_config.json'), 'utf8')),
  );

  // The stage's CPU time includes loading the model (its `seconds` do not): measured alone, taken off.
  const loads: number[] = [];
  for (let i = 0; i < 2; i++) {
    loads.push(
      (await cpuTimed(async () => (await loadModel(MODEL_DIR, { precision, intraOpThreads: THREADS })).close()))
        .cpuSeconds,
    );
  }
  const loadCpu = median(loads);

  const rows: Row[] = [];
  for (const batch of BATCHES) {
    const feeds = bareFeeds(batch, descriptions, tokenizer);
    // In the stage's order: each batch's images, then its texts.
    const bare = async () => {
      for (let b = 0; b < feeds.vision.length; b++) {
        await vision.run(feeds.vision[b]!);
        await text.run(feeds.text[b]!);
      }
    };
    const stageSeconds: number[] = [];
    const sessionSeconds: number[] = [];
    const stageCpu: number[] = [];
    const sessionCpu: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const stageRun = await cpuTimed(() => stage(batch));
      stageSeconds.push(stageRun.result.seconds);
      stageCpu.push(stageRun.cpuSeconds - loadCpu);
      const bareRun = await cpuTimed(() => timed(bare));
      sessionSeconds.push(bareRun.result.ms / 1000);
      sessionCpu.push(bareRun.cpuSeconds);
    }
    rows.push({
      precision,
      batch,
      stageSeconds: median(stageSeconds),
      sessionSeconds: median(sessionSeconds),
      stageCpuSeconds: median(stageCpu),
      sessionCpuSeconds: median(sessionCpu),
      peakRssMiB: peaks.get(batch)!,
    });
    const list = (values: number[]) => values.map((value) => value.toFixed(2)).join('/');
    console.error(
      `  ${precision} batch ${batch}: stage ${list(stageSeconds)} s (cpu ${list(stageCpu)}), ` +
        `session.run ${list(sessionSeconds)} s (cpu ${list(sessionCpu)}); model load cpu ${loadCpu.toFixed(2)} s`,
    );
  }
  await Promise.all([vision.release(), text.release()]);
  return rows;
}

/** CPU time of the whole process (every thread) while `work` runs. */
async function cpuTimed<T>(work: () => Promise<T>): Promise<{ result: T; cpuSeconds: number }> {
  const start = process.cpuUsage();
  const result = await work();
  const { user, system } = process.cpuUsage(start);
  return { result, cpuSeconds: (user + system) / 1e6 };
}

/** The tensors of the stage's batches, built before timing: what `session.run` alone costs. */
function bareFeeds(batch: number, descriptions: string[], tokenizer: Tokenizer) {
  const vision: Array<Record<string, ort.Tensor>> = [];
  const text: Array<Record<string, ort.Tensor>> = [];
  const endId = tokenizer.encode('').ids.at(-1)!;
  for (let start = 0; start < CROPS; start += batch) {
    const count = Math.min(batch, CROPS - start);
    const pixels = Float32Array.from({ length: count * 3 * 224 * 224 }, (_, i) => Math.sin(i) * 2);
    vision.push({ pixel_values: new ort.Tensor('float32', pixels, [count, 3, 224, 224]) });
    const rows = descriptions.slice(start, start + count).map((description) => tokenizer.encode(description).ids);
    const length = Math.max(...rows.map((row) => row.length));
    const ids = rows.flatMap((row) => Array.from({ length }, (_, i) => BigInt(row[i] ?? endId)));
    const mask = rows.flatMap((row) => Array.from({ length }, (_, i) => (i < row.length ? 1n : 0n)));
    text.push({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids), [count, length]),
      attention_mask: new ort.Tensor('int64', BigInt64Array.from(mask), [count, length]),
    });
  }
  return { vision, text };
}

function report(rows: Row[]): void {
  console.log(
    `embed stage vs bare session.run — random-weight ViT-B/32-size CLIP (512-d; vectors meaningless), ` +
      `${CROPS} crops of 336 px, ${os.availableParallelism()} cores, onnxruntime-node ${ort.env.versions.node}, median of ${RUNS}`,
  );
  console.log('precision  batch  stage s  session.run s  ratio  cpu ratio  images/s  peak RSS MiB');
  for (const row of rows) {
    console.log(
      [
        row.precision.padEnd(9),
        String(row.batch).padStart(5),
        row.stageSeconds.toFixed(2).padStart(7),
        row.sessionSeconds.toFixed(2).padStart(13),
        (row.stageSeconds / row.sessionSeconds).toFixed(3).padStart(5),
        (row.stageCpuSeconds / row.sessionCpuSeconds).toFixed(3).padStart(9),
        (CROPS / row.stageSeconds).toFixed(2).padStart(8),
        row.peakRssMiB.toFixed(0).padStart(12),
      ].join('  '),
    );
  }
  const worst = Math.max(...rows.map((row) => row.stageSeconds / row.sessionSeconds));
  console.log(
    `worst ratio ${worst.toFixed(3)} (target ≤ 1.15; wall-clock medians, which other load on the machine skews: the cpu ratio is steadier)`,
  );
}
