import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMBEDDINGS_DIR, fuse, loadModel, readEmbeddings, writeEmbeddings, type Embedder } from '../src';
import { testImage, TINY_CLIP } from './support/images';

let root: string;
let embedder: Embedder;
beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'phase3-'));
  embedder = await loadModel(TINY_CLIP, { batchSize: 2 });
});
afterAll(async () => {
  await embedder.close();
  rmSync(root, { recursive: true, force: true });
});

describe('writeEmbeddings / readEmbeddings', () => {
  it('writes image, text and fused rows in phase-2 order, leaving bad images out as problems', async () => {
    mkdirSync(path.join(root, 'crops'));
    writeFileSync(path.join(root, 'crops', 'a.jpg'), await testImage(1));
    writeFileSync(path.join(root, 'crops', 'b.jpg'), Buffer.from('not a jpeg'));
    writeFileSync(path.join(root, 'crops', 'c.jpg'), await testImage(3));
    const crops = ['a', 'b', 'c'].map((id) => ({
      crop_id: id,
      file: `crops/${id}.jpg`,
      text_description: `dent ${id}`,
    }));
    const fusion = { strategy: 'weighted' as const, alpha: 0.7 };
    const written = await writeEmbeddings(embedder, root, crops, { fusion });
    expect(written.outputDir).toBe(path.join(root, EMBEDDINGS_DIR));
    expect(written.problems.map((problem) => [problem.item, problem.code])).toEqual([
      ['crops/b.jpg', 'IMAGE_DECODE_FAILED'],
    ]);

    const stored = await readEmbeddings(root);
    expect(stored.index.files).toEqual({ image: 'image.f32', text: 'text.f32', fused: 'fused.f32' });
    expect(stored.index.crops.map((crop) => [crop.crop_id, crop.row])).toEqual([
      ['a', 0],
      ['c', 1],
    ]);
    const d = embedder.dimension;
    const [image] = await embedder.embedImages([path.join(root, 'crops', 'c.jpg')]);
    const [text] = await embedder.embedTexts(['dent c']);
    const row = (matrix: Float32Array | undefined) => Array.from(matrix!.subarray(d, 2 * d));
    expect(row(stored.image)).toEqual(Array.from(image!, (value) => expect.closeTo(value, 5)));
    expect(row(stored.text)).toEqual(Array.from(text!, (value) => expect.closeTo(value, 5)));
    expect(row(stored.fused)).toEqual(
      Array.from(fuse(image!, text!, fusion, 'shared'), (value) => expect.closeTo(value, 5)),
    );
  });

  it('fails with METADATA_INVALID naming the index when there is none', async () => {
    const empty = mkdtempSync(path.join(root, 'empty-'));
    await expect(readEmbeddings(empty)).rejects.toMatchObject({
      code: 'METADATA_INVALID',
      message: expect.stringContaining(path.join(empty, EMBEDDINGS_DIR, 'index.json')),
    });
  });
});
