import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, it } from 'node:test';
import { openLog, startAuditor, type Auditor, type RepairResult } from '../../../src/log/index.js';
import { LogMetadataStore } from '../../../src/log/metadata/metadata-store.js';
import { writeSetOf } from '../../../src/log/metadata/records.js';
import { collectRecords, texts } from '../writer/support.js';
import { entriesOfMember } from '../../../src/log/repair/replication.js';
import { forEachTarget, sleep, waitFor } from '../../support/targets.js';
import { removeDirs, startNodeProcess, tempDir } from '../node/support.js';
import { entriesOn, segmentOf, startRepairCluster, type RepairCluster } from './support.js';

after(removeDirs);

const Q = { ensembleSize: 3, writeQuorum: 3, ackQuorum: 2 };
const FAST = { gracePeriod: 300, auditInterval: 500 };

/** A closed segment of `count` entries written by a writer that is gone; its id and first ensemble. */
async function writeClosedSegment(cluster: RepairCluster, name: string, count: number, quorums = Q): Promise<{ id: number; nodes: string[]; texts: string[] }> {
  const client = await cluster.shared();
  const log = await openLog(client, name, quorums);
  const texts = Array.from({ length: count }, (_, i) => `${name}-${i}`);
  await log.appendBatch(texts.map((t) => Buffer.from(t)));
  const id = log.segmentId!;
  await log.close();
  return { id, nodes: [...(await segmentOf(client, id)).ensembles[0]!.nodes], texts };
}

/** Every node of every ensemble holds exactly its write-set entries, with the bytes written. */
async function assertFullyReplicated(cluster: RepairCluster, id: number, texts: readonly string[]): Promise<void> {
  const segment = await segmentOf(await cluster.shared(), id);
  assert.equal(segment.state, 'CLOSED');
  for (let i = 0; i < segment.ensembles.length; i++) {
    for (const node of segment.ensembles[i]!.nodes) {
      const want = entriesOfMember(segment, i, node, segment.lastEntry);
      const held = await entriesOn(cluster.node(node).address, id, want[0] ?? 0, want.at(-1) ?? 0);
      const mine = held.filter((e) => writeSetOf(segment, e.entryId).includes(node));
      assert.deepEqual(mine.map((e) => e.entryId), want, `entries of segment ${id} on ${node}`);
      for (const e of mine) assert.equal(e.data.toString(), texts[e.entryId]);
    }
  }
}

function nextRepair(auditor: Auditor): Promise<RepairResult> {
  return new Promise((resolve) => auditor.once('repaired', resolve));
}

forEachTarget('log repair: the auditor', (target) => {
  it('a node that dies after 3/3/2 writes: the fourth node gets its copies, every entry is back to W copies', async () => {
    await using cluster = await startRepairCluster(target(), 4);
    const { id, nodes, texts } = await writeClosedSegment(cluster, 'dies', 40);
    await using auditor = await startAuditor(await cluster.client(), { ...FAST, identifier: 'a1' });
    const spare = cluster.nodes.find((n) => !nodes.includes(n.instanceId))!;
    const victim = cluster.node(nodes[1]!);
    const repaired = nextRepair(auditor);
    await victim.close();
    const r = await repaired;
    assert.deepEqual({ segmentId: r.segmentId, replaced: r.replaced, by: r.by, entries: r.entries }, { segmentId: id, replaced: victim.instanceId, by: spare.instanceId, entries: 40 });
    const segment = await segmentOf(await cluster.shared(), id);
    assert.deepEqual(segment.ensembles[0]!.nodes, nodes.map((n) => (n === victim.instanceId ? spare.instanceId : n)), 'the member is replaced in place');
    await assertFullyReplicated(cluster, id, texts);
    assert.equal(auditor.stats.entriesCopied, 40);
    assert.equal(auditor.stats.bytesCopied, texts.reduce((n, t) => n + t.length, 0));
    assert.equal(auditor.stats.membersReplaced, 1);
    await auditor.audit();
    assert.equal(auditor.stats.underReplicatedSegments, 0);
  });

  it("a live writer is not disturbed: its previous segment is repaired while it writes, and it rolls over after that", async () => {
    await using cluster = await startRepairCluster(target(), 4);
    const client = await cluster.client();
    await using log = await openLog(client, 'live', { ...Q, maxSegmentEntries: 5 });
    const fenced: unknown[] = [];
    log.on('fenced', (e) => fenced.push(e));
    for (let i = 0; i < 7; i++) await log.append(Buffer.from(`e${i}`));
    const first = (await new LogMetadataStore(client).readLog('live')).value.segments[0]!;
    const nodes = (await segmentOf(client, first)).ensembles[0]!.nodes;
    await using auditor = await startAuditor(await cluster.client(), { ...FAST, identifier: 'a1' });
    const repaired = nextRepair(auditor);
    await cluster.node(nodes[0]!).close();
    assert.equal((await repaired).segmentId, first);
    // The writer goes on and rolls over: a repair never touches its OPEN segment, nor fences it.
    for (let i = 7; i < 15; i++) await log.append(Buffer.from(`e${i}`));
    assert.deepEqual(fenced, []);
    assert.deepEqual(texts(await collectRecords(log.read())), Array.from({ length: 15 }, (_, i) => `e${i}`));
  });

  it('striped (E=3, W=2): the new node gets exactly the lost member\'s write-set entries, of every ensemble', async () => {
    await using cluster = await startRepairCluster(target(), 4);
    const { id, nodes, texts } = await writeClosedSegment(cluster, 'striped', 30, { ensembleSize: 3, writeQuorum: 2, ackQuorum: 2 });
    await using auditor = await startAuditor(await cluster.client(), { ...FAST, identifier: 'a1' });
    const victim = cluster.node(nodes[0]!);
    const repaired = nextRepair(auditor);
    await victim.close();
    const r = await repaired;
    assert.equal(r.entries, 20, 'with E=3, W=2 a member holds 2 of 3 entries');
    await assertFullyReplicated(cluster, id, texts);
  });

  it('respects the grace period: a node back within it costs no copies; one that stays away is repaired after it', async () => {
    await using cluster = await startRepairCluster(target(), 4);
    const { id, nodes } = await writeClosedSegment(cluster, 'grace', 10);
    await using auditor = await startAuditor(await cluster.client(), { gracePeriod: 3000, auditInterval: 200, identifier: 'a1' });
    const victim = cluster.node(nodes[2]!);
    const dir = cluster.dirs.get(victim.instanceId)!;
    const port = victim.port;
    await victim.close();
    await sleep(1000);
    const back = await cluster.addNode({ port }, dir);
    assert.equal(back.instanceId, victim.instanceId, 'the same data directory is the same instance');
    await sleep(3500);
    assert.equal(auditor.stats.membersReplaced, 0);
    assert.deepEqual((await segmentOf(await cluster.shared(), id)).ensembles[0]!.nodes, nodes);

    const gone = Date.now();
    const repaired = nextRepair(auditor);
    await back.close();
    await repaired;
    assert.ok(Date.now() - gone >= 3000, `repaired after ${Date.now() - gone} ms, before the grace period`);
  });

  it('a wiped node back at its address is a new empty instance: the old one is lost at once (no grace) and repaired onto it', async () => {
    await using cluster = await startRepairCluster(target(), 3);
    const { id, nodes, texts } = await writeClosedSegment(cluster, 'wiped', 25);
    await using auditor = await startAuditor(await cluster.client(), { gracePeriod: 600_000, auditInterval: 200, identifier: 'a1' });
    const victim = cluster.node(nodes[0]!);
    const dir = cluster.dirs.get(victim.instanceId)!;
    const port = victim.port;
    await victim.close();
    await rm(dir, { recursive: true, force: true });
    const repaired = nextRepair(auditor);
    const wiped = await cluster.addNode({ port }, dir);
    assert.notEqual(wiped.instanceId, victim.instanceId);
    assert.equal(wiped.replacedInstanceId, victim.instanceId);
    const r = await repaired;
    assert.deepEqual({ replaced: r.replaced, by: r.by }, { replaced: victim.instanceId, by: wiped.instanceId });
    assert.ok(!(await segmentOf(await cluster.shared(), id)).ensembles[0]!.nodes.includes(victim.instanceId));
    await assertFullyReplicated(cluster, id, texts);
  });

  it('the leader dies mid-repair: another auditor takes over; the member is replaced once and nothing is damaged', async () => {
    // Long sessions for every client (the writer, the auditors, the nodes): the one session that ends is a's, ended by
    // the test. With the 4 s default a loaded machine expired the writer's session mid-append or a node's (then
    // replaced a second time), which said nothing about the takeover.
    const long = { sessionTimeout: 30_000 };
    await using cluster = await startRepairCluster(target(), 4, { clientOptions: long }, long);
    const { id, nodes, texts } = await writeClosedSegment(cluster, 'takeover', 3000);
    const clientA = await cluster.client();
    const a = await startAuditor(clientA, { ...FAST, identifier: 'a' });
    await using b = await startAuditor(await cluster.client(), { ...FAST, identifier: 'b' });
    await waitFor(() => a.stats.leader, 10_000, 'a leads');
    await cluster.node(nodes[0]!).close();
    await waitFor(() => a.stats.entriesCopied > 0, 20_000, 'a copying');
    await target().expire(clientA);
    await a.close();
    await waitFor(() => b.stats.leader, 20_000, 'b leads');
    await waitFor(async () => !(await segmentOf(await cluster.shared(), id)).ensembles[0]!.nodes.includes(nodes[0]!), 30_000, 'repaired');
    await b.audit();
    assert.equal(a.stats.membersReplaced + b.stats.membersReplaced, 1);
    const after = (await segmentOf(await cluster.shared(), id)).ensembles[0]!.nodes;
    assert.equal(after.filter((n, i) => n !== nodes[i]).length, 1, 'exactly one member changed');
    assert.equal(new Set(after).size, 3);
    await assertFullyReplicated(cluster, id, texts);
  });

  it('a storage node killed with SIGKILL (a child process) is repaired once its session expires', async () => {
    await using cluster = await startRepairCluster(target(), 2);
    // Ours leads: the child's own auditor candidate joins after it.
    await using auditor = await startAuditor(await cluster.client(), { ...FAST, identifier: 'test' });
    const child = await startNodeProcess(cluster.coordination, await tempDir('log-repair'), { sessionTimeout: 2000 });
    try {
      const { id, nodes, texts } = await writeClosedSegment(cluster, 'sigkill', 50);
      assert.ok(nodes.includes(child.instanceId));
      const spare = await cluster.addNode();
      const repaired = nextRepair(auditor);
      await child.kill();
      const r = await repaired;
      assert.deepEqual({ replaced: r.replaced, by: r.by }, { replaced: child.instanceId, by: spare.instanceId });
      await assertFullyReplicated(cluster, id, texts);
    } finally {
      await child.kill();
    }
  });
}, { maxSessionTimeout: 60_000 }); // the takeover test's long sessions (ZooKeeper's default cap is 20 ticks: 5 s)
