import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { DefectRagError } from '@defect-rag/runtime';
import { invalid, type ModelFolder } from './model-folder';
import type { TextTokenizer, TokenBatch } from './tokenizer';

export type ExecutionProvider = 'cpu' | 'cuda';

export interface SessionSettings {
  executionProvider: ExecutionProvider;
  /** Threads onnxruntime uses inside one operator; undefined lets it use every core. */
  intraOpThreads: number | undefined;
}

type Role = 'vision' | 'text';

// The I/O contract of a CLIP export (Hugging Face optimum / transformers.js naming).
const INPUTS = { vision: ['pixel_values'], text: ['input_ids'] } as const;
const OPTIONAL_INPUTS = ['attention_mask'];
const OUTPUTS = { vision: 'image_embeds', text: 'text_embeds' } as const;
const KINDS = { vision: 'image', text: 'text' } as const;

/**
 * The onnxruntime sessions of a model folder, created once and reused for every batch: one per
 * tower in the split layout, one shared by both towers in the combined layout.
 */
export class Towers {
  private constructor(
    private readonly vision: ort.InferenceSession,
    /** Null for an image-only folder. */
    private readonly text: ort.InferenceSession | null,
    private readonly folder: ModelFolder,
    private readonly tokenizer: TextTokenizer | null,
  ) {}

  static async open(folder: ModelFolder, tokenizer: TextTokenizer | null, settings: SessionSettings): Promise<Towers> {
    const { layout } = folder;
    const opened: ort.InferenceSession[] = [];
    const open = async (file: string) => {
      const session = await createSession(folder, file, settings);
      opened.push(session);
      return session;
    };
    try {
      if (layout.kind === 'combined') {
        const session = await open(layout.model);
        checkSession(folder, layout.model, session, ['vision', 'text']);
        return new Towers(session, session, folder, tokenizer);
      }
      const vision = await open(layout.vision);
      checkSession(folder, layout.vision, vision, ['vision']);
      if (layout.text === null) return new Towers(vision, null, folder, null);
      const text = await open(layout.text);
      checkSession(folder, layout.text, text, ['text']);
      return new Towers(vision, text, folder, tokenizer);
    } catch (error) {
      await Promise.all(opened.map((session) => session.release()));
      throw error;
    }
  }

  /** `image_embeds` rows (not normalised) for `count` images of `pixels` ([count, 3, H, W]). */
  async runImages(pixels: Float32Array, count: number): Promise<Float32Array> {
    const { cropHeight, cropWidth } = this.folder.preprocess;
    const feeds: Record<string, ort.Tensor> = {
      pixel_values: new ort.Tensor('float32', pixels, [count, 3, cropHeight, cropWidth]),
    };
    // The combined graph wants text inputs too: the shortest possible text (start + end token).
    if (this.vision === this.text)
      Object.assign(feeds, this.textFeeds(this.tokenizer!.encodeBatch([''], this.fixedTextLength)));
    return this.run(this.vision, feeds, 'vision', count);
  }

  /** `text_embeds` rows (not normalised) for a token batch of `count` texts. */
  async runTexts(batch: TokenBatch, count: number): Promise<Float32Array> {
    if (!this.text) throw new Error('runTexts on an image-only model'); // the embedder checks first
    const feeds = this.textFeeds(batch);
    if (this.vision === this.text) {
      // The combined graph wants an image too, and runs its vision tower on it: one blank image per
      // text batch (the split layout avoids that cost).
      const { cropHeight, cropWidth } = this.folder.preprocess;
      feeds.pixel_values = new ort.Tensor('float32', new Float32Array(3 * cropHeight * cropWidth), [
        1,
        3,
        cropHeight,
        cropWidth,
      ]);
    }
    return this.run(this.text, feeds, 'text', count);
  }

  /** The sequence length the text graph was exported with, when it is fixed. */
  get fixedTextLength(): number | undefined {
    if (!this.text) return undefined;
    const dims = tensorMetadata(this.text, 'input_ids')?.shape;
    return typeof dims?.[1] === 'number' ? dims[1] : undefined;
  }

  async release(): Promise<void> {
    await this.vision.release();
    if (this.text && this.text !== this.vision) await this.text.release();
  }

  private textFeeds(batch: TokenBatch): Record<string, ort.Tensor> {
    const text = this.text!;
    const rows = batch.ids.length / batch.length;
    const int64 = tensorMetadata(text, 'input_ids')?.type !== 'int32';
    const tensor = (values: number[]) =>
      int64
        ? new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [rows, batch.length])
        : new ort.Tensor('int32', Int32Array.from(values), [rows, batch.length]);
    const feeds: Record<string, ort.Tensor> = { input_ids: tensor(batch.ids) };
    if (text.inputNames.includes('attention_mask')) feeds.attention_mask = tensor(batch.mask);
    return feeds;
  }

  private async run(
    session: ort.InferenceSession,
    feeds: Record<string, ort.Tensor>,
    role: Role,
    count: number,
  ): Promise<Float32Array> {
    const output = OUTPUTS[role];
    let result: ort.InferenceSession.ReturnType;
    try {
      // No `fetches` argument: onnxruntime-node returns a lone fetched output under the wrong name
      // (microsoft/onnxruntime#26865), so take every output and pick by name.
      result = await session.run(feeds);
    } catch (error) {
      throw new DefectRagError(
        'EMBEDDING_FAILED',
        `The ${role} tower failed on a batch of ${count}: ${(error as Error).message}`,
        {},
        { cause: error },
      );
    }
    const tensor = result[output]!;
    const data = tensor.data as Float32Array;
    const dimension = graphDimension(this.folder, role);
    if (tensor.type !== 'float32' || data.length !== count * dimension) {
      throw new DefectRagError(
        'EMBEDDING_FAILED',
        `${output} came back as ${tensor.type} [${tensor.dims.join(', ')}], expected float32 [${count}, ${dimension}]`,
      );
    }
    return data;
  }
}

async function createSession(
  folder: ModelFolder,
  file: string,
  settings: SessionSettings,
): Promise<ort.InferenceSession> {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: settings.executionProvider === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    interOpNumThreads: 1,
    // Fatal only: every error also comes back as an exception, which names the file.
    logSeverityLevel: 4,
    // Spinning threads wait hot for the next operator. Between our runs the other tower's threads
    // and sharp's decoders need those cores, and on a busy machine spinning made a run 2–4× slower.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
    ...(settings.intraOpThreads !== undefined && { intraOpNumThreads: settings.intraOpThreads }),
  };
  if (settings.executionProvider === 'cuda' && cudaProviderMissing()) {
    throw cudaUnavailable("onnxruntime-node's CUDA provider library is not installed");
  }
  try {
    return await ort.InferenceSession.create(path.join(folder.dir, file), options);
  } catch (error) {
    const message = (error as Error).message;
    if (settings.executionProvider === 'cuda' && /cuda|provider|shared librar/i.test(message))
      throw cudaUnavailable(message, error);
    throw invalid(folder.dir, `${file} could not be loaded by onnxruntime: ${message}`);
  }
}

/**
 * On Linux x64 onnxruntime-node downloads its CUDA provider beside its binding only when asked
 * to; checking for it first gives one clear error instead of onnxruntime's log lines.
 */
function cudaProviderMissing(): boolean {
  if (process.platform !== 'linux' || process.arch !== 'x64') return false;
  const packageDir = path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
  return !existsSync(path.join(packageDir, 'bin', 'napi-v6', 'linux', 'x64', 'libonnxruntime_providers_cuda.so'));
}

function cudaUnavailable(reason: string, cause?: unknown): DefectRagError {
  return new DefectRagError(
    'EXECUTION_PROVIDER_UNAVAILABLE',
    `The CUDA execution provider is not available: ${reason}. It needs an NVIDIA GPU with CUDA 12 and cuDNN 9, ` +
      `and onnxruntime-node's CUDA binaries (ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install). ` +
      `Use the cpu provider otherwise.`,
    { executionProvider: 'cuda' },
    { cause },
  );
}

/** Checks a session against the export contract for its roles and names what does not fit. */
function checkSession(folder: ModelFolder, file: string, session: ort.InferenceSession, roles: Role[]): void {
  const expected = roles.flatMap((role) => INPUTS[role]);
  const describe = `(it has inputs ${session.inputNames.join(', ') || 'none'} and outputs ${session.outputNames.join(', ') || 'none'})`;
  const contract = roles.map((role) => `${INPUTS[role].join(', ')} → ${OUTPUTS[role]}`).join(' and ');
  const fail = (problem: string) => invalid(folder.dir, `${file} ${problem} ${describe}; expected ${contract}.`);

  for (const name of expected) if (!session.inputNames.includes(name)) throw fail(`has no input "${name}"`);
  for (const role of roles)
    if (!session.outputNames.includes(OUTPUTS[role])) throw fail(`has no output "${OUTPUTS[role]}"`);
  const allowed = roles.includes('text') ? [...expected, ...OPTIONAL_INPUTS] : expected;
  const extra = session.inputNames.filter((name) => !allowed.includes(name));
  if (extra.length) throw fail(`needs inputs this loader does not feed: ${extra.join(', ')}`);

  if (roles.includes('vision')) {
    const shape = tensorMetadata(session, 'pixel_values')?.shape ?? [];
    const { cropHeight, cropWidth } = folder.preprocess;
    const fixed = [shape[1], shape[2], shape[3]];
    const wanted = [3, cropHeight, cropWidth];
    if (fixed.some((dim, i) => typeof dim === 'number' && dim !== wanted[i])) {
      throw fail(
        `takes pixel_values [${shape.join(', ')}] but preprocessor_config.json makes [n, 3, ${cropHeight}, ${cropWidth}]`,
      );
    }
  }
  if (roles.includes('text')) {
    const type = tensorMetadata(session, 'input_ids')?.type;
    if (type !== 'int64' && type !== 'int32') throw fail(`takes input_ids as ${type}, not int64 or int32`);
  }
  for (const role of roles) {
    const dims = tensorMetadata(session, OUTPUTS[role], 'output')?.shape ?? [];
    const last = dims.at(-1);
    const dimension = graphDimension(folder, role);
    if (typeof last === 'number' && last !== dimension) {
      const declared =
        role === 'vision' && folder.adapter
          ? 'defect_rag.adapter.input_dim'
          : folder.space === 'separate'
            ? `defect_rag.${KINDS[role]}_dim`
            : 'projection_dim';
      throw fail(`returns ${OUTPUTS[role]} of dimension ${last} but config.json ${declared} is ${dimension}`);
    }
  }
}

/** What the graph itself returns: with an adapter, the image graph gives the projection's input. */
function graphDimension(folder: ModelFolder, role: Role): number {
  return role === 'vision' && folder.adapter ? folder.adapter.inputDim : folder.dimensions[KINDS[role]]!;
}

function tensorMetadata(
  session: ort.InferenceSession,
  name: string,
  kind: 'input' | 'output' = 'input',
): { type: string; shape: ReadonlyArray<number | string> } | undefined {
  const list = kind === 'input' ? session.inputMetadata : session.outputMetadata;
  const entry = list.find((metadata) => metadata.name === name);
  return entry?.isTensor ? { type: entry.type, shape: entry.shape } : undefined;
}
