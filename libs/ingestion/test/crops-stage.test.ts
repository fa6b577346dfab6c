import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readPhase1Metadata } from '@defect-rag/crops';
import { isDefectRagError } from '@defect-rag/runtime';
import { sampleDatasetOrSkip } from '@defect-rag/testing';
import { cropsStage, splitStage } from '../src';

const sample = sampleDatasetOrSkip();
const outRoot = mkdtempSync(path.join(tmpdir(), 'crops-stage-'));
afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

describe.skipIf(!sample)('crops stage on the shared sample', () => {
  it('writes crops and metadata with each crop in its image’s split, balanced per split', async () => {
    const { split, file: splitFile } = await splitStage({ datasetDir: sample!, outDir: outRoot });
    const outDir = path.join(outRoot, 'phase1');
    const stages = new Set<string>();
    const result = await cropsStage({
      datasetDir: sample!,
      outDir,
      splitFile,
      onProgress: (event) => stages.add(event.stage),
    });
    expect([...stages]).toEqual(['dataset', 'crops']);
    const metadata = await readPhase1Metadata(outDir);
    expect(result.metadataFile).toBe(path.join(outDir, 'metadata_crops_phase1.json'));
    expect(result.summary).toEqual(metadata.summary);
    expect(metadata.config.split_file).toBe(splitFile);

    const splitOf = new Map(split.images.map((entry) => [entry.image, entry.split]));
    for (const crop of metadata.crops) expect(crop.split).toBe(splitOf.get(crop.image));
    for (const name of ['train', 'test'] as const) {
      const inSplit = metadata.crops.filter((crop) => crop.split === name);
      const damage = inSplit.filter((crop) => crop.has_damage).length;
      expect(damage).toBeGreaterThan(0);
      expect(inSplit.length - damage).toBe(damage);
    }
  });

  it('rejects a split file that is not one', async () => {
    await expect(
      cropsStage({
        datasetDir: sample!,
        outDir: path.join(outRoot, 'bad'),
        splitFile: path.join(sample!, 'poligonos.json'),
      }),
    ).rejects.toSatisfy((error) => isDefectRagError(error, 'SPLIT_INVALID'));
  });

  it('rejects invalid crop options before doing any work', async () => {
    await expect(
      cropsStage({ datasetDir: sample!, outDir: path.join(outRoot, 'bad'), config: { size: 0 } }),
    ).rejects.toSatisfy((error) => isDefectRagError(error, 'BAD_INPUT'));
  });
});
