/**
 * The writer's explicit last-add-confirmed (CONFIRM, kind 9): a writer-less
 * subscriber sees an idle writer's newest entry, and the last entry of an
 * appendBatch, without waiting for the writer's next append (without
 * CONFIRM the first case waits for the 20 s poll timeout). A node keeps
 * the hint at or below its own last entry and never moves backwards.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { connectLogNode, openLog, subscribeLog, type LogRecord } from '../../../src/log/index.js';
import { forEachTarget, waitFor } from '../../support/targets.js';
import { entry, removeDirs } from '../node/support.js';
import { startCluster, texts } from '../writer/support.js';

after(removeDirs);

const Q = { ensembleSize: 3, writeQuorum: 3, ackQuorum: 2 };

/** Consumes a subscription in the background. */
function follow(iterable: AsyncIterableIterator<LogRecord>): { records: LogRecord[]; stop(): Promise<void> } {
  const records: LogRecord[] = [];
  void (async () => {
    for await (const r of iterable) records.push(r);
  })().catch(() => {});
  return { records, stop: async () => void (await iterable.return?.()) };
}

forEachTarget('log explicit last-add-confirmed', (target) => {
  it('a writer-less subscriber gets an idle writer’s last entry, and an appendBatch’s last, within about a second', async () => {
    await using cluster = await startCluster(target());
    await using log = await openLog(await cluster.client(), 'idle', Q);
    const sub = follow(subscribeLog(await cluster.client(), 'idle', { from: 'start', pollTimeout: 20_000 }));
    try {
      await log.append(Buffer.from('only'));
      const t0 = Date.now();
      await waitFor(() => sub.records.length === 1, 10_000, 'the idle writer’s only entry');
      assert.ok(Date.now() - t0 < 1500, `seen after ${Date.now() - t0} ms, not at the 20 s poll timeout`);

      await log.appendBatch(Array.from({ length: 50 }, (_, i) => Buffer.from(`batch ${i}`)));
      const t1 = Date.now();
      await waitFor(() => sub.records.length === 51, 10_000, 'the whole batch, its last entry included');
      assert.ok(Date.now() - t1 < 1500, `batch seen after ${Date.now() - t1} ms`);
      assert.deepEqual(texts(sub.records), ['only', ...Array.from({ length: 50 }, (_, i) => `batch ${i}`)]);
    } finally {
      await sub.stop();
    }
  });

  it('a node: CONFIRM wakes a long poll, is capped at its last entry, and never moves backwards', async () => {
    await using cluster = await startCluster(target(), 1);
    await using c = await connectLogNode(cluster.nodes[0]!.address);
    for (let e = 0; e < 3; e++) await c.addEntry({ ...entry(5, e), lastAddConfirmed: e - 1 });
    const waiting = c.waitConfirmed(5, 1, { timeout: 20_000 });
    await c.info();
    const t0 = Date.now();
    await c.confirm(5, 2);
    assert.deepEqual(await waiting, { lastEntryId: 2, lastAddConfirmed: 2, fenced: false });
    assert.ok(Date.now() - t0 < 5000);
    // Past the entries it holds: capped there; lower than what it knows: ignored.
    await c.confirm(5, 9);
    assert.equal((await c.readLastEntry(5)).lastAddConfirmed, 2);
    await c.confirm(5, 0);
    assert.equal((await c.waitConfirmed(5, -1, { timeout: 0 })).lastAddConfirmed, 2);
    // Entry 3 arrives carrying LAC 1: the earlier hint (9) lets the node say 3.
    await c.addEntry({ ...entry(5, 3), lastAddConfirmed: 1 });
    assert.equal((await c.readLastEntry(5)).lastAddConfirmed, 3);
    await assert.rejects(c.confirm(5, -2), { name: 'BadArgumentsError' });
  });
});
