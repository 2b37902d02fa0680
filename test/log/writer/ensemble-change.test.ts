import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, it } from 'node:test';
import { connectLogNode, openLog, type EnsembleChange, type LogPosition } from '../../../src/log/index.js';
import { LogMetadataStore } from '../../../src/log/metadata/metadata-store.js';
import { startProxy } from '../../support/tcp-proxy.js';
import { connect, forEachTarget, sleep } from '../../support/targets.js';
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

  it('nothing is acknowledged while a failed node cannot be replaced in the metadata; a new writer recovers around the dead node', async () => {
    await using cluster = await startCluster(target());
    // The first writer reaches the coordination service through a proxy of its own, which the test cuts.
    await using proxy = await ownProxy(target().host, target().port);
    const viaProxy = await connect(target(), {}, `${proxy.connectionString}${cluster.root}`);
    const Q = { ensembleSize: 2, writeQuorum: 2, ackQuorum: 2 };
    const first = await openLog(viaProxy, 'stall', { ...Q, identifier: 'first' });
    const fenced = once(first, 'fenced');
    const acked = await Promise.all(Array.from({ length: 10 }, (_, i) => first.append(Buffer.from(`a${i}`))));
    const segmentId = first.segmentId!;
    const store = new LogMetadataStore(await cluster.client());
    const ensemble = (await store.readSegment(segmentId)).value.ensembles[0]!.nodes;
    const victim = cluster.nodes.find((n) => n.instanceId === ensemble[1])!;

    proxy.blackhole(true);
    let late = 0;
    const stalled = Array.from({ length: 5 }, (_, i) =>
      first.append(Buffer.from(`b${i}`)).then(
        () => late++,
        (error: unknown) => error,
      ),
    );
    await victim.close();
    await sleep(800);
    assert.equal(late, 0, 'acknowledged with a dead node in the stored ensemble');

    // A second writer takes the log over: recovery fences the live node, replaces the dead one, closes the segment.
    await using second = await openLog(await cluster.client(), 'stall', { ...Q, identifier: 'second' });
    const segment = (await store.readSegment(segmentId)).value;
    assert.equal(segment.state, 'CLOSED');
    assert.ok(segment.lastEntry >= 9, `closed at ${segment.lastEntry}`);
    assert.ok(!segment.ensembles[segment.ensembles.length - 1]!.nodes.includes(victim.instanceId), 'the dead node is replaced for the re-replicated entries');
    proxy.blackhole(false);

    const outcomes = await Promise.all(stalled);
    assert.equal(late, 0);
    for (const outcome of outcomes) assert.equal((outcome as Error).name, 'WriterFencedError');
    await fenced;
    const records = await collectRecords(second.read({ to: { segmentId, entryId: segment.lastEntry } }));
    assert.deepEqual(texts(records).slice(0, 10), acked.map((_, i) => `a${i}`));
    assert.deepEqual(await second.append(Buffer.from('c0')), { segmentId: second.segmentId, entryId: 0 });
    await first.close();
  });
});

async function ownProxy(host: string, port: number) {
  const proxy = await startProxy(host, port);
  return Object.assign(proxy, { [Symbol.asyncDispose]: () => proxy.close() });
}
