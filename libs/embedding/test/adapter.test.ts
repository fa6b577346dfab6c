import { mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { imageOnlyTestModel } from '@defect-rag/testing';
import { ADAPTER_FILE, loadModel, trainProjection, writeAdaptedModel, type LabelledVector } from '../src/index';
import { TINY_CLIP } from './support/images';

const SEED = 11;

/** Seeded unit vectors around two label centres, printed on failure through the seed. */
function labelled(count: number, dimension: number): LabelledVector[] {
  let state = SEED;
  const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  return Array.from({ length: count }, (_, i) => {
    const label = i % 2 === 0 ? 'scratch' : 'clean';
    const vector = Float32Array.from({ length: dimension }, (_, c) => random() * 0.3 + (c === i % 2 ? 1 : 0));
    const norm = Math.hypot(...vector);
    return { vector: vector.map((value) => value / norm), labels: [label] };
  });
}

describe('trainProjection and the adapted model folder', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'defect-rag-adapter-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const options = { seed: 3, dimensions: 4, steps: 20 };

  it('is deterministic for a seed, depends on it, and lowers its loss', async () => {
    const data = labelled(24, 16);
    const [a, b, c] = [
      await trainProjection(data, options),
      await trainProjection(data, options),
      await trainProjection(data, { ...options, seed: 4 }),
    ];
    expect(Buffer.from(a.matrix.buffer).equals(Buffer.from(b.matrix.buffer))).toBe(true);
    expect(Buffer.from(a.matrix.buffer).equals(Buffer.from(c.matrix.buffer))).toBe(false);
    expect(a.figures.finalLoss).toBeLessThan(a.figures.initialLoss);
    expect([a.inputDim, a.outputDim]).toEqual([16, 16 + 4]);
    // The base vector is kept as the first rows: the identity.
    expect(a.matrix[0]).toBe(1);
    expect(a.matrix[1]).toBe(0);
    expect(a.matrix[16 + 1]).toBe(1);
  });

  it('refuses one label, and a text-tower base model', async () => {
    const data = labelled(6, 16).map((item) => ({ ...item, labels: ['scratch'] }));
    await expect(trainProjection(data, options)).rejects.toThrow(/at least two labels/);
    const projection = { matrix: new Float32Array(64 * 64), inputDim: 64, outputDim: 64 };
    const provenance = { baseModel: { id: 'x', sha256: 'y' }, training: { dataset: 'd', split_sha256: 's', seed: 1 } };
    await expect(writeAdaptedModel(TINY_CLIP, path.join(work, 'clip'), projection, provenance)).rejects.toMatchObject({
      code: 'MODEL_INVALID',
    });
  });

  it('a truncated projection file is MODEL_INVALID naming the file and the shape', async () => {
    const base = await loadModel(imageOnlyTestModel());
    const dimension = base.dimensions.image;
    await base.close();
    const out = path.join(work, 'adapted');
    const projection = await trainProjection(labelled(12, dimension), options);
    const provenance = { baseModel: { id: 'x', sha256: 'y' }, training: { dataset: 'd', split_sha256: 's', seed: 3 } };
    await writeAdaptedModel(imageOnlyTestModel(), out, projection, provenance);
    const adapted = await loadModel(out);
    expect(adapted.dimensions.image).toBe(dimension + 4);
    expect(adapted.adapter?.training.dataset).toBe('d');
    await adapted.close();
    truncateSync(path.join(out, ADAPTER_FILE), 8);
    await expect(loadModel(out)).rejects.toMatchObject({
      code: 'MODEL_INVALID',
      message: expect.stringContaining(
        `${ADAPTER_FILE} has 8 bytes; a ${dimension + 4} × ${dimension} float32 projection`,
      ),
    });
  });
});
