import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { connectLogNode, openLog, type EnsembleChange, type LogPosition } from '../../../src/log/index.js';
import { LogMetadataStore } from '../../../src/log/metadata/metadata-store.js';
import { forEachTarget } from '../../support/targets.js';
import { collect, removeDirs } from '../node/support.js';
import { collectRecords, startCluster, texts } from './support.js';

after(removeDirs);

forEachTarget('log writer: ensemble change', (target) => {
  it('a storage node closed mid-segment is replaced (metadata first); no acknowledged entry is lost', async () => {
    await using cluster = await startCluster(target());
    const client = await cluster.client();
    // 2/2/2: every entry needs both nodes, so nothing is acknowledged until the replacement is stored and has it.
    await using log = await openLog(client, 'failover', { ensembleSize: 2, writeQuorum: 2, ackQuorum: 2, nodeTimeout: 3000 });
    const changes: EnsembleChange[] = [];
    log.on('ensembleChanged', (c) => changes.push(c));
    const store = new LogMetadataStore(client);
    const segmentId = log.segmentId!;
    const before = (await store.readSegment(segmentId)).value.ensembles[0]!.nodes;
    const acked: LogPosition[] = [];
    const append = (i: number) => log.append(Buffer.from(`x${i}`)).then((p) => acked.push(p));
    await Promise.all(Array.from({ length: 30 }, (_, i) => append(i)));
    // Close one node of the ensemble while 30 more appends are in flight.
    const victim = cluster.nodes.find((n) => n.instanceId === before[1])!;
    const inFlight = Array.from({ length: 30 }, (_, i) => append(30 + i));
    await victim.close();
    await Promise.all(inFlight);
    await Promise.all(Array.from({ length: 10 }, (_, i) => append(60 + i)));

    assert.equal(changes.length, 1);
    assert.deepEqual(changes[0]!.replaced, [victim.instanceId]);
    const segment = (await store.readSegment(segmentId)).value;
    assert.equal(segment.ensembles.length, 2);
    assert.equal(segment.ensembles[1]!.firstEntry, changes[0]!.firstEntry);
    assert.ok(!segment.ensembles[1]!.nodes.includes(victim.instanceId));
    assert.ok(changes[0]!.firstEntry >= 30, 'the first 30 were acknowledged before the change');
    assert.deepEqual(
      acked.map((p) => p.entryId).sort((a, b) => a - b),
      Array.from({ length: 70 }, (_, i) => i),
    );
    // Where the metadata says entries are is where they are: with A = W, on both nodes of their ensemble (the victim aside).
    for (const [i, ensemble] of segment.ensembles.entries()) {
      const last: number = i + 1 < segment.ensembles.length ? segment.ensembles[i + 1]!.firstEntry - 1 : 69;
      for (const id of ensemble.nodes.filter((n) => n !== victim.instanceId)) {
        await using c = await connectLogNode(cluster.nodes.find((n) => n.instanceId === id)!.address);
        const held = (await collect(c.readRange(segmentId, { fromEntry: ensemble.firstEntry, toEntry: last }))).map((e) => e.entryId);
        assert.deepEqual(held, Array.from({ length: last - ensemble.firstEntry + 1 }, (_, k) => ensemble.firstEntry + k), `entries on ${id}`);
      }
    }
    const records = await collectRecords(log.read());
    assert.deepEqual(texts(records), Array.from({ length: 70 }, (_, i) => `x${i}`));
  });
});
