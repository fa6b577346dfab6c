import path from 'node:path';
import { Option } from 'commander';
import { embedStage, type ExecutionProvider, type FusionStrategy } from '@defect-rag/ingestion';
import { DefectRagError, loadConfig } from '@defect-rag/runtime';
import type { CliCommand } from './command';
import { createProgressDisplay } from '../progress';
import { formatProblems } from '../output';

interface EmbedOptions {
  model?: string;
  fusion?: FusionStrategy;
  alpha?: number;
  batchSize?: number;
  threads?: number;
  device: ExecutionProvider;
  int8?: boolean;
  json?: boolean;
}

export const embedCommand: CliCommand = {
  register(program) {
    program
      .command('embed')
      .description(
        'phase 3: image, text and fused vectors of every crop with a CLIP/MetaCLIP ONNX model; write embeddings/',
      )
      .argument('<crops-dir>', 'the folder holding metadata_crops_phase2.json (after `defect-rag contexts`)')
      .option('--model <dir>', 'model folder (default: DEFECT_RAG_MODEL_DIR, else models/tiny-clip)')
      .addOption(
        new Option(
          '--fusion <strategy>',
          'how image and text vectors are fused (default: average, or weighted with --alpha)',
        ).choices(['average', 'weighted']),
      )
      .option('--alpha <weight>', 'image weight of the weighted fusion, 0 (text only) to 1 (image only)', Number)
      .option('--batch-size <n>', 'images or texts per model call (default 8)', Number)
      .option('--threads <n>', 'onnxruntime intra-op threads (default: every core)', Number)
      .addOption(new Option('--device <provider>', 'execution provider').choices(['cpu', 'cuda']).default('cpu'))
      .option('--int8', "use the folder's int8 graphs (onnx/*_quantized.onnx)")
      .option('--json', 'print the summary as JSON')
      .action(async (cropsDir: string, options: EmbedOptions) => {
        const strategy = options.fusion ?? (options.alpha === undefined ? 'average' : 'weighted');
        if (strategy === 'weighted' && options.alpha === undefined) {
          throw new DefectRagError('BAD_INPUT', '--fusion weighted needs --alpha (the image weight, 0 to 1)');
        }
        const progress = createProgressDisplay();
        const result = await embedStage({
          cropsDir,
          modelDir: options.model ? path.resolve(options.model) : loadConfig().modelDir,
          fusion: { strategy, alpha: options.alpha },
          batchSize: options.batchSize,
          intraOpThreads: options.threads,
          executionProvider: options.device,
          precision: options.int8 ? 'int8' : 'fp32',
          onProgress: progress.listener,
        }).finally(() => progress.stop());

        if (options.json) {
          process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
          return;
        }
        const { model, fusion } = result.index;
        const warning = model.random_weights
          ? '\n          RANDOM WEIGHTS: a test model; these vectors carry no meaning'
          : '';
        process.stdout.write(
          [
            `model     ${model.id} (${model.dimension}-d, ${model.precision}, ${options.device}, ${model.content_hash.slice(0, 19)}…)${warning}`,
            `fusion    ${fusion.strategy}${fusion.alpha === undefined ? '' : `, alpha ${fusion.alpha} on the image`}`,
            `embedded  ${result.embedded}/${result.crops} crops in ${result.seconds.toFixed(1)} s ` +
              `(${result.imagesPerSecond.toFixed(1)} images/s; model loaded in ${result.loadSeconds.toFixed(1)} s)`,
            `wrote     ${result.outputDir}/ (${[...Object.values(result.index.files), 'index.json'].join(', ')})`,
            formatProblems(result.problems),
            '',
          ].join('\n'),
        );
      });
  },
};
