import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { embedPhotos, loadModel, photoTiles } from '../src';
import { testImage, TINY_CLIP } from './support/images';

const fusion = { strategy: 'average' as const };

function unitMean(vectors: readonly Float32Array[]): number[] {
  const sum = vectors[0]!.map((_, d) => vectors.reduce((total, vector) => total + vector[d]!, 0));
  const norm = Math.hypot(...sum);
  return Array.from(sum, (value) => value / norm);
}

describe('photoTiles', () => {
  it('covers a side with as few input-sized tiles as possible, spread evenly to its edge', () => {
    expect(photoTiles(224, 224)).toEqual([{ start: 0, size: 224 }]);
    expect(photoTiles(448, 224)).toEqual([
      { start: 0, size: 224 },
      { start: 224, size: 224 },
    ]);
    expect(photoTiles(1024, 299).map((tile) => tile.start)).toEqual([0, 242, 483, 725]);
    expect(photoTiles(1024, 299).at(-1)!.start + 299).toBe(1024);
    // A side shorter than the tile is one window of that side.
    expect(photoTiles(150, 224)).toEqual([{ start: 0, size: 150 }]);
  });
});

describe('embedPhotos', () => {
  it('averages the vectors of source-resolution tiles, or embeds one letterboxed view, and embeds the text as for crops', async () => {
    const embedder = await loadModel(TINY_CLIP);
    try {
      const dir = mkdtempSync(path.join(tmpdir(), 'defect-rag-photos-'));
      const file = path.join(dir, 'photo.png');
      // 300×240 with a 224 input: 2 × 2 tiles.
      const bytes = await testImage(5, { format: 'png' });
      writeFileSync(file, bytes);
      const [tiled] = await embedPhotos(embedder, [{ file, text: '2 dents on front (bumper).' }], fusion, 'tiles');
      const tiles = await Promise.all(
        [0, 16].flatMap((top) =>
          [0, 76].map((left) => sharp(bytes).extract({ left, top, width: 224, height: 224 }).png().toBuffer()),
        ),
      );
      const expected = unitMean(await embedder.embedImages(tiles));
      expect(Array.from(tiled!.image)).toEqual(expected.map((value) => expect.closeTo(value, 5)));
      const [text] = await embedder.embedTexts(['2 dents on front (bumper).']);
      expect(Array.from(tiled!.text!)).toEqual(Array.from(text!, (value) => expect.closeTo(value, 5)));

      const [resized] = await embedPhotos(embedder, [{ file, text: 'x' }], fusion, 'resized');
      const view = await sharp(bytes)
        .resize(224, 224, { fit: 'contain', background: { r: 0, g: 0, b: 0 } })
        .png()
        .toBuffer();
      const [whole] = await embedder.embedImages([view]);
      expect(Array.from(resized!.image)).toEqual(Array.from(whole!, (value) => expect.closeTo(value, 5)));

      const missing = path.join(dir, 'missing.jpg');
      await expect(embedPhotos(embedder, [{ file: missing, text: 'x' }], fusion, 'tiles')).rejects.toMatchObject({
        code: 'IMAGE_NOT_FOUND',
        message: expect.stringContaining(missing),
      });
    } finally {
      await embedder.close();
    }
  });
});
