import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedPathOrSkip } from '@defect-rag/testing';
import { tinyModelDir } from '@defect-rag/runs/testing';
import { loadModel } from '@defect-rag/embedding';
import {
  discoveryPrecision,
  hiddenDefectTypes,
  measureDiscovery,
  randomDiscovery,
  type DiscoveryQuery,
  type DiscoveryWindow,
} from '../src';

const square = (x: number, y: number, side: number) => ({
  polygon: [
    [x, y],
    [x + side, y],
    [x + side, y + side],
    [x, y + side],
  ] as [number, number][],
  area: side * side,
});

describe('discovery precision (pure)', () => {
  it('a window shows a hidden defect when half of the defect, or 1 % of the window, lies inside it', () => {
    const small = { ...square(0, 0, 10), types: ['dent'] };
    expect(hiddenDefectTypes({ x: 5, y: 0, width: 336, height: 336 }, [small])).toEqual(['dent']);
    expect(hiddenDefectTypes({ x: 6, y: 0, width: 336, height: 336 }, [small])).toEqual([]);
    // 2,000 px² of a 10,000 px² scratch: a fifth of it, but more than 1 % of the window.
    const large = { ...square(0, 0, 100), types: ['scratch', 'dent'] };
    expect(hiddenDefectTypes({ x: 80, y: 0, width: 336, height: 336 }, [large])).toEqual(['scratch', 'dent']);
    expect(hiddenDefectTypes({ x: 99.5, y: 0, width: 336, height: 336 }, [large])).toEqual([]);
  });

  const windows: DiscoveryWindow[] = [
    { id: 'w0', photo: 'A', box: { x: 0, y: 0, width: 336, height: 336 }, types: ['dent'] },
    { id: 'w1', photo: 'A', box: { x: 200, y: 0, width: 336, height: 336 }, types: [] },
    { id: 'w2', photo: 'B', box: { x: 0, y: 0, width: 336, height: 336 }, types: ['scratch'] },
    { id: 'w3', photo: 'C', box: { x: 0, y: 0, width: 336, height: 336 }, types: ['dent', 'scratch'] },
  ];
  // Unit vectors at angles 0.1, 0.2, 0.4, 0.3 rad from the query: ranked w0, w1, w3, w2.
  const unit = (angle: number) => Float32Array.from([Math.cos(angle), Math.sin(angle)]);
  const windowVectors = [unit(0.1), unit(0.2), unit(0.4), unit(0.3)];
  const queries: DiscoveryQuery[] = [
    { id: 'q-dent', type: 'dent' },
    { id: 'q-scratch', type: 'scratch' },
  ];
  const queryVectors = [unit(0), unit(0)];

  it('counts the top k windows that show the query type and any type, per type and over all queries', () => {
    const rows = discoveryPrecision(queries, queryVectors, windows, windowVectors, {
      ks: [1, 2, 3],
      onePerPhoto: false,
    });
    expect(rows.map((row) => [row.type, row.queries])).toEqual([
      ['dent', 1],
      ['scratch', 1],
      ['all', 2],
    ]);
    // Ranked w0 (dent), w1 (nothing), w3 (dent, scratch).
    expect(rows[0]!.atK).toEqual([
      { k: 1, sameType: 1, anyType: 1 },
      { k: 2, sameType: 0.5, anyType: 0.5 },
      { k: 3, sameType: 2 / 3, anyType: 2 / 3 },
    ]);
    expect(rows[1]!.atK.map((at) => at.sameType)).toEqual([0, 0, 1 / 3]);
    expect(rows[2]!.atK[0]).toEqual({ k: 1, sameType: 0.5, anyType: 1 });
  });

  it('one per photo keeps only the best window of each photo', () => {
    const [dent] = discoveryPrecision(queries, queryVectors, windows, windowVectors, { ks: [3], onePerPhoto: true });
    // w0 (A), w1 skipped (A again), w3 (C), w2 (B): every one shows a defect.
    expect(dent!.atK).toEqual([{ k: 3, sameType: 2 / 3, anyType: 1 }]);
  });

  it('random windows give the share of windows showing the type, at every k', () => {
    const rows = randomDiscovery(queries, windows, [1, 10]);
    expect(rows[0]!.atK).toEqual([
      { k: 1, sameType: 0.5, anyType: 0.75 },
      { k: 10, sameType: 0.5, anyType: 0.75 },
    ]);
    expect(rows[1]!.atK[0]!.sameType).toBe(0.5);
  });
});

const typed = sharedPathOrSkip('datasets/vehicle-damage-typed');

describe.skipIf(!typed)('discovery on the typed set (a few windows, the random-weight test model)', () => {
  const cacheDir = mkdtempSync(path.join(tmpdir(), 'defect-rag-discovery-'));
  afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

  it('indexes test photos as unlabelled windows, queries with train crops of each type, and reuses its cache', async () => {
    const embedder = await loadModel(tinyModelDir);
    const options = { datasetDir: typed!, embedder, cacheDir, maxWindows: 30, queriesPerType: 2 };
    const report = await measureDiscovery(options);
    expect(report.randomWeights).toBe(true);
    expect(report.windows).toBeGreaterThan(0);
    expect(report.windows).toBeLessThanOrEqual(30);
    // Every test photo of the typed set is damaged; each window here is one of them, unmasked.
    expect(report.testPhotos).toBeGreaterThan(report.photos);
    expect(report.windowsWithDefect).toBeGreaterThan(0);
    expect(report.results.map((result) => `${result.retriever}/${result.onePerPhoto}`)).toEqual([
      'model/false',
      'trivial/false',
      'model/true',
      'trivial/true',
      'random/false',
    ]);
    const random = report.results.at(-1)!.rows.at(-1)!;
    expect(random.atK[0]!.anyType).toBeCloseTo(report.windowsWithDefect / report.windows, 10);
    for (const { rows } of report.results) {
      for (const row of rows) {
        for (const at of row.atK) {
          expect(at.sameType).toBeGreaterThanOrEqual(0);
          expect(at.sameType).toBeLessThanOrEqual(at.anyType);
          expect(at.anyType).toBeLessThanOrEqual(1);
        }
      }
    }
    expect(existsSync(path.join(cacheDir, 'windows', 'crops'))).toBe(true);
    // A second run reads the cut windows and vectors back: the same figures.
    expect(await measureDiscovery(options)).toEqual(report);
  }, 120_000);
});
