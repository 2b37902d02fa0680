import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { comparePositions, connectLogNode, openLog, type LogPosition } from '../../../src/log/index.js';
import { LogMetadataStore } from '../../../src/log/metadata/metadata-store.js';
import { forEachTarget, waitFor } from '../../support/targets.js';
import { collect, removeDirs } from '../node/support.js';
import { collectRecords, startCluster, texts } from './support.js';

after(removeDirs);

forEachTarget('log writer', (target) => {
  it('1/1/1: appends, acknowledges in order, reads back by position; the segment is CLOSED on close', async () => {
    await using cluster = await startCluster(target(), 1);
    const client = await cluster.client();
    const log = await openLog(client, 'dev', { ensembleSize: 1, writeQuorum: 1, ackQuorum: 1, identifier: 'w1' });
    const positions = await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(Buffer.from(`e${i}`), { timestamp: 1000 + i })));
    assert.deepEqual(
      positions.map((p) => p.entryId),
      Array.from({ length: 50 }, (_, i) => i),
    );
    assert.ok(positions.every((p) => p.segmentId === positions[0]!.segmentId));
    const batch = await log.appendBatch([Buffer.from('b0'), { data: Buffer.from('b1'), timestamp: new Date(5000) }]);
    assert.deepEqual(batch.map((p) => p.entryId), [50, 51]);
    const all = await collectRecords(log.read());
    assert.equal(all.length, 52);
    assert.deepEqual(texts(all).slice(0, 3), ['e0', 'e1', 'e2']);
    assert.deepEqual(all[10]!.position, positions[10]);
    assert.equal(all[10]!.timestamp, 1010);
    // b0 had no timestamp: now; b1's 5000 is earlier, so it is raised to b0's.
    assert.ok(all[51]!.timestamp >= all[50]!.timestamp && all[50]!.timestamp > 5000);
    const some = await collectRecords(log.read({ from: positions[5]!, to: positions[7]! }));
    assert.deepEqual(texts(some), ['e5', 'e6', 'e7']);
    const segmentId = log.segmentId!;
    await log.close();
    await log.close();
    await assert.rejects(log.append(Buffer.from('late')), { name: 'InvalidStateError' });
    const segment = await new LogMetadataStore(client).readSegment(segmentId);
    assert.equal(segment.value.state, 'CLOSED');
    assert.equal(segment.value.lastEntry, 51);
    assert.equal(segment.value.minTimestamp, 1000);
    assert.equal(segment.value.maxTimestamp, all[51]!.timestamp);
    await assert.rejects(log.append(Buffer.alloc(1)), { code: 'INVALID_STATE' });
    await assert.rejects(openLog(client, 'bad/name'), { name: 'BadArgumentsError' });
    await assert.rejects(openLog(client, 'x', { ensembleSize: 1, writeQuorum: 2, ackQuorum: 1 }), { name: 'BadArgumentsError' });
    await assert.rejects(openLog(client, 'y', { ensembleSize: 3, writeQuorum: 3, ackQuorum: 2 }), { name: 'NotEnoughNodesError' });
  });

  it('3/3/2: every entry on every node; time-range reads across rolled segments', async () => {
    await using cluster = await startCluster(target());
    const client = await cluster.client();
    await using log = await openLog(client, 'events', { ensembleSize: 3, writeQuorum: 3, ackQuorum: 2, maxSegmentEntries: 40 });
    const rolled: number[] = [];
    log.on('segmentRolled', ({ closed }) => rolled.push(closed));
    const base = Date.parse('2026-12-07T10:00:00Z');
    const positions: LogPosition[] = [];
    // 100 entries, one second apart: segments of 40, 40 and 20.
    for (let i = 0; i < 100; i += 10) {
      const batch = Array.from({ length: 10 }, (_, k) => ({ data: Buffer.from(`m${i + k}`), timestamp: base + (i + k) * 1000 }));
      positions.push(...(await log.appendBatch(batch)));
    }
    assert.equal(rolled.length, 2);
    assert.equal(new Set(positions.map((p) => p.segmentId)).size, 3);
    assert.ok(positions.every((p, i) => i === 0 || comparePositions(positions[i - 1]!, p) < 0), 'positions grow');
    const everything = await collectRecords(log.read());
    assert.deepEqual(texts(everything), Array.from({ length: 100 }, (_, i) => `m${i}`));
    // 10:00:35 to 10:00:45 spans the first two segments; 10:01:25.. into the open one.
    const range = await collectRecords(log.read({ from: new Date(base + 35_000), to: new Date(base + 45_000) }));
    assert.deepEqual(texts(range), Array.from({ length: 11 }, (_, i) => `m${35 + i}`));
    const tail = await collectRecords(log.read({ from: base + 85_000 }));
    assert.deepEqual(texts(tail), Array.from({ length: 15 }, (_, i) => `m${85 + i}`));
    assert.deepEqual(await collectRecords(log.read({ from: base + 200_000 })), []);
    const mixed = await collectRecords(log.read({ from: positions[38]!, to: base + 41_000 }));
    assert.deepEqual(texts(mixed), ['m38', 'm39', 'm40', 'm41']);
    // W = 3: each node holds every entry of the first segment (the third copy may land after the ack).
    for (const node of cluster.nodes) {
      await using c = await connectLogNode(node.address);
      await waitFor(async () => (await collect(c.readRange(positions[0]!.segmentId))).length === 40, 5000, `40 entries on ${node.instanceId}`);
    }
  });

  it('3/2/2 (striped): each entry on its write set only; read back by position and time', async () => {
    await using cluster = await startCluster(target());
    await using log = await openLog(await cluster.client(), 'striped', { ensembleSize: 3, writeQuorum: 2, ackQuorum: 2 });
    const positions = await log.appendBatch(Array.from({ length: 30 }, (_, i) => ({ data: Buffer.from(`s${i}`), timestamp: 2000 + i })));
    for (const node of cluster.nodes) {
      await using c = await connectLogNode(node.address);
      const held = (await collect(c.readRange(positions[0]!.segmentId))).length;
      assert.ok(held > 0 && held < 30, `${node.instanceId} holds ${held} of 30 entries`);
    }
    assert.deepEqual(texts(await collectRecords(log.read())), Array.from({ length: 30 }, (_, i) => `s${i}`));
    assert.deepEqual(texts(await collectRecords(log.read({ from: 2010, to: 2012 }))), ['s10', 's11', 's12']);
    assert.deepEqual(texts(await collectRecords(log.read({ from: positions[28]! }))), ['s28', 's29']);
  });

  it('rolls over by bytes, never splits a batch, refuses bad entries before sending anything', async () => {
    await using cluster = await startCluster(target(), 1);
    await using log = await openLog(await cluster.client(), 'small', { ensembleSize: 1, writeQuorum: 1, ackQuorum: 1, maxSegmentBytes: 10, maxEntrySize: 64 });
    const a = await log.append(Buffer.from('123456'));
    const b = await log.append(Buffer.from('123456')); // 12 bytes now: the next append opens a new segment
    const batch = await log.appendBatch(Array.from({ length: 5 }, () => Buffer.from('123456')));
    assert.equal(a.segmentId, b.segmentId);
    assert.ok(batch[0]!.segmentId > b.segmentId);
    assert.ok(batch.every((p, i) => p.segmentId === batch[0]!.segmentId && p.entryId === i), 'one segment, contiguous');
    await assert.rejects(log.append(Buffer.alloc(65)), { name: 'BadArgumentsError', message: /maxEntrySize/ });
    await assert.rejects(log.appendBatch(['text' as unknown as Buffer]), { name: 'BadArgumentsError' });
    await assert.rejects(log.append(Buffer.from('x'), { timestamp: -1 }), { name: 'BadArgumentsError' });
    assert.throws(() => log.read({ from: 'yesterday' as unknown as number }), { name: 'BadArgumentsError' });
    assert.deepEqual(await collectRecords(log.read()).then((r) => r.length), 7);
  });
});
