import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { connectLogNode } from '../../../src/log/index.js';
import { SEGMENTS_PATH } from '../../../src/log/metadata/layout.js';
import { LogMetadataStore } from '../../../src/log/metadata/metadata-store.js';
import { openSegment } from '../../../src/log/metadata/records.js';
import { forEachTarget } from '../../support/targets.js';
import { entry, removeDirs } from '../node/support.js';
import { startRepairCluster } from '../repair/support.js';

after(removeDirs);

forEachTarget('log retention: a node\'s garbage collector', (target) => {
  it('deletes only local segments with no record, at the second pass that finds none, and nothing when the store has no segments path', async () => {
    await using cluster = await startRepairCluster(target(), 1, { gcInterval: 3_600_000 });
    const node = cluster.nodes[0]!;
    const gc = node.garbageCollector!;
    const client = await cluster.client();
    await using c = await connectLogNode(node.address);
    // Segments 900001 and 900002 have no record.
    await c.addEntry(entry(900_001, 0));
    await c.addEntry(entry(900_002, 0));
    // No /herd/log/segments at all (no log was ever created here, or a wrong chroot): nothing is collected.
    assert.equal(await client.exists(SEGMENTS_PATH), null);
    assert.deepEqual(await gc.collect(), []);
    assert.deepEqual(await gc.collect(), []);
    assert.equal((await c.info()).segments, 2);

    const store = new LogMetadataStore(client);
    const Q = { ensembleSize: 1, writeQuorum: 1, ackQuorum: 1 };
    const added = await store.addSegment('gc', await store.createLog('gc', Q), openSegment('gc', 'w', Q, [node.instanceId], Date.now()));
    await c.addEntry(entry(added.id, 0));
    // First pass: suspects only. Second: the two orphans go, the segment with a record stays.
    assert.deepEqual(await gc.collect(), []);
    assert.deepEqual((await gc.collect()).sort(), [900_001, 900_002]);
    assert.equal((await c.info()).segments, 1);
    assert.equal((await c.readEntry(added.id, 0)).data.toString(), entry(added.id, 0).data.toString());
    assert.equal(gc.stats.segmentsCollected, 2);
    // An orphan seen once, whose record then appears, is not collected.
    await c.addEntry(entry(900_003, 0));
    assert.deepEqual(await gc.collect(), []);
    await client.create(`${SEGMENTS_PATH}/0000900003`, Buffer.from('{}'));
    assert.deepEqual(await gc.collect(), []);
    assert.deepEqual(await gc.collect(), []);
    assert.equal((await c.info()).segments, 2);
  });
});
