import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, it } from 'node:test';
import { connectLogNode, openLog, WriterFencedError, type LogPosition } from '../../../src/log/index.js';
import { LogMetadataStore } from '../../../src/log/metadata/metadata-store.js';
import { openSegment } from '../../../src/log/metadata/records.js';
import { forEachTarget } from '../../support/targets.js';
import { collect, removeDirs } from '../node/support.js';
import { collectRecords, startCluster, texts } from './support.js';

after(removeDirs);

const Q = { ensembleSize: 3, writeQuorum: 3, ackQuorum: 2 };

forEachTarget('log writer: fencing and recovery', (target) => {
  it('a second writer fences the first: its appends reject with WriterFencedError, every entry it acknowledged survives', async () => {
    await using cluster = await startCluster(target());
    const first = await openLog(await cluster.client(), 'shared', { ...Q, identifier: 'first' });
    const fenced = once(first, 'fenced');
    const acked: LogPosition[] = [];
    const refused: unknown[] = [];
    let stop = false;
    // The first writer keeps appending while the second opens the log.
    const writing = (async () => {
      for (let i = 0; !stop; i++) {
        try {
          acked.push(await first.append(Buffer.from(`first ${i}`)));
        } catch (error) {
          refused.push(error);
          return;
        }
      }
    })();
    while (acked.length < 20) await new Promise((r) => setTimeout(r, 5));
    const second = await openLog(await cluster.client(), 'shared', { ...Q, identifier: 'second' });
    const firstSegment = acked[0]!.segmentId;
    assert.notEqual(second.segmentId, firstSegment);
    const [event] = (await fenced) as [WriterFencedError];
    assert.equal(event.code, 'WRITER_FENCED');
    assert.equal(event.segmentId, firstSegment);
    stop = true;
    await writing;
    assert.equal(refused.length, 1, 'the append in flight at the fence was refused');
    assert.ok(refused[0] instanceof WriterFencedError);
    await assert.rejects(first.append(Buffer.from('after')), { name: 'WriterFencedError', code: 'WRITER_FENCED' });

    // Recovery closed the segment at or after the last acknowledged entry: nothing acknowledged is lost.
    const segment = (await new LogMetadataStore(await cluster.client()).readSegment(firstSegment)).value;
    assert.equal(segment.state, 'CLOSED');
    assert.ok(segment.lastEntry >= acked[acked.length - 1]!.entryId, `closed at ${segment.lastEntry}, acknowledged up to ${acked[acked.length - 1]!.entryId}`);
    const records = await collectRecords(second.read({ to: { segmentId: firstSegment, entryId: segment.lastEntry } }));
    assert.equal(records.length, segment.lastEntry + 1);
    assert.deepEqual(texts(records).slice(0, acked.length), acked.map((_, i) => `first ${i}`));
    // The second writer goes on after them.
    const next = await second.append(Buffer.from('second 0'));
    assert.deepEqual(next, { segmentId: second.segmentId, entryId: 0 });
    assert.deepEqual(texts(await collectRecords(second.read({ from: next }))), ['second 0']);
    await first.close(); // the fenced writer leaves the segment alone
    assert.equal((await new LogMetadataStore(await cluster.client()).readSegment(firstSegment)).value.lastEntry, segment.lastEntry);
    await second.close();
  });

  it('recovery keeps an entry found on one node (re-replicated to all), ends where W-A+1 nodes lack the next; reads step over a replica with a hole', async () => {
    // No auditors: their replicas check would fill the hole this test reads around.
    await using cluster = await startCluster(target(), 3, { auditor: false });
    const client = await cluster.client();
    const store = new LogMetadataStore(client);
    // A writer that died: entries 0..9 on all three nodes, entry 10 only on the first.
    const log = await store.createLog('crashed', Q);
    const ids = cluster.nodes.map((n) => n.instanceId);
    const added = await store.addSegment('crashed', log, openSegment('crashed', 'dead', Q, ids, Date.now()));
    const entry = (entryId: number) => ({ segmentId: added.id, entryId, timestamp: 1000 + entryId, lastAddConfirmed: Math.max(-1, entryId - 2), data: Buffer.from(`dead ${entryId}`) });
    const clients = await Promise.all(cluster.nodes.map((n) => connectLogNode(n.address)));
    // Entry 4 reached only two nodes (enough for A = 2): the second node has a hole there.
    for (let e = 0; e < 10; e++) await Promise.all(clients.filter((_, i) => e !== 4 || i !== 1).map((c) => c.addEntry(entry(e))));
    await clients[0]!.addEntry(entry(10));

    await using writer = await openLog(client, 'crashed', { ...Q, identifier: 'next' });
    const segment = (await store.readSegment(added.id)).value;
    assert.equal(segment.state, 'CLOSED');
    assert.equal(segment.lastEntry, 10);
    assert.equal(segment.minTimestamp, 1000);
    assert.equal(segment.maxTimestamp, 1010);
    for (const [i, c] of clients.entries()) {
      const held = Array.from({ length: 11 }, (_, k) => k).filter((k) => k !== 4 || i !== 1);
      assert.deepEqual((await collect(c.readRange(added.id))).map((e) => e.entryId), held, `re-replicated to ${c.instanceId}`);
      await assert.rejects(c.addEntry(entry(11)), { name: 'SegmentFencedError' });
    }
    // Reads start at a random replica and leave the one with the hole for another: every time the same entries.
    for (let round = 0; round < 8; round++) {
      assert.deepEqual(texts(await collectRecords(writer.read())), Array.from({ length: 11 }, (_, i) => `dead ${i}`));
      assert.deepEqual(texts(await collectRecords(writer.read({ from: 1004, to: 1006 }))), ['dead 4', 'dead 5', 'dead 6']);
      assert.deepEqual(texts(await collectRecords(writer.read({ from: { segmentId: added.id, entryId: 3 }, to: 1005 }))), ['dead 3', 'dead 4', 'dead 5']);
    }
    await Promise.all(clients.map((c) => c.close()));
  });
});
