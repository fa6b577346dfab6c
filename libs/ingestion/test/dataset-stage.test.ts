import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSplitFile } from '@defect-rag/dataset';
import { isDefectRagError } from '@defect-rag/runtime';
import { sampleDatasetOrSkip } from '@defect-rag/testing';
import { analyzeStage, splitStage } from '../src';

const sample = sampleDatasetOrSkip();
const outRoot = mkdtempSync(path.join(tmpdir(), 'dataset-stage-'));
afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

describe.skipIf(!sample)('dataset stages on the shared sample', () => {
  it('analyze writes the JSON and Markdown reports, with taxonomy zones', async () => {
    const outDir = path.join(outRoot, 'analyze');
    const events: number[] = [];
    const { report, files } = await analyzeStage({
      datasetDir: sample!,
      outDir,
      onProgress: (event) => events.push(event.done),
    });
    expect(JSON.parse(readFileSync(files.json, 'utf8'))).toEqual(JSON.parse(JSON.stringify(report)));
    expect(report.images).toMatchObject({ total: 114, damaged: 55, clean: 59 });
    // Zones are the taxonomy's ids, not raw part labels.
    expect(Object.keys(report.defects.per_zone)).toEqual(expect.arrayContaining(['front', 'rear']));
    expect(report.defects.per_type).toEqual({ damage: 134 });
    const markdown = readFileSync(files.markdown, 'utf8');
    expect(markdown).toContain('# Dataset report: vehicle-damage-sample');
    expect(markdown).toContain('| damaged | 55 |');
    expect(events.at(-1)).toBe(114);
  });

  it('split writes a split.json that reads back and repeats for the same seed', async () => {
    const first = await splitStage({ datasetDir: sample!, outDir: path.join(outRoot, 'split-a'), seed: 3 });
    const second = await splitStage({ datasetDir: sample!, outDir: path.join(outRoot, 'split-b'), seed: 3 });
    expect(await readSplitFile(first.file)).toEqual(first.split);
    expect(readFileSync(second.file, 'utf8')).toBe(readFileSync(first.file, 'utf8'));
    expect(first.split.counts).toEqual({ images: 114, train: 91, test: 23 });
    expect(first.split.strata.some((stratum) => stratum.stratum.startsWith('damaged/damage/'))).toBe(true);
  });
});

describe('dataset stages on unusable input', () => {
  it('fails with DATASET_NOT_FOUND for a missing folder', async () => {
    await expect(analyzeStage({ datasetDir: path.join(outRoot, 'missing'), outDir: outRoot })).rejects.toSatisfy(
      (error) => isDefectRagError(error, 'DATASET_NOT_FOUND'),
    );
  });

  it('fails with DATASET_INVALID when no image can be read', async () => {
    const dir = path.join(outRoot, 'junk');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'a.jpg'), 'not an image');
    await expect(splitStage({ datasetDir: dir, outDir: dir })).rejects.toSatisfy((error) =>
      isDefectRagError(error, 'DATASET_INVALID'),
    );
  });
});
