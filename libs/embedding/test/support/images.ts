import path from 'node:path';
import sharp from 'sharp';
import { workspaceRoot } from '@defect-rag/runtime';

/** The committed random-weight test model. */
export const TINY_CLIP = path.join(workspaceRoot, 'models', 'tiny-clip');

/**
 * A deterministic test photo: coloured gradients with blocks whose colours depend on `seed`, so
 * different seeds give clearly different images and the same seed the same bytes.
 */
export async function testImage(
  seed: number,
  { width = 300, height = 240, format = 'jpeg' as 'jpeg' | 'png' } = {},
): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  let state = seed * 7919 + 17;
  const random = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  const blocks = Array.from({ length: 6 }, () => ({
    x: random() * width,
    y: random() * height,
    size: 20 + random() * 80,
    colour: [random() * 255, random() * 255, random() * 255],
  }));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const block = blocks.find((b) => Math.abs(x - b.x) < b.size && Math.abs(y - b.y) < b.size);
      const base = [(x / width) * 255, (y / height) * 255, (seed * 40) % 255];
      for (let c = 0; c < 3; c++) pixels[(y * width + x) * 3 + c] = block ? block.colour[c]! : base[c]!;
    }
  }
  const image = sharp(pixels, { raw: { width, height, channels: 3 } });
  return format === 'png' ? image.png().toBuffer() : image.jpeg({ quality: 90 }).toBuffer();
}
