import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src';
import { startTestPostgres, type TestPostgres } from '@defect-rag/testing';

let postgres: TestPostgres;
let db: Database;

beforeAll(async () => {
  postgres = await startTestPostgres();
  db = await openDatabase(await postgres.createDatabase('repositories'));
}, 120_000);

afterAll(async () => {
  await db?.close();
  await postgres?.stop();
});

describe('DatasetRepository', () => {
  it('registers a dataset once per name and updates its root on re-registration', async () => {
    const first = await db.datasets.register({ name: 'sample', root: '/data/a', config: { pattern: 'x' } });
    const again = await db.datasets.register({ name: 'sample', root: '/data/b' });
    expect(again.id).toBe(first.id);
    expect(again.root).toBe('/data/b');
    expect((await db.datasets.findByName('sample'))?.id).toBe(first.id);
    expect(await db.datasets.findById('00000000-0000-0000-0000-000000000000')).toBeNull();
    // A malformed id is no dataset's too (PostgreSQL would refuse it as a UUID: an internal error).
    expect(await db.datasets.findById('/etc/passwd')).toBeNull();
  });

  it('stores counts', async () => {
    const dataset = await db.datasets.register({ name: 'counted', root: '/data/c' });
    const counts = { imageCount: 114, damagedCount: 55, cleanCount: 59, defectCount: 134, cropCount: 300 };
    expect(await db.datasets.updateCounts(dataset.id, counts)).toMatchObject(counts);
  });
});

describe('RunRepository', () => {
  it('keeps per-stage progress, counts and timings from concurrent writers', async () => {
    const dataset = await db.datasets.register({ name: 'progress', root: '/data/p' });
    const run = await db.runs.create({
      datasetId: dataset.id,
      kind: 'INGEST',
      params: { batchSize: 8 },
      configHash: 'h1',
    });
    await db.runs.markRunning(run.id);
    await Promise.all([
      db.runs.setStageProgress(run.id, 'crops', { done: 10, total: 20 }),
      db.runs.setStageProgress(run.id, 'embedding', { done: 3, total: 20 }),
      db.runs.mergeCounts(run.id, { crops: 10 }),
      db.runs.mergeTimings(run.id, { crops: 1200 }),
    ]);
    await db.runs.mergeCounts(run.id, { points: 3 });
    const stored = await db.runs.get(run.id);
    expect(stored.status).toBe('RUNNING');
    expect(stored.progress).toEqual({ crops: { done: 10, total: 20 }, embedding: { done: 3, total: 20 } });
    expect(stored.counts).toEqual({ crops: 10, points: 3 });
    expect(stored.timings).toEqual({ crops: 1200 });
    expect(stored.params).toEqual({ batchSize: 8 });
  });

  it('finds the unfinished run with the same config to resume, and not a finished one', async () => {
    const dataset = await db.datasets.register({ name: 'resume', root: '/data/r' });
    const run = await db.runs.create({ datasetId: dataset.id, kind: 'INGEST', configHash: 'same' });
    expect((await db.runs.findResumable(dataset.id, 'INGEST', 'same'))?.id).toBe(run.id);
    expect(await db.runs.findResumable(dataset.id, 'INGEST', 'other')).toBeNull();
    const finished = await db.runs.finish(run.id, { status: 'FAILED', errorCode: 'QDRANT_UNAVAILABLE', error: 'down' });
    expect(finished).toMatchObject({ status: 'FAILED', errorCode: 'QDRANT_UNAVAILABLE', error: 'down' });
    expect(finished.finishedAt).toBeInstanceOf(Date);
    expect(await db.runs.findResumable(dataset.id, 'INGEST', 'same')).toBeNull();
  });

  it('pages through runs newest first and through problems in insertion order', async () => {
    const dataset = await db.datasets.register({ name: 'paging', root: '/data/q' });
    const created = [];
    for (let i = 0; i < 5; i++) created.push(await db.runs.create({ datasetId: dataset.id, kind: 'EVALUATE' }));
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await db.runs.list({ datasetId: dataset.id }, { first: 2, after });
      expect(page.totalCount).toBe(5);
      seen.push(...page.items.map((run) => run.id));
      if (!page.hasNextPage) break;
      after = page.endCursor;
    }
    expect(seen).toEqual(created.map((run) => run.id).reverse());

    const run = created[0]!;
    const problems = Array.from({ length: 5 }, (_, i) => ({
      item: `img_${i}.jpg`,
      stage: 'crops' as const,
      code: 'IMAGE_DECODE_FAILED' as const,
      message: `bad ${i}`,
    }));
    await db.runs.addProblems(run.id, problems);
    const firstPage = await db.runs.listProblems(run.id, { first: 3 });
    const secondPage = await db.runs.listProblems(run.id, { first: 3, after: firstPage.endCursor });
    expect([...firstPage.items, ...secondPage.items].map((problem) => problem.item)).toEqual(
      problems.map((problem) => problem.item),
    );
    expect(firstPage.hasNextPage).toBe(true);
    expect(secondPage.hasNextPage).toBe(false);
  });

  it('replaces the problems of photos done again, keeping the run’s other problems', async () => {
    const dataset = await db.datasets.register({ name: 'redone', root: '/data/r' });
    const run = await db.runs.create({ datasetId: dataset.id, kind: 'INGEST' });
    const problem = (item: string, message: string) => ({
      item,
      stage: 'crops' as const,
      code: 'IMAGE_DECODE_FAILED' as const,
      message,
      photo: item,
    });
    await db.runs.addProblems(run.id, [
      { item: 'poligonos.json', stage: 'dataset', code: 'POLYGONS_INVALID', message: 'm' },
    ]);
    await db.runs.replacePhotoProblems(run.id, ['a.jpg', 'b.jpg'], [problem('a.jpg', 'first try')]);
    await db.runs.replacePhotoProblems(run.id, ['c.jpg'], [problem('c.jpg', 'other batch')]);
    // The first batch again, after its worker died: its problems once, the others untouched.
    await db.runs.replacePhotoProblems(
      run.id,
      ['a.jpg', 'b.jpg'],
      [problem('a.jpg', 'again'), problem('b.jpg', 'again')],
    );
    expect((await db.runs.allProblems(run.id)).map((p) => `${p.item}: ${p.message}`)).toEqual([
      'poligonos.json: m',
      'c.jpg: other batch',
      'a.jpg: again',
      'b.jpg: again',
    ]);
  });

  it('reports an unknown run as RUN_NOT_FOUND', async () => {
    await expect(db.runs.get('00000000-0000-0000-0000-000000000000')).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
  });
});

describe('tryLockDataset', () => {
  it('lets one holder at a time lock a dataset, and frees it on release', async () => {
    const dataset = await db.datasets.register({ name: 'locked', root: '/data/l' });
    const first = await db.tryLockDataset(dataset.id);
    expect(first).not.toBeNull();
    expect(await db.tryLockDataset(dataset.id)).toBeNull();
    const other = await db.datasets.register({ name: 'unlocked', root: '/data/u' });
    const otherLock = await db.tryLockDataset(other.id);
    expect(otherLock).not.toBeNull();
    await first!.release();
    const again = await db.tryLockDataset(dataset.id);
    expect(again).not.toBeNull();
    await again!.release();
    await otherLock!.release();
  });
});
