import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { DefectRagError, type Tower } from '@defect-rag/runtime';
import { normalizeInPlace, type VectorSpace } from './fusion';
import { projectVector, type ImageAdapter } from './adapter';
import { invalid, readModelFolder, type ModelFolder, type Precision, type VectorDimensions } from './model-folder';
import { preprocessImages, type ImageInput } from './preprocess';
import { TextTokenizer } from './tokenizer';
import { Towers, type ExecutionProvider } from './towers';

export interface LoadModelOptions {
  /** Images or texts per onnxruntime call (default 8). */
  batchSize?: number;
  /** onnxruntime's intra-op threads (default: every core). */
  intraOpThreads?: number;
  /** `cpu` (default) or `cuda`; `cuda` fails with EXECUTION_PROVIDER_UNAVAILABLE when it cannot run. */
  executionProvider?: ExecutionProvider;
  /** `fp32` (default) or `int8`: the folder's `*_quantized.onnx` graphs. */
  precision?: Precision;
}

/** Loads a model folder (split or combined layout) and opens its onnxruntime sessions once. */
export async function loadModel(dir: string, options: LoadModelOptions = {}): Promise<Embedder> {
  return Embedder.load(dir, options);
}

/**
 * Image and text embeddings from an ONNX model folder: a CLIP-family model (one shared space), an
 * image-only model, or an encoder pair (separate spaces, `space` "separate"). Every vector is
 * L2-normalised and has `dimensions[kind]` values. `modelId` + `contentHash` identify the vectors: equal for two
 * embedders only if every file that shapes the vectors is byte-identical.
 */
export class Embedder {
  private constructor(
    private readonly folder: ModelFolder,
    private readonly tokenizer: TextTokenizer | null,
    private readonly sessions: Towers,
    readonly batchSize: number,
    readonly precision: Precision,
    readonly executionProvider: ExecutionProvider,
    /** `sha256:<hex>` over the folder's config, preprocessing, tokenizer and the ONNX files in use. */
    readonly contentHash: string,
  ) {}

  static async load(dir: string, options: LoadModelOptions = {}): Promise<Embedder> {
    const { batchSize = 8, intraOpThreads, executionProvider = 'cpu', precision = 'fp32' } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new DefectRagError('BAD_INPUT', `batchSize must be a positive integer, got ${batchSize}.`);
    if (intraOpThreads !== undefined && (!Number.isInteger(intraOpThreads) || intraOpThreads < 1)) {
      throw new DefectRagError('BAD_INPUT', `intraOpThreads must be a positive integer, got ${intraOpThreads}.`);
    }
    if (executionProvider !== 'cpu' && executionProvider !== 'cuda') {
      throw new DefectRagError(
        'BAD_INPUT',
        `executionProvider must be cpu or cuda, got ${JSON.stringify(executionProvider)}.`,
      );
    }
    if (precision !== 'fp32' && precision !== 'int8')
      throw new DefectRagError('BAD_INPUT', `precision must be fp32 or int8, got ${JSON.stringify(precision)}.`);

    const folder = readModelFolder(dir, precision);
    const tokenizer = folder.tokenizer
      ? new TextTokenizer(folder.tokenizer.json, folder.tokenizer.config, folder.maxTextLength, (message) =>
          invalid(dir, message),
        )
      : null;
    const contentHash = await hashFiles(dir, folder.contentFiles);
    const sessions = await Towers.open(folder, tokenizer, { executionProvider, intraOpThreads });
    return new Embedder(folder, tokenizer, sessions, batchSize, precision, executionProvider, contentHash);
  }

  /** The model's name, from config.json (`_name_or_path`) or else the folder's name. */
  get modelId(): string {
    return this.folder.modelId;
  }

  /**
   * The dimension of the vectors searched by default: the fused ones (the image ones for an
   * image-only model). A shared-space model has this one dimension for every kind; a pair's fused
   * vectors are its image and text vectors end to end.
   */
  get dimension(): number {
    const { dimensions } = this.folder;
    return dimensions.fused ?? dimensions.image;
  }

  /** The dimension of each kind of vector the model gives. */
  get dimensions(): VectorDimensions {
    return this.folder.dimensions;
  }

  /** `shared` (CLIP family, image-only models) or `separate` (an encoder pair: see `fuse`). */
  get space(): VectorSpace {
    return this.folder.space;
  }

  /** The pixels the image tower takes: a photo larger than this is seen in tiles or resized (`embedPhotos`). */
  get inputSize(): { width: number; height: number } {
    return { width: this.folder.preprocess.cropWidth, height: this.folder.preprocess.cropHeight };
  }

  /** Most tokens a text can have, start and end tokens included (77 for CLIP); longer texts are cut. */
  get maxTextLength(): number {
    return this.folder.maxTextLength;
  }

  /** True for the project's generated random-weight models: their vectors mean nothing. */
  get randomWeights(): boolean {
    return this.folder.randomWeights;
  }

  /** Where an adapted model's projection came from (`defect-rag adapt`); null for any other model. */
  get adapter(): Pick<ImageAdapter, 'baseModel' | 'training'> | null {
    const { adapter } = this.folder;
    return adapter && { baseModel: adapter.baseModel, training: adapter.training };
  }

  /** `['image', 'text']`, or `['image']` for an image-only model (no text, so no fused vectors either). */
  get towers(): readonly Tower[] {
    return this.folder.towers;
  }

  get hasTextTower(): boolean {
    return this.tokenizer !== null;
  }

  /** Tokens of `text` including the start and end tokens, before any cut to `maxTextLength`. */
  countTokens(text: string): number {
    return this.textTokenizer().countTokens(text);
  }

  /**
   * One unit vector per image, in order. While a batch runs, the next one is already being decoded.
   * A bad image rejects with IMAGE_NOT_FOUND, IMAGE_DECODE_FAILED or IMAGE_TOO_LARGE and its
   * position in `details.index`.
   */
  async embedImages(inputs: readonly ImageInput[]): Promise<Float32Array[]> {
    const batches = chunks(inputs, this.batchSize);
    const vectors: Float32Array[] = [];
    const prepare = (b: number) => {
      const pixels = preprocessImages(batches[b]!, this.folder.preprocess, b * this.batchSize);
      pixels.catch(() => {}); // awaited below; this only keeps an early failure from counting as unhandled
      return pixels;
    };
    let next = batches.length > 0 ? prepare(0) : undefined;
    for (let b = 0; b < batches.length; b++) {
      const pixels = await next!;
      next = b + 1 < batches.length ? prepare(b + 1) : undefined;
      const count = batches[b]!.length;
      const { adapter } = this.folder;
      const rows = this.rows(
        await this.sessions.runImages(pixels, count),
        count,
        adapter?.inputDim ?? this.folder.dimensions.image,
      );
      // An adapted folder's vector is normalise(P · base), base being the base model's unit vector.
      vectors.push(...(adapter ? rows.map((row) => this.unit(projectVector(adapter, row), count)) : rows));
    }
    return vectors;
  }

  /** One unit vector per text, in order; texts longer than `maxTextLength` tokens are cut, as CLIP does. */
  async embedTexts(texts: readonly string[]): Promise<Float32Array[]> {
    const tokenizer = this.textTokenizer();
    const vectors: Float32Array[] = [];
    for (const batch of chunks(texts, this.batchSize)) {
      const tokens = tokenizer.encodeBatch(batch, this.sessions.fixedTextLength);
      const dimension = this.folder.dimensions.text!;
      vectors.push(...this.rows(await this.sessions.runTexts(tokens, batch.length), batch.length, dimension));
    }
    return vectors;
  }

  /** Releases the onnxruntime sessions; the embedder cannot be used afterwards. */
  async close(): Promise<void> {
    await this.sessions.release();
  }

  private textTokenizer(): TextTokenizer {
    if (this.tokenizer) return this.tokenizer;
    throw new DefectRagError(
      'MODE_UNSUPPORTED',
      `Model "${this.modelId}" has only an image tower: it cannot embed text (no text or fused vectors).`,
      { modelId: this.modelId },
    );
  }

  private rows(data: Float32Array, count: number, dimension: number): Float32Array[] {
    return Array.from({ length: count }, (_, i) => this.unit(data.slice(i * dimension, (i + 1) * dimension), count, i));
  }

  private unit(row: Float32Array, count: number, index?: number): Float32Array {
    if (!normalizeInPlace(row)) {
      throw new DefectRagError(
        'EMBEDDING_FAILED',
        `The model returned a zero or non-finite vector (${index === undefined ? 'after its adapter' : `row ${index}`} of a batch of ${count}).`,
      );
    }
    return row;
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

/** sha256 over each file's relative path and bytes, streamed (real models are gigabytes). */
async function hashFiles(dir: string, files: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(`${file}\0`);
    for await (const chunk of createReadStream(path.join(dir, file))) hash.update(chunk as Buffer);
    hash.update('\0');
  }
  return `sha256:${hash.digest('hex')}`;
}
