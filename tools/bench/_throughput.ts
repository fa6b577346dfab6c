/**
 * `npm run bench -- embed --device cpu|cuda`: images per second of image models on one execution
 * provider, per (model, precision, batch): `session.run` on ready pixel batches (random values of
 * the model's input size, copied to the device on each run), the median of `runs` runs after one
 * warm-up, the models' runs alternated. Decoding and resizing crops (sharp, on the CPU) are left
 * out: the embed benchmark without --device measures what they add.
 *
 * Models: `inception-v3`, the real image model (models/inception-v3-imagenet, mixed5 R-MAC);
 * `inception-v3-mixed5-avg`, its former default (mixed5 average pool, converted on first use under
 * <DEFECT_RAG_DATA_DIR>/models/); `vit-h-14` / `vit-b-32`, random-weight CLIPs with those shapes
 * generated on first use under <DEFECT_RAG_DATA_DIR>/models/ (python3-onnx). fp16 graphs are made
 * from the fp32 ones by tools/bench/fp16.py. Before anything runs, the first model is loaded
 * through libs/embedding on the device, so a missing CUDA provider fails with the library's
 * EXECUTION_PROVIDER_UNAVAILABLE.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { loadModel, type ExecutionProvider } from '@defect-rag/embedding';
import { loadConfig, workspaceRoot } from '@defect-rag/runtime';
import { convertToFolder, isUpToDate, parseVariant, variantFolderName } from '../inception-v3/converter';
import { generateClipModel, SYSTEM_PYTHON } from '../tiny-clip/generate';
import { median, timed } from './_stats';

export const THROUGHPUT_MODELS = ['inception-v3', 'inception-v3-mixed5-avg', 'vit-h-14', 'vit-b-32'] as const;
export type ThroughputModel = (typeof THROUGHPUT_MODELS)[number];
export const THROUGHPUT_PRECISIONS = ['fp32', 'fp16'] as const;
type ThroughputPrecision = (typeof THROUGHPUT_PRECISIONS)[number];

export interface ThroughputOptions {
  device: ExecutionProvider;
  models: ThroughputModel[];
  precisions: ThroughputPrecision[];
  batches: number[];
  runs: number;
  threads: number | undefined;
}

const FP16_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fp16.py');

function modelDir(model: ThroughputModel): string {
  if (model === 'inception-v3') return path.join(workspaceRoot, 'models', 'inception-v3-imagenet');
  if (model === 'inception-v3-mixed5-avg') {
    // The default before converter version 2 (mixed5 average pool), converted from the same weights.
    const head = parseVariant('mixed5-avg');
    const dir = path.join(loadConfig().dataDir, 'models', variantFolderName(head));
    if (!isUpToDate(dir, head)) convertToFolder(dir, head);
    return dir;
  }
  const dir = path.join(loadConfig().dataDir, 'models', `random-${model}`);
  if (!existsSync(path.join(dir, 'onnx', 'vision_model.onnx'))) {
    console.error(`generating the ${model}-size random model into ${dir} (once)…`);
    generateClipModel({ outDir: dir, size: model });
  }
  return dir;
}

/** The vision graph of a precision, made from the fp32 one the first time fp16 is asked for. */
function visionGraph(dir: string, precision: ThroughputPrecision): string {
  const fp32 = path.join(dir, 'onnx', 'vision_model.onnx');
  if (precision === 'fp32') return fp32;
  const fp16 = path.join(dir, 'onnx', 'vision_model_fp16.onnx');
  if (!existsSync(fp16))
    execFileSync(SYSTEM_PYTHON, [FP16_SCRIPT, fp32, fp16], { stdio: ['ignore', 'ignore', 'inherit'] });
  return fp16;
}

function inputSize(dir: string): number {
  const preprocessor = JSON.parse(readFileSync(path.join(dir, 'preprocessor_config.json'), 'utf8')) as {
    crop_size: { height: number; width: number };
  };
  return preprocessor.crop_size.height;
}

export async function measureThroughput(options: ThroughputOptions): Promise<void> {
  // The library's own check of the provider, before any model is generated: one clear error when
  // CUDA cannot run.
  const probe = await loadModel(modelDir(options.models[0]!), {
    executionProvider: options.device,
    intraOpThreads: options.threads,
  });
  await probe.close();

  console.log(
    `image model throughput on ${options.device} (session.run on ready batches; median of ${options.runs} runs after a warm-up), ` +
      `onnxruntime-node ${ort.env.versions.node}, ${os.availableParallelism()} cores`,
  );
  console.log(
    `${'model'.padEnd(23)} ${'precision'.padEnd(9)} ${'batch'.padStart(5)} ${'s/batch'.padStart(8)} ${'images/s'.padStart(9)} ${'× first'.padStart(8)}`,
  );
  for (const precision of options.precisions) {
    // Every model's session is open at once and the runs alternate between them, so that load on a
    // shared machine falls on all alike; the last column is the time per image over the first model's.
    const open: { model: ThroughputModel; session: ort.InferenceSession; size: number }[] = [];
    try {
      for (const model of options.models) {
        const dir = modelDir(model);
        try {
          const session = await ort.InferenceSession.create(visionGraph(dir, precision), {
            // As libs/embedding's towers: nodes the CUDA provider lacks run on the CPU.
            executionProviders: options.device === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
            graphOptimizationLevel: 'all',
            logSeverityLevel: 4,
            ...(options.threads !== undefined && { intraOpNumThreads: options.threads }),
          });
          open.push({ model, session, size: inputSize(dir) });
        } catch (error) {
          console.log(`${model.padEnd(23)} ${precision.padEnd(9)} not run: ${(error as Error).message.split('\n')[0]}`);
        }
      }
      for (const batch of options.batches) {
        const feeds = open.map(({ session, size }) => {
          const pixels = Float32Array.from({ length: batch * 3 * size * size }, (_, i) => Math.sin(i));
          return { [session.inputNames[0]!]: new ort.Tensor('float32', pixels, [batch, 3, size, size]) };
        });
        for (const [i, { session }] of open.entries()) await session.run(feeds[i]!);
        const seconds = open.map(() => [] as number[]);
        for (let run = 0; run < options.runs; run++) {
          for (const [i, { session }] of open.entries()) {
            seconds[i]!.push((await timed(() => session.run(feeds[i]!))).ms / 1000);
          }
        }
        const first = median(seconds[0] ?? []);
        for (const [i, { model }] of open.entries()) {
          const perBatch = median(seconds[i]!);
          console.log(
            `${model.padEnd(23)} ${precision.padEnd(9)} ${String(batch).padStart(5)} ${perBatch.toFixed(3).padStart(8)} ${(batch / perBatch).toFixed(batch / perBatch < 10 ? 2 : 1).padStart(9)} ${(perBatch / first).toFixed(3).padStart(8)}`,
          );
        }
      }
    } finally {
      for (const { session } of open) await session.release();
    }
  }
}
