/**
 * The checker itself must be able to fail: on a log written by a real
 * writer it finds nothing, and on a log damaged on purpose (an
 * acknowledged entry lost on two of its three replicas, another on all
 * three, an entry nobody wrote, an entry twice, ack records the log does
 * not match) it reports each damage. The damaged segment is written node
 * by node with the node client and closed in the metadata, as a writer
 * that lost those copies would leave it.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { connectLogNode, openLog } from '../../../src/log/index.js';
import { LogMetadataStore } from '../../../src/log/metadata/metadata-store.js';
import { openSegment } from '../../../src/log/metadata/records.js';
import { forEachTarget } from '../../support/targets.js';
import { removeDirs } from '../node/support.js';
import { startCluster } from '../writer/support.js';
import { checkLog, replicaCounts } from './checker.js';
import { payload, type AckedEntry } from './payload.js';

after(removeDirs);

const Q = { ensembleSize: 3, writeQuorum: 3, ackQuorum: 2 };

forEachTarget('log chaos: the checker', (target) => {
  it('finds nothing wrong with a log as its writer acknowledged it', async () => {
    await using cluster = await startCluster(target());
    const client = await cluster.client();
    const acks: AckedEntry[] = [];
    await using log = await openLog(client, 'clean', { ...Q, identifier: 'w', maxSegmentEntries: 25 });
    for (let seq = 0; seq < 60; seq += 6) {
      const items = Array.from({ length: 6 }, (_, k) => ({ seq: seq + k, data: payload('w', seq + k), timestamp: 5000 + seq + k }));
      const positions = await log.appendBatch(items.map((i) => ({ data: Buffer.from(i.data), timestamp: i.timestamp })));
      items.forEach((i, k) => acks.push({ writer: 'w', ...i, ...positions[k]! }));
    }
    await log.close();
    const report = await checkLog(client, 'clean', { acks, writers: ['w'] });
    assert.deepEqual(report.problems, []);
    assert.equal(report.entries.length, 60);
    assert.equal(report.snapshot.segments.length, 2, 'rolled over after 30 entries');
    assert.ok(replicaCounts(report.snapshot).every((r) => r.valid >= 2));
    // The same log against a record that names a writer that never ran, or a lost entry: reported.
    const foreign = await checkLog(client, 'clean', { acks, writers: ['someone-else'] });
    assert.equal(foreign.problems.length, 60);
    const lost = { ...acks[59]!, entryId: acks[59]!.entryId + 1 };
    assert.match((await checkLog(client, 'clean', { acks: [...acks, lost], writers: ['w'] })).problems.join('\n'), /past its segment's lastEntry/);
  });

  it('reports acknowledged entries lost on enough replicas, entries nobody wrote, duplicates and ack records the log does not match', async () => {
    await using cluster = await startCluster(target());
    const client = await cluster.client();
    const store = new LogMetadataStore(client);
    const created = await store.createLog('damaged', Q);
    const nodes = cluster.nodes.map((n) => n.instanceId);
    const added = await store.addSegment('damaged', created, openSegment('damaged', 'w', Q, nodes, Date.now()));
    const id = added.id;
    const dataOf = (e: number): string => (e === 4 ? 'intruder 4 never written' : e === 6 ? payload('w', 1) : payload('w', e));
    // Which nodes (by index) keep each of entries 0..7: 2 survived on one node only, 3 on none.
    const holders = (e: number): number[] => (e === 2 ? [0] : e === 3 ? [] : [0, 1, 2]);
    const clients = await Promise.all(cluster.nodes.map((n) => connectLogNode(n.address)));
    for (let e = 0; e < 8; e++) {
      const entry = { segmentId: id, entryId: e, timestamp: 1000 + e, lastAddConfirmed: e - 1, data: Buffer.from(dataOf(e)) };
      await Promise.all(holders(e).map((i) => clients[i]!.addEntry(entry)));
    }
    await Promise.all(clients.map((c) => c.close()));
    await store.updateSegment(id, added.segment, { ...added.segment.value, state: 'CLOSED', lastEntry: 7, minTimestamp: 1000, maxTimestamp: 1007 });

    const ack = (seq: number, entryId: number, timestamp = 1000 + entryId): AckedEntry => ({ writer: 'w', seq, segmentId: id, entryId, timestamp, data: payload('w', seq) });
    const acks = [ack(0, 0), ack(1, 1, 999), ack(2, 2), ack(3, 3), ack(5, 5), ack(7, 7), ack(8, 8), ack(9, 5)];
    const report = await checkLog(client, 'damaged', { acks, writers: ['w'] });
    const text = report.problems.join('\n');
    const expected = [
      new RegExp(`entry ${id}:2: 1 valid copies on its write set .*fewer than 2`), // lost on two of three replicas
      new RegExp(`segment ${id} entry 3: no node holds a good copy`), // lost on all three
      new RegExp(`entry ${id}:3: 0 valid copies on its write set .*fewer than 2`),
      new RegExp(`acknowledged w 3 at ${id}:3: missing from the log`),
      new RegExp(`entry ${id}:4: "intruder 4 never written" is no entry any writer tried to write`),
      new RegExp(`entry ${id}:6: w 1 is in the log twice \\(also at ${id}:1\\)`),
      new RegExp(`entry ${id}:6: w 1 comes after w's seq 5, out of its order`),
      new RegExp(`acknowledged w 1 at ${id}:1: timestamp 1001 in the log, 999 acknowledged`),
      new RegExp(`acknowledged w 8 at ${id}:8: past its segment's lastEntry 7`),
      new RegExp(`acknowledged w 9 at ${id}:5: the log holds "w 5 `),
    ];
    for (const re of expected) assert.match(text, re);
    assert.equal(report.problems.length, expected.length, text);
    const counts = new Map(replicaCounts(report.snapshot).map((r) => [r.entryId, r.valid]));
    assert.deepEqual([...counts.values()], [3, 3, 1, 0, 3, 3, 3, 3]);
  });
}, { concurrency: false });
