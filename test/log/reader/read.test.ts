/**
 * Range reads in bulk: a node's READ_RANGE reply carries many entries,
 * handed on as arrays (`readRange(...).batches()`), and a corrupt copy in
 * the middle of a large reply fails the read over to another replica from
 * that entry on, on real nodes over real sockets.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { connectLogNode, openLog, readLog } from '../../../src/log/index.js';
import { LogMetadataStore } from '../../../src/log/metadata/metadata-store.js';
import { connect, forEachTarget, uniquePath } from '../../support/targets.js';
import { entry, removeDirs, startTestNode, tempDir } from '../node/support.js';

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
});
