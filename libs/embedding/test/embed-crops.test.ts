import { describe, expect, it } from 'vitest';
import { imageOnlyTestModel } from '@defect-rag/testing';
import { embedCrops, fuse, loadModel } from '../src';
import { testImage, TINY_CLIP } from './support/images';

const fusion = { strategy: 'weighted' as const, alpha: 0.3 };

describe('embedCrops', () => {
  it('gives image, text and fused vectors per crop, in order', async () => {
    const embedder = await loadModel(TINY_CLIP, { batchSize: 2 });
    try {
      const items = [
        { image: await testImage(1), text: 'dent on hood' },
        { image: await testImage(2), text: 'scratch on door' },
      ];
      const vectors = await embedCrops(embedder, items, fusion);
      const images = await embedder.embedImages(items.map((item) => item.image));
      const texts = await embedder.embedTexts(items.map((item) => item.text));
      expect(vectors).toHaveLength(2);
      vectors.forEach((crop, i) => {
        expect(Array.from(crop.image)).toEqual(Array.from(images[i]!, (value) => expect.closeTo(value, 5)));
        expect(Array.from(crop.text!)).toEqual(Array.from(texts[i]!, (value) => expect.closeTo(value, 5)));
        expect(Array.from(crop.fused!)).toEqual(
          Array.from(fuse(images[i]!, texts[i]!, fusion, 'shared'), (value) => expect.closeTo(value, 5)),
        );
      });
      // Image vectors computed beforehand are used as they are.
      const given = await embedCrops(embedder, items, fusion, images);
      expect(given.map((crop) => crop.image)).toEqual(images);
    } finally {
      await embedder.close();
    }
  });

  it('gives the image vector alone for an image-only model', async () => {
    const embedder = await loadModel(imageOnlyTestModel());
    try {
      const vectors = await embedCrops(embedder, [{ image: await testImage(3), text: 'dent' }], fusion);
      expect(Object.keys(vectors[0]!)).toEqual(['image']);
    } finally {
      await embedder.close();
    }
  });
});
