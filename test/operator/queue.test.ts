// The work queue: dedup, one in-flight reconcile per key, requeue-after-done, backoff.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, WorkQueue } from '../../operator/controller/queue.ts';

describe('WorkQueue', () => {
  it('stores a waiting key once however often it is added', async () => {
    const queue = new WorkQueue();
    queue.add('ns/a');
    queue.add('ns/b');
    queue.add('ns/a');
    assert.equal(queue.length, 2);
    assert.equal(await queue.get(), 'ns/a');
    assert.equal(await queue.get(), 'ns/b');
    assert.equal(queue.length, 0);
  });

  it('never hands a key to two workers; a key added while in flight is queued again on done', async () => {
    const queue = new WorkQueue();
    queue.add('ns/a');
    const key = await queue.get();
    queue.add('ns/a');
    queue.add('ns/a');
    assert.equal(queue.length, 0, 'not handed out while in flight');
    let second: string | undefined;
    const waiting = queue.get().then((k) => (second = k));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(second, undefined);
    queue.done(key!);
    await waiting;
    assert.equal(second, 'ns/a');
    queue.done('ns/a');
    assert.equal(queue.length, 0, 'the two adds while in flight made one more run, not two');
  });

  it('wakes a waiting worker when a key arrives', async () => {
    const queue = new WorkQueue();
    const next = queue.get();
    queue.add('ns/x');
    assert.equal(await next, 'ns/x');
    assert.equal(queue.inFlight, 1);
  });

  it('backs off per key exponentially up to a cap, and forget resets it', async () => {
    assert.deepEqual(
      [0, 1, 2, 3, 20].map((n) => backoffDelay(n, { baseMs: 100, maxMs: 1000 })),
      [100, 200, 400, 800, 1000],
    );
    const queue = new WorkQueue({ baseMs: 10, maxMs: 40 });
    assert.equal(queue.addRateLimited('ns/a'), 10);
    assert.equal(queue.addRateLimited('ns/a'), 20);
    assert.equal(queue.addRateLimited('ns/b'), 10, 'keys back off independently');
    assert.equal(queue.failures('ns/a'), 2);
    queue.forget('ns/a');
    assert.equal(queue.failures('ns/a'), 0);
    assert.equal(await queue.get(), 'ns/a');
  });

  it('keeps the earliest of several delayed adds of one key', async () => {
    const queue = new WorkQueue();
    queue.addAfter('ns/a', 60_000);
    queue.addAfter('ns/a', 5);
    assert.equal(await queue.get(), 'ns/a');
    queue.shutDown();
  });

  it('releases waiting workers on shutdown and refuses new keys', async () => {
    const queue = new WorkQueue();
    const waiting = queue.get();
    queue.shutDown();
    assert.equal(await waiting, undefined);
    queue.add('ns/a');
    assert.equal(await queue.get(), undefined);
  });
});
