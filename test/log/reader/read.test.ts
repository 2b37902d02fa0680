/**
 * Range reads in bulk: a node's READ_RANGE reply carries many entries,
 * handed on as arrays (`readRange(...).batches()`), and a corrupt copy in
 * the middle of a large reply fails the read over to another replica from
 * that entry on, on real nodes over real sockets. Reads by time find the
 * same entries whichever replica they start on, when replicas lack
 * entries at either edge of the time range.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { connectLogNode, openLog, readLog } from '../../../src/log/index.js';
import { LogMetadataStore } from '../../../src/log/metadata/metadata-store.js';
import { openSegment } from '../../../src/log/metadata/records.js';
import { connect, forEachTarget, uniquePath } from '../../support/targets.js';
import { entry, removeDirs, startTestNode, tempDir } from '../node/support.js';
import { collectRecords, startCluster, texts } from '../writer/support.js';

after(removeDirs);

const COUNT = 3000;
/** Entry i's bytes: 100 of them, its number findable in the segment file. */
const text = (i: number): string => `entry-${String(i).padStart(6, '0')}-`.padEnd(100, 'x');

forEachTarget('log range reads in bulk', (target) => {
  it('readRange(...).batches() yields the entries of each reply as one array, in order, many to a reply', async () => {
    const node = await startTestNode(target().connectionString, await tempDir());
    try {
      await using c = await connectLogNode(node.address);
      for (let e = 0; e < COUNT; e += 500) {
        const entries = Array.from({ length: 500 }, (_, i) => ({ timestamp: 1_700_000_000_000 + e + i, data: Buffer.from(text(e + i)) }));
        await c.addEntries({ segmentId: 3, firstEntryId: e, lastAddConfirmed: e - 1, entries });
      }
      const batches = [];
      for await (const b of c.readRange(3, { fromEntry: 10 }).batches()) batches.push(b);
      const all = batches.flat();
      assert.deepEqual(
        all.map((e) => e.entryId),
        Array.from({ length: COUNT - 10 }, (_, i) => 10 + i),
      );
      assert.ok(all.every((e) => e.data.toString() === text(e.entryId) && e.segmentId === 3));
      assert.ok(batches.every((b) => b.length > 0));
      assert.ok(batches.length < all.length / 100, `${batches.length} batches for ${all.length} entries: replies should carry many entries`);
      // The one-at-a-time form reads the same.
      const single = [];
      for await (const e of c.readRange(3, { fromEntry: 10, toEntry: 20 })) single.push(e.entryId);
      assert.deepEqual(single, Array.from({ length: 11 }, (_, i) => 10 + i));
      const one = await c.readEntry(3, 0);
      assert.deepEqual(one, { ...entry(3, 0, text(0)), timestamp: 1_700_000_000_000, lastAddConfirmed: -1 });
    } finally {
      await node.close();
    }
  });

  it('a corrupt copy inside a large reply fails over to another replica from that entry; copies corrupt at different entries on each node still read whole', async () => {
    const root = uniquePath('log-read');
    const plain = await connect(target());
    await plain.mkdirp(root);
    const coordination = `${target().connectionString}${root}`;
    const dirs = [await tempDir('log-read'), await tempDir('log-read')];
    const nodes = await Promise.all(dirs.map((d) => startTestNode(coordination, d)));
    try {
      const client = await connect(target(), {}, coordination);
      const log = await openLog(client, 'bulk', { ensembleSize: 2, writeQuorum: 2, ackQuorum: 2 });
      const segmentId = log.segmentId!;
      for (let e = 0; e < COUNT; e += 500) await log.appendBatch(Array.from({ length: 500 }, (_, i) => ({ data: Buffer.from(text(e + i)) })));
      await log.close();
      const ensemble = (await new LogMetadataStore(client).readSegment(segmentId)).value.ensembles[0]!.nodes;
      assert.equal(ensemble.length, 2);
      // Entry 1500 is bad on one node, entry 2500 on the other: whichever is asked first, the read must switch.
      for (const [n, bad] of [
        [0, 1500],
        [1, 2500],
      ] as const) {
        const file = join(dirs[n]!, 'segments', `${segmentId}.seg`);
        const bytes = await readFile(file);
        const at = bytes.indexOf(text(bad));
        assert.ok(at > 0, `entry ${bad} in ${file}`);
        bytes[at + 50]! ^= 0x01;
        await writeFile(file, bytes);
      }
      for (let round = 0; round < 3; round++) {
        const got: string[] = [];
        for await (const r of readLog(client, 'bulk')) got.push(r.data.toString());
        assert.equal(got.length, COUNT, `round ${round}`);
        assert.ok(
          got.every((t, i) => t === text(i)),
          `round ${round}: every entry, in order, none of them damaged`,
        );
      }
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
      await plain.close();
    }
  });

  it('reads by time step over replicas that lack the entry before the range, an entry in it, or the entry after it', async () => {
    // No auditors: their replicas check would fill the holes this test reads around.
    await using cluster = await startCluster(target(), 2, { auditor: false });
    const client = await cluster.client();
    const store = new LogMetadataStore(client);
    const Q = { ensembleSize: 2, writeQuorum: 2, ackQuorum: 1 };
    const ids = cluster.nodes.map((n) => n.instanceId);
    const added = await store.addSegment('holes', await store.createLog('holes', Q), openSegment('holes', 'gone', Q, ids, Date.now()));
    // Entry e at 1000 + 2e: the odd times fall between entries. Node 0 lacks entries 4 and 15, node 1 entry 9.
    const lacks = [[4, 15], [9]];
    const clients = await Promise.all(cluster.nodes.map((n) => connectLogNode(n.address)));
    for (let e = 0; e < 20; e++) {
      const add = { segmentId: added.id, entryId: e, timestamp: 1000 + 2 * e, lastAddConfirmed: e - 1, data: Buffer.from(`e${e}`) };
      await Promise.all(clients.filter((_, i) => !lacks[i]!.includes(e)).map((c) => c.addEntry(add)));
    }
    await Promise.all(clients.map((c) => c.close()));
    const open = await store.readSegment(added.id);
    await store.updateSegment(added.id, open, { ...open.value, state: 'CLOSED', lastEntry: 19, minTimestamp: 1000, maxTimestamp: 1038 });
    const range = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `e${from + i}`);
    const windows: [number | undefined, number | undefined, string[]][] = [
      [1010, 1028, range(5, 14)], // node 0 lacks the entry before the range, node 1 one inside it
      [1009, 1029, range(5, 14)], // bounds between entries; node 0 lacks the entry after the range too
      [1008, 1020, range(4, 10)], // node 0 lacks the first entry in range
      [undefined, 1030, range(0, 15)], // node 0 lacks the last entry in range
      [1031, undefined, range(16, 19)], // node 0 lacks the entry before
      [undefined, 1029, range(0, 14)], // node 0 lacks the entry after
      [1009, 1009, []], // between entries 4 and 5: node 0 lacks 4, so cannot show that nothing is in range
      [1039, undefined, []],
      [undefined, undefined, range(0, 19)],
    ];
    // Reads start at a random replica: several rounds try both orders.
    for (let round = 0; round < 6; round++) {
      for (const [from, to, expected] of windows) {
        const bounds = { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
        assert.deepEqual(texts(await collectRecords(readLog(client, 'holes', bounds))), expected, `round ${round}: ${JSON.stringify(bounds)}`);
      }
    }
  });
});
