import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { embedPhotos, loadModel, MAX_PHOTO_TILES, photoTiles, photoTileSize } from '../src';
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

describe('photoTileSize', () => {
  it('keeps the input size while it covers the photo in MAX_PHOTO_TILES tiles, else the smallest larger size that does', () => {
    const input = { width: 224, height: 224 };
    expect(MAX_PHOTO_TILES).toBe(4);
    expect(photoTileSize({ width: 300, height: 240 }, input)).toEqual(input);
    expect(photoTileSize({ width: 150, height: 100 }, input)).toEqual(input);
    // 1024² would be 5 × 5 tiles of 224: two columns and two rows of 512.
    expect(photoTileSize({ width: 1024, height: 1024 }, input)).toEqual({ width: 512, height: 512 });
    expect(photoTileSize({ width: 1024, height: 1024 }, { width: 299, height: 299 })).toEqual({
      width: 512,
      height: 512,
    });
    // A wide photo: two columns of its half width, which also cover its height in two rows.
    expect(photoTileSize({ width: 1110, height: 577 }, { width: 299, height: 299 })).toEqual({
      width: 555,
      height: 555,
    });
    for (const [width, height] of [
      [640, 480],
      [1600, 1600],
      [4000, 3000],
      [801, 600],
    ] as const) {
      const tile = photoTileSize({ width, height }, input);
      expect(photoTiles(width, tile.width).length * photoTiles(height, tile.height).length).toBeLessThanOrEqual(
        MAX_PHOTO_TILES,
      );
      // One pixel smaller would need more tiles: the tiles are as fine as the cap allows.
      const finer = photoTiles(width, tile.width - 1).length * photoTiles(height, tile.height - 1).length;
      expect(finer).toBeGreaterThan(MAX_PHOTO_TILES);
    }
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

      // 600×480 would be 3 × 3 tiles of 224: 2 × 2 tiles of 300 instead, each shrunk by the tower.
      const large = await sharp(bytes).resize(600, 480).png().toBuffer();
      const [capped] = await embedPhotos(embedder, [{ file: large, text: 'x' }], fusion, 'tiles');
      const coarse = await Promise.all(
        [0, 180].flatMap((top) =>
          [0, 300].map((left) => sharp(large).extract({ left, top, width: 300, height: 300 }).png().toBuffer()),
        ),
      );
      const expectedCoarse = unitMean(await embedder.embedImages(coarse));
      expect(Array.from(capped!.image)).toEqual(expectedCoarse.map((value) => expect.closeTo(value, 5)));

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
