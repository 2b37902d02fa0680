/**
 * The auditor's replicas check (src/log/repair/replicas-check.ts): a live
 * member that lacks entries its write sets give it (missed while away, no
 * copy at all, a copy corrupted on disk) gets them copied from another
 * replica, the record unchanged; a source dying mid-copy is replaced by
 * the other replicas; an entry no live replica holds fails the check
 * (retried once a holder is back); a segment that turns CLOSED is checked
 * at once, not at the next `auditInterval`.
 */
import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { connectLogNode, startAuditor, type Auditor, type LogNodeHandle, type RefillResult } from '../../../src/log/index.js';
import { LogMetadataStore } from '../../../src/log/metadata/metadata-store.js';
import { openSegment, type SegmentMetadata } from '../../../src/log/metadata/records.js';
import { forEachTarget, waitFor } from '../../support/targets.js';
import { removeDirs, startNodeProcess, tempDir } from '../node/support.js';
import { entriesOn, segmentOf, startRepairCluster, type RepairCluster } from './support.js';

after(removeDirs);

const Q = { ensembleSize: 3, writeQuorum: 3, ackQuorum: 2 };
/** No member is ever lost in these tests (grace), and no pass comes from the interval. */
const SLOW = { gracePeriod: 600_000, auditInterval: 600_000 };
const T0 = 1_765_000_000_000;

const text = (name: string, e: number, size = 0): string => `${name}-${e}`.padEnd(size, '.');

/**
 * Segment of a new log `name` on `nodes`, written by hand: entry e (0..count-1) goes
 * to the nodes `holders(e)` says; then the record is CLOSED (unless `close` is false).
 */
async function handMade(cluster: RepairCluster, name: string, nodes: readonly LogNodeHandle[], count: number, holders: (e: number) => readonly LogNodeHandle[], options: { close?: boolean; size?: number } = {}): Promise<{ id: number; close: () => Promise<void> }> {
  const store = new LogMetadataStore(await cluster.shared());
  const log = await store.createLog(name, Q);
  const { id, segment } = await store.addSegment(name, log, openSegment(name, 'hand', Q, nodes.map((n) => n.instanceId), T0));
  for (const node of nodes) {
    await using c = await connectLogNode(node.address);
    const mine = Array.from({ length: count }, (_, e) => e).filter((e) => holders(e).includes(node));
    await Promise.all(mine.map((e) => c.addEntry({ segmentId: id, entryId: e, timestamp: T0 + e, lastAddConfirmed: e - 1, data: Buffer.from(text(name, e, options.size)) })));
  }
  const close = async (): Promise<void> => {
    const closed: SegmentMetadata = { ...segment.value, state: 'CLOSED', lastEntry: count - 1, minTimestamp: T0, maxTimestamp: T0 + count - 1 };
    await store.updateSegment(id, segment, closed);
  };
  if (options.close !== false) await close();
  return { id, close };
}

async function assertHolds(node: LogNodeHandle, id: number, name: string, count: number, size = 0): Promise<void> {
  const held = await entriesOn(node.address, id);
  assert.deepEqual(held.map((e) => e.data.toString()), Array.from({ length: count }, (_, e) => text(name, e, size)), `segment ${id} on ${node.instanceId}`);
}

function nextRefill(auditor: Auditor): Promise<RefillResult> {
  return new Promise((resolve) => auditor.once('refilled', resolve));
}

forEachTarget('log repair: the replicas check', (target) => {
  it('a live member that missed entries, and one with no copy at all, get them from the other replicas; the record does not change', async () => {
    await using cluster = await startRepairCluster(target(), 3);
    const [a, b, c] = cluster.nodes as [LogNodeHandle, LogNodeHandle, LogNodeHandle];
    const gap = await handMade(cluster, 'gap', [a, b, c], 30, (e) => (e >= 10 && e < 20 ? [a, b] : [a, b, c]));
    const none = await handMade(cluster, 'none', [a, b, c], 12, () => [a, c]);
    const before = await Promise.all([segmentOf(await cluster.shared(), gap.id), segmentOf(await cluster.shared(), none.id)]);
    const refills: RefillResult[] = [];
    await using auditor = await startAuditor(await cluster.client(), { ...SLOW, identifier: 'a1' });
    auditor.on('refilled', (r) => refills.push(r));
    await waitFor(() => refills.length === 2, 30_000, 'both refills');
    assert.deepEqual(
      refills.map((r) => ({ segmentId: r.segmentId, node: r.node, entries: r.entries })).sort((x, y) => x.segmentId - y.segmentId),
      [
        { segmentId: gap.id, node: c.instanceId, entries: 10 },
        { segmentId: none.id, node: b.instanceId, entries: 12 },
      ],
    );
    for (const n of [a, b, c]) await assertHolds(n, gap.id, 'gap', 30);
    for (const n of [a, b, c]) await assertHolds(n, none.id, 'none', 12);
    assert.deepEqual(await Promise.all([segmentOf(await cluster.shared(), gap.id), segmentOf(await cluster.shared(), none.id)]), before, 'membership unchanged: no metadata write');
    assert.equal(auditor.stats.membersRefilled, 2);
    assert.equal(auditor.stats.entriesCopied, 22);
    await auditor.audit();
    assert.equal(auditor.stats.membersRefilled, 2, 'a second pass finds nothing to do');
    assert.equal(auditor.stats.underReplicatedSegments, 0);
  });

  it('the source dies mid-copy: the rest comes from the other replica', async () => {
    await using cluster = await startRepairCluster(target(), 3);
    const [a, b, c] = cluster.nodes as [LogNodeHandle, LogNodeHandle, LogNodeHandle];
    // 2000 entries of 2 KiB, none on c. The bulk source is the first other member of entry 0's write set: a.
    const count = 2000;
    const size = 2048;
    const { id } = await handMade(cluster, 'dies', [a, b, c], count, () => [a, b], { size });
    await using auditor = await startAuditor(await cluster.client(), { ...SLOW, nodeTimeout: 5000, identifier: 'a1' });
    const refilled = nextRefill(auditor);
    await waitFor(() => auditor.stats.entriesCopied > 0, 30_000, 'copying started');
    await a.close();
    assert.ok(auditor.stats.entriesCopied < count, `the source died mid-copy (${auditor.stats.entriesCopied} of ${count} copied)`);
    const r = await refilled;
    assert.deepEqual({ node: r.node, entries: r.entries }, { node: c.instanceId, entries: count });
    await assertHolds(c, id, 'dies', count, size);
  });

  it('an entry no live replica holds fails the check (NotEnoughNodesError, counted); it is copied once its holder is back', async () => {
    await using cluster = await startRepairCluster(target(), 3);
    const [a, b, c] = cluster.nodes as [LogNodeHandle, LogNodeHandle, LogNodeHandle];
    const { id } = await handMade(cluster, 'only-a', [a, b, c], 10, (e) => (e === 4 ? [a] : [a, b, c]));
    const dir = cluster.dirs.get(a.instanceId)!;
    const port = a.port;
    await a.close();
    const logged: string[] = [];
    await using auditor = await startAuditor(await cluster.client(), { ...SLOW, identifier: 'a1', logger: (m) => logged.push(m) });
    await waitFor(() => auditor.stats.repairsFailed >= 2, 30_000, 'the checks of b and c failed');
    assert.ok(logged.some((m) => m.includes('no surviving replica returned entry 4')), logged.join('\n'));
    assert.equal(auditor.stats.underReplicatedSegments, 1);
    const refills: RefillResult[] = [];
    auditor.on('refilled', (r) => refills.push(r));
    const back = await cluster.addNode({ port }, dir);
    await waitFor(() => refills.length === 2, 30_000, 'b and c refilled once a is back');
    for (const n of [back, b, c]) await assertHolds(n, id, 'only-a', 10);
  });

  it('a segment turning CLOSED is checked at once, well before auditInterval', async () => {
    await using cluster = await startRepairCluster(target(), 3);
    const [a, b, c] = cluster.nodes as [LogNodeHandle, LogNodeHandle, LogNodeHandle];
    await using auditor = await startAuditor(await cluster.client(), { ...SLOW, identifier: 'a1' });
    await waitFor(() => auditor.stats.passes > 0, 30_000, 'a first pass');
    // OPEN, one ensemble: nothing closed to check yet.
    const { id, close } = await handMade(cluster, 'prompt', [a, b, c], 8, () => [b, c], { close: false });
    await auditor.audit();
    assert.equal(auditor.stats.membersRefilled, 0, 'an OPEN segment\'s last ensemble is the writer\'s');
    const refilled = nextRefill(auditor);
    await close();
    // auditInterval is 600 s: only the watch on the segment's record can start this pass.
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([refilled, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), 60_000)))]);
    clearTimeout(timer);
    assert.ok(r !== undefined, 'refilled within 60 s of closing (auditInterval: 600 s)');
    assert.deepEqual({ segmentId: r.segmentId, node: r.node, entries: r.entries }, { segmentId: id, node: a.instanceId, entries: 8 });
  });

  it('a copy corrupted on disk while its node was stopped: the node finds it on open, and the auditor copies it back', async () => {
    await using cluster = await startRepairCluster(target(), 3);
    const [a, b, c] = cluster.nodes as [LogNodeHandle, LogNodeHandle, LogNodeHandle];
    const { id } = await handMade(cluster, 'flip', [a, b, c], 20, () => [a, b, c]);
    await using auditor = await startAuditor(await cluster.client(), { ...SLOW, identifier: 'a1' });
    await auditor.audit();
    assert.equal(auditor.stats.membersRefilled, 0);
    const dir = cluster.dirs.get(c.instanceId)!;
    const port = c.port;
    await c.close();
    // Opened once more, so a checkpoint moves the entries out of the journal and into the segment file only.
    await (await cluster.addNode({ port }, dir)).close();
    const path = join(dir, 'segments', `${id}.seg`);
    const fh = await open(path, 'r+');
    const file = await fh.readFile();
    const at = file.indexOf(Buffer.from(text('flip', 7)));
    assert.ok(at > 0, 'entry 7 is in the segment file');
    await fh.write(Buffer.from([file[at]! ^ 0x10]), 0, 1, at);
    await fh.close();
    const refilled = nextRefill(auditor);
    const back = await cluster.addNode({ port }, dir);
    assert.equal(back.instanceId, c.instanceId);
    const r = await refilled;
    assert.deepEqual({ segmentId: r.segmentId, node: r.node, entries: r.entries }, { segmentId: id, node: c.instanceId, entries: 1 });
    await using conn = await connectLogNode(back.address);
    assert.equal((await conn.readEntry(id, 7)).data.toString(), text('flip', 7), 'a good copy replaced the corrupt one');
    await assertHolds(back, id, 'flip', 20);
  });
  it('herd log-node --scrub-interval: a copy corrupted on disk while its node runs is found by the next scrub, not at the next audit, and copied back', async () => {
    await using cluster = await startRepairCluster(target(), 3);
    const [a, b, c] = cluster.nodes as [LogNodeHandle, LogNodeHandle, LogNodeHandle];
    const { id } = await handMade(cluster, 'scrub', [a, b, c], 20, () => [a, b, c]);
    // The only auditor candidate (the cluster's nodes run none): a child with a scrub every 300 ms and the default
    // audit interval (a minute), so only the scrub can find a copy that went bad after the member was checked.
    const child = await startNodeProcess(cluster.coordination, await tempDir('log-repair'), { args: ['--scrub-interval', '300', '--grace-period', '600000'] });
    try {
      const path = join(cluster.dirs.get(c.instanceId)!, 'segments', `${id}.seg`);
      const fh = await open(path, 'r+');
      try {
        const file = await fh.readFile();
        const at = file.indexOf(Buffer.from(text('scrub', 7)));
        assert.ok(at > 0, 'entry 7 is in the segment file');
        await fh.write(Buffer.from([file[at]! ^ 0x10]), 0, 1, at);
      } finally {
        await fh.close();
      }
      await using conn = await connectLogNode(c.address);
      // Until the scrub finds it, the node refuses the corrupt copy (CORRUPT_ENTRY); then a good copy is added.
      await waitFor(async () => (await conn.readEntry(id, 7).catch(() => undefined))?.data.toString() === text('scrub', 7), 30_000, 'entry 7 copied back by the scrub');
      await assertHolds(c, id, 'scrub', 20);
    } finally {
      await child.kill();
    }
  });
});
