import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { connectLogNode, NoEntryError, openLog, setRetention, startAuditor } from '../../../src/log/index.js';
import { LogMetadataStore } from '../../../src/log/metadata/metadata-store.js';
import { forEachTarget, waitFor } from '../../support/targets.js';
import { removeDirs } from '../node/support.js';
import { startRepairCluster, type RepairCluster } from '../repair/support.js';
import { collectRecords, texts } from '../writer/support.js';

after(removeDirs);

const HOUR = 3_600_000;
const Q = { ensembleSize: 3, writeQuorum: 3, ackQuorum: 2 };

/** True once no node holds any entry of the segment. */
async function goneFromNodes(cluster: RepairCluster, id: number): Promise<boolean> {
  for (const node of cluster.nodes) {
    await using c = await connectLogNode(node.address);
    try {
      await c.readLastEntry(id);
      return false;
    } catch (error) {
      if (!(error instanceof NoEntryError)) throw error;
    }
  }
  return true;
}

async function segmentExists(store: LogMetadataStore, id: number): Promise<boolean> {
  return store.readSegment(id).then(
    () => true,
    () => false,
  );
}

forEachTarget('log retention', (target) => {
  it('by age: the oldest closed segments go (metadata, then node data), never the OPEN one; the writer rolls over after it', async () => {
    await using cluster = await startRepairCluster(target(), 3, { gcInterval: 200 });
    const client = await cluster.client();
    const store = new LogMetadataStore(client);
    await using log = await openLog(client, 'aged', { ...Q, maxSegmentEntries: 5 });
    const old = Date.now() - 2 * HOUR;
    // 12 old entries: two CLOSED segments of 5, and the OPEN one holding 2 old entries.
    for (let i = 0; i < 12; i++) await log.append(Buffer.from(`old ${i}`), { timestamp: old + i });
    const [s1, s2, s3] = (await store.readLog('aged')).value.segments;
    assert.equal((await store.readSegment(s3!)).value.state, 'OPEN');
    await using auditor = await startAuditor(await cluster.client(), { auditInterval: 200, identifier: 'a1' });
    assert.deepEqual(await setRetention(client, 'aged', { maxAge: HOUR }), { maxAge: HOUR });
    await waitFor(async () => (await store.readLog('aged')).value.segments.length === 1, 15_000, 'retention ran');
    assert.deepEqual((await store.readLog('aged')).value.segments, [s3]);
    assert.equal(await segmentExists(store, s1!), false);
    assert.equal(await segmentExists(store, s2!), false);
    assert.equal((await store.readSegment(s3!)).value.state, 'OPEN', 'the open segment stays, old as it is');
    assert.equal(auditor.stats.segmentsDeleted, 2);
    await waitFor(async () => (await goneFromNodes(cluster, s1!)) && (await goneFromNodes(cluster, s2!)), 15_000, 'node data collected');
    assert.equal(
      cluster.nodes.reduce((n, node) => n + node.garbageCollector!.stats.segmentsCollected, 0),
      6,
      'each of the three nodes deleted its copies of the two segments',
    );
    // The writer's log record changed under it (retention): rolling over still works, it is not fenced.
    for (let i = 0; i < 6; i++) await log.append(Buffer.from(`new ${i}`));
    const segments = (await store.readLog('aged')).value.segments;
    assert.equal(segments.length, 2);
    assert.deepEqual(texts(await collectRecords(log.read())), [...['old 10', 'old 11', 'new 0', 'new 1', 'new 2'], 'new 3', 'new 4', 'new 5']);
  });

  it('by size: the oldest closed segments go until the rest fit, never the last one', async () => {
    await using cluster = await startRepairCluster(target(), 3, { gcInterval: 200 });
    const client = await cluster.client();
    const store = new LogMetadataStore(client);
    const entry = (i: number): Buffer => Buffer.from(String(i).padStart(100, '.'));
    {
      // Created with its policy through openLog; 20 entries of 100 bytes in segments of 5: four CLOSED after close.
      await using log = await openLog(client, 'sized', { ...Q, maxSegmentEntries: 5, retention: { maxBytes: 1100 } });
      for (let i = 0; i < 20; i++) await log.append(entry(i));
    }
    assert.deepEqual((await store.readLog('sized')).value.retention, { maxBytes: 1100 });
    const before = (await store.readLog('sized')).value.segments;
    assert.equal(before.length, 4);
    await using auditor = await startAuditor(await cluster.client(), { auditInterval: 200, identifier: 'a1' });
    // 2000 bytes closed: two segments must go for 1000 <= 1100.
    await waitFor(async () => (await store.readLog('sized')).value.segments.length === 2, 15_000, 'retention ran');
    assert.deepEqual((await store.readLog('sized')).value.segments, before.slice(2));
    await auditor.audit();
    assert.deepEqual((await store.readLog('sized')).value.segments, before.slice(2), 'what is left fits: nothing more goes');
    await waitFor(async () => (await goneFromNodes(cluster, before[0]!)) && (await goneFromNodes(cluster, before[1]!)), 15_000, 'node data collected');
    // A policy that would take everything keeps the last segment.
    await setRetention(client, 'sized', { maxBytes: 1 });
    await waitFor(async () => (await store.readLog('sized')).value.segments.length === 1, 15_000, 'retention ran again');
    assert.deepEqual((await store.readLog('sized')).value.segments, before.slice(3));
    await auditor.audit();
    assert.deepEqual((await store.readLog('sized')).value.segments, before.slice(3));
    assert.equal(auditor.stats.segmentsDeleted, 3);
  });

  it('a log without a policy keeps everything; setRetention(null) removes one; bad policies are refused', async () => {
    await using cluster = await startRepairCluster(target(), 3);
    const client = await cluster.client();
    const store = new LogMetadataStore(client);
    {
      await using log = await openLog(client, 'kept', { ...Q, maxSegmentEntries: 2 });
      for (let i = 0; i < 6; i++) await log.append(Buffer.from(`e${i}`), { timestamp: 1000 + i });
    }
    await using auditor = await startAuditor(await cluster.client(), { auditInterval: 200, identifier: 'a1' });
    await waitFor(() => auditor.stats.leader, 10_000, 'leader');
    await auditor.audit();
    assert.equal((await store.readLog('kept')).value.segments.length, 3);
    await setRetention(client, 'kept', { maxAge: HOUR, maxBytes: 10 });
    assert.equal(await setRetention(client, 'kept', null), null);
    assert.equal((await store.readLog('kept')).value.retention, undefined);
    await auditor.audit();
    assert.equal((await store.readLog('kept')).value.segments.length, 3);
    await assert.rejects(setRetention(client, 'kept', { maxAge: 0 }), { name: 'BadArgumentsError' });
    await assert.rejects(setRetention(client, 'kept', { maxBytes: 1.5 }), { name: 'BadArgumentsError' });
    await assert.rejects(setRetention(client, 'missing', { maxAge: 1 }), { name: 'NoSuchLogError' });
    await assert.rejects(openLog(client, 'kept', { retention: { maxAge: -1 } }), { name: 'BadArgumentsError' });
  });
});
