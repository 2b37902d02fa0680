/**
 * The node's long poll, WAIT_CONFIRMED (src/log/protocol/messages/wait-confirmed.ts,
 * src/log/node/handlers.ts): answered at once when the last-add-confirmed
 * is past `afterEntry`, as soon as an add moves it there, on a fence, or at
 * its timeout, or when the node starts closing; other requests on the
 * same connection are not held up.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { connectLogNode } from '../../../src/log/index.js';
import { forEachTarget } from '../../support/targets.js';
import { entry, removeDirs, startTestNode, tempDir } from '../node/support.js';
import { startCluster } from '../writer/support.js';

after(removeDirs);

forEachTarget('log node long poll', (target) => {
  it('WAIT_CONFIRMED answers at once, on the add that confirms, on a fence, or at its timeout', async () => {
    await using cluster = await startCluster(target(), 1);
    await using c = await connectLogNode(cluster.nodes[0]!.address);
    const at = (segmentId: number, entryId: number, lastAddConfirmed: number) => ({ ...entry(segmentId, entryId), lastAddConfirmed });
    await c.addEntry(at(1, 0, -1));
    await c.addEntry(at(1, 1, 0));
    // Already past: at once, even with a long timeout.
    assert.deepEqual(await c.waitConfirmed(1, -1, { timeout: 20_000 }), { lastEntryId: 1, lastAddConfirmed: 0, fenced: false });

    // Waits for the add that confirms entry 1; an add that confirms nothing new does not answer it.
    const started = Date.now();
    const waiting = c.waitConfirmed(1, 0, { timeout: 20_000 });
    let answered = false;
    void waiting.then(() => (answered = true));
    await c.addEntry(at(1, 2, 0));
    assert.deepEqual(await c.info().then(() => answered), false, 'not answered by an add that confirms nothing new');
    await c.addEntry(at(1, 3, 2));
    assert.deepEqual(await waiting, { lastEntryId: 3, lastAddConfirmed: 2, fenced: false });
    assert.ok(Date.now() - started < 5000, `answered after ${Date.now() - started} ms`);

    // A segment the node has never seen: waits, and a fence answers it.
    const fencedWait = c.waitConfirmed(2, -1, { timeout: 20_000 });
    await c.fence(2);
    assert.deepEqual(await fencedWait, { lastEntryId: -1, lastAddConfirmed: -1, fenced: true });

    // Nothing happens: answered at the timeout, saying where the node is.
    const t0 = Date.now();
    assert.deepEqual(await c.waitConfirmed(1, 2, { timeout: 300 }), { lastEntryId: 3, lastAddConfirmed: 2, fenced: false });
    assert.ok(Date.now() - t0 >= 250, `timed out after ${Date.now() - t0} ms`);
    await assert.rejects(c.waitConfirmed(1, -2), { name: 'BadArgumentsError' });
  });

  it('a closing node answers its pending long polls at once, and closes well within closeTimeout', async () => {
    const node = await startTestNode(target().connectionString, await tempDir(), { closeTimeout: 20_000, auditor: false, gcInterval: 0 });
    await using c = await connectLogNode(node.address);
    await c.addEntry({ ...entry(1, 0), lastAddConfirmed: -1 });
    const waits = [c.waitConfirmed(1, -1, { timeout: 25_000 }), c.waitConfirmed(7, -1, { timeout: 25_000 })];
    await c.info(); // both waits have reached the node
    const started = Date.now();
    await node.close();
    const took = Date.now() - started;
    assert.ok(took < 5000, `closed after ${took} ms with long polls pending (closeTimeout 20000)`);
    assert.deepEqual(await Promise.all(waits), [
      { lastEntryId: 0, lastAddConfirmed: -1, fenced: false },
      { lastEntryId: -1, lastAddConfirmed: -1, fenced: false },
    ]);
  });
  it('many long polls at once (more than an AbortSignal takes listeners before Node warns) raise no MaxListenersExceededWarning', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => {
      if (w.name === 'MaxListenersExceededWarning') warnings.push(w);
    };
    process.on('warning', onWarning);
    try {
      const node = await startTestNode(target().connectionString, await tempDir(), { closeTimeout: 20_000, auditor: false, gcInterval: 0 });
      await using c = await connectLogNode(node.address);
      // 25 waits on the node's one closing signal (the limit that warns is 10), answered in groups: by an add, by
      // their timeout, and by the close, so every way a wait ends gives its listener back.
      const byAdd = Array.from({ length: 10 }, () => c.waitConfirmed(3, -1, { timeout: 25_000 }));
      const byTimeout = Array.from({ length: 5 }, () => c.waitConfirmed(4, -1, { timeout: 200 }));
      const byClose = Array.from({ length: 10 }, () => c.waitConfirmed(5, -1, { timeout: 25_000 }));
      await c.info(); // every wait has reached the node
      await c.addEntry({ ...entry(3, 0), lastAddConfirmed: -1 });
      await c.addEntry({ ...entry(3, 1), lastAddConfirmed: 0 });
      assert.equal((await Promise.all(byAdd)).filter((r) => r.lastAddConfirmed === 0).length, 10);
      assert.equal((await Promise.all(byTimeout)).length, 5);
      // Again after some waits ended: the node takes new ones as well.
      const again = Array.from({ length: 12 }, () => c.waitConfirmed(6, -1, { timeout: 25_000 }));
      await c.info();
      await node.close();
      assert.equal((await Promise.all([...byClose, ...again])).length, 22);
      await new Promise((r) => setImmediate(r)); // a warning is emitted on the next tick
      assert.deepEqual(warnings.map((w) => w.message), []);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
