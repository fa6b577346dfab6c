import type { Embedder } from './embedder';
import { fuse, type FusionOptions } from './fusion';
import type { ImageInput } from './preprocess';

/** A crop to embed: its image, and the description its text vector is made from. */
export interface CropToEmbed {
  image: ImageInput;
  text: string;
}

/** A crop's vectors; an image-only model (`hasTextTower` false) gives `image` alone. */
export interface CropVectors {
  image: Float32Array;
  text?: Float32Array;
  fused?: Float32Array;
}

/**
 * One batch → image vectors → text vectors (when the model has a text tower) → fused vectors, in
 * the order of `items`. `images`, when given, are the batch's image vectors already computed (so a
 * caller can decode the next batch while this one's texts run); otherwise they are embedded here.
 */
export async function embedCrops(
  embedder: Embedder,
  items: readonly CropToEmbed[],
  fusion: FusionOptions,
  images?: readonly Float32Array[],
): Promise<CropVectors[]> {
  const imageVectors = images ?? (await embedder.embedImages(items.map((item) => item.image)));
  if (!embedder.hasTextTower) return imageVectors.map((image) => ({ image }));
  const texts = await embedder.embedTexts(items.map((item) => item.text));
  return imageVectors.map((image, i) => ({
    image,
    text: texts[i]!,
    fused: fuse(image, texts[i]!, fusion, embedder.space),
  }));
}
