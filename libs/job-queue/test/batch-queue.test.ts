import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPostgres, type TestPostgres } from '@defect-rag/testing';
import { BatchQueue, batchId, type BatchWork } from '../src';

const RUN = '6f1f3c1e-0000-4000-8000-000000000001';
const OTHER_RUN = '6f1f3c1e-0000-4000-8000-000000000002';
const MODEL = 'tiny-clip@abc';

/** A batch of these photos, each with one crop and its photo point. */
function work(...photos: string[]): BatchWork {
  return { photos, crops: photos.map((photo) => `crop-of-${photo}`), photoPoints: photos };
}

describe('the batch queue on a real PostgreSQL', () => {
  let postgres: TestPostgres;
  let queue: BatchQueue;
  let second: BatchQueue;

  beforeAll(async () => {
    postgres = await startTestPostgres();
    const url = await postgres.createDatabase('queue');
    queue = await BatchQueue.open(url, { heartbeatSeconds: 10 });
    // A second process's view of the same queue, as a worker on another machine has.
    second = await BatchQueue.open(url, { heartbeatSeconds: 10 });
  });

  afterAll(async () => {
    await queue?.close();
    await second?.close();
    await postgres?.stop();
  });

  it('queues a run’s batches once however often they are queued, and counts them per run', async () => {
    const batches = [work('a.jpg', 'b.jpg'), work('c.jpg'), work('d.jpg')];
    await queue.enqueue(RUN, batches, MODEL);
    await second.enqueue(RUN, batches, MODEL);
    await queue.enqueue(OTHER_RUN, [work('x.jpg')], MODEL);
    expect(await queue.counts(RUN)).toEqual({ queued: 3, active: 0, completed: 0, failed: 0, cancelled: 0, total: 3 });
    expect((await queue.counts(OTHER_RUN)).total).toBe(1);
    expect(batchId(RUN, 0)).toBe(batchId(RUN, 0));
    expect(batchId(RUN, 0)).not.toBe(batchId(RUN, 1));
  });

  it('hands each batch to one taker, sums the results of completed batches and reports a failed one', async () => {
    const taken = [];
    for (let batch = await second.take(); batch; batch = await second.take()) taken.push(batch);
    expect(taken.map((batch) => `${batch.runId}:${batch.index}`).sort()).toEqual([
      `${RUN}:0`,
      `${RUN}:1`,
      `${RUN}:2`,
      `${OTHER_RUN}:0`,
    ]);
    expect(taken.find((batch) => batch.runId === RUN && batch.index === 0)).toMatchObject({
      ...work('a.jpg', 'b.jpg'),
      model: MODEL,
      attempt: 0,
    });
    expect(await queue.take()).toBeNull();
    expect((await queue.counts(RUN)).active).toBe(3);

    const ofRun = taken.filter((batch) => batch.runId === RUN).sort((a, b) => a.index - b.index);
    await second.complete(ofRun[0]!, { embedded: 4 });
    await second.complete(ofRun[1]!, { embedded: 2 });
    // Released: back in the queue for another worker, not counted as a failure.
    await second.release(ofRun[2]!);
    const again = await queue.take();
    // Each delivery is a new attempt, so the releasing worker's late calls cannot settle it.
    expect(again).toMatchObject({ runId: RUN, index: 2, attempt: 1 });
    // A failure sends it back until its deliveries are used up (6, the release's included), then it is failed for good.
    let failures = 0;
    for (let held = again; held; held = await queue.take()) {
      await queue.fail(held, { code: 'QDRANT_UNAVAILABLE', message: `down ${failures}` });
      failures++;
    }
    expect(failures).toBe(5);
    expect(await queue.take()).toBeNull();
    expect(await queue.counts(RUN)).toEqual({ queued: 0, active: 0, completed: 2, failed: 1, cancelled: 0, total: 3 });
    expect(await queue.results(RUN)).toEqual([{ embedded: 4 }, { embedded: 2 }]);
    expect(await queue.failure(RUN)).toEqual({ index: 2, code: 'QDRANT_UNAVAILABLE', message: 'down 4' });
  });

  it('cancels what a run has left and deletes a run’s batches', async () => {
    await queue.enqueue(OTHER_RUN, [work('x.jpg'), work('y.jpg'), work('z.jpg')], MODEL);
    // Batch 0 is still held from the test before; 1 and 2 are new.
    expect(await queue.counts(OTHER_RUN)).toMatchObject({ queued: 2, active: 1, total: 3 });
    expect(await queue.cancelRun(OTHER_RUN)).toBe(3);
    expect(await queue.take()).toBeNull();
    expect(await queue.counts(OTHER_RUN)).toMatchObject({ cancelled: 3, total: 3 });
    await queue.clearRun(OTHER_RUN);
    expect((await queue.counts(OTHER_RUN)).total).toBe(0);
    expect((await queue.counts(RUN)).total).toBe(3);
  });
});
