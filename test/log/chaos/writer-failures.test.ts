/**
 * A log writer process that dies or freezes (issue 13, "Proof"), with
 * three storage node processes and 3/3/2:
 * - SIGKILLed mid-segment: the next writer's recovery closes the segment
 *   exactly where docs/log.md says (every entry up to the highest
 *   last-add-confirmed the nodes hold, then every further entry some node
 *   returns, up to the first that no node has), so at or past the last
 *   acknowledged entry, and what it kept beyond the acks has A copies.
 * - Frozen (SIGSTOP) while another writer opens the log, then resumed
 *   (SIGCONT): every append it makes rejects with WriterFencedError, it
 *   acknowledges nothing sent after the freeze, and the checker finds every
 *   entry it acknowledged before and none it sent after.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { logPath, segmentPath } from '../../../src/log/metadata/layout.js';
import { forEachTarget, sleep, type Target } from '../../support/targets.js';
import { removeDirs } from '../node/support.js';
import { snapshotLog } from './checker.js';
import { parsePayload, readAckFile } from './payload.js';
import { ChaosCluster } from './support.js';

after(removeDirs);

/** ms the writers may take to make progress or to learn of a fence: liveness on a loaded machine. */
const LIVENESS = 45_000;

/**
 * The frozen-writer case: writer `stale` appends, is SIGSTOPped, another
 * writer opens the log, `stale` is resumed and must find itself fenced
 * within `liveness` ms; then the checks. `nodeTimeout` is the frozen
 * writer's.
 */
async function frozenWriter(target: Target, nodeTimeout: number, freeze: number, liveness: number): Promise<void> {
  await using cluster = await ChaosCluster.start(target);
  const stale = await cluster.writer('stale', 'stale', { nodeTimeout });
  await stale.progress(200, liveness, 'a start');
  stale.signal('SIGSTOP');
  await sleep(freeze); // its last SENT lines reach us (and, when long, its node timeout and its session pass)
  const sentBeforeStop = stale.report.sent;
  const segmentId = stale.report.segmentIds[0]!;

  const next = await cluster.writer('stale', 'next');
  const closed = JSON.parse((await cluster.client.getData(segmentPath(segmentId))).data!.toString('utf8')) as { state: string; lastEntry: number };
  assert.equal(closed.state, 'CLOSED', 'the new writer recovered the frozen one\'s segment');
  await next.progress(100, liveness, 'the new writer');

  stale.signal('SIGCONT');
  await stale.until(() => stale.report.fenced !== undefined, liveness, 'the fenced event');
  await stale.until(() => stale.report.rejected.filter((r) => r.name === 'WriterFencedError').length >= stale.config.lanes, liveness, 'every lane to be refused');
  await stale.probe(liveness); // one more append after the fence, with nothing in flight
  const sentAfter = stale.report.rejected.filter((r) => r.seq > sentBeforeStop);
  assert.ok(sentAfter.length >= 1, 'the resumed writer tried to append');
  assert.deepEqual([...new Set(stale.report.rejected.map((r) => r.name))], ['WriterFencedError'], 'every refusal is a fence');
  const staleAcks = await readAckFile(stale.config.ackFile);
  assert.deepEqual(staleAcks.filter((a) => a.seq > sentBeforeStop), [], 'nothing sent after the freeze was acknowledged');

  await next.stop(liveness);
  await stale.kill();
  const report = await cluster.assertIntact('stale');
  const staleInLog = report.entries.map((e) => parsePayload(e.data.toString('utf8'))!).filter((p) => p.writer === 'stale');
  assert.deepEqual(staleInLog.filter((p) => p.seq > sentBeforeStop), [], 'no entry the frozen writer sent after the fence is in the log');
  assert.ok(staleInLog.length >= staleAcks.length, 'every acknowledged entry of the frozen writer is in the log (the checker matched each one)');
  // The segment it wrote was closed by the recovery and never changed after it resumed; the log has no other segment of its.
  const after_ = JSON.parse((await cluster.client.getData(segmentPath(segmentId))).data!.toString('utf8')) as { lastEntry: number };
  assert.equal(after_.lastEntry, closed.lastEntry);
  const { segments } = JSON.parse((await cluster.client.getData(logPath('stale'))).data!.toString('utf8')) as { segments: number[] };
  const writers = await Promise.all(segments.map(async (id) => (JSON.parse((await cluster.client.getData(segmentPath(id))).data!.toString('utf8')) as { writer: string }).writer));
  assert.deepEqual(writers.filter((w) => w === 'stale').length, 1);
}

forEachTarget('log chaos: writer failures', (target) => {
  it('a writer SIGKILLed mid-segment: recovery closes the segment at the first entry no node has, at or past every acknowledged entry', { timeout: 4 * LIVENESS }, async () => {
    await using cluster = await ChaosCluster.start(target());
    const first = await cluster.writer('killed', 'first', { maxSegmentEntries: 1_000_000 });
    await first.progress(200, LIVENESS, 'a start');
    await first.kill();
    const segmentId = first.report.segmentIds[0]!;

    // What the nodes hold before anyone recovers (reading does not fence): recovery must decide from exactly this.
    const before = (await snapshotLog(cluster.client, 'killed')).segments.find((s) => s.id === segmentId)!;
    assert.equal(before.meta.state, 'OPEN');
    assert.equal(before.unreachable.size, 0);
    const held = new Set(before.copies.keys());
    let confirmed = -1; // the highest last-add-confirmed any node holds
    for (const copies of before.copies.values()) for (const c of copies.values()) if (c !== 'corrupt') confirmed = Math.max(confirmed, c.lastAddConfirmed);
    let expectedLast = confirmed;
    while (held.has(expectedLast + 1)) expectedLast++;
    const acked = (await readAckFile(first.config.ackFile)).filter((a) => a.segmentId === segmentId);
    const lastAcked = Math.max(...acked.map((a) => a.entryId));

    const second = await cluster.writer('killed', 'second');
    const segment = JSON.parse((await cluster.client.getData(segmentPath(segmentId))).data!.toString('utf8')) as { state: string; lastEntry: number };
    assert.equal(segment.state, 'CLOSED');
    assert.ok(segment.lastEntry >= lastAcked, `closed at ${segment.lastEntry}, acknowledged up to ${lastAcked}`);
    assert.equal(segment.lastEntry, expectedLast, `closed at ${segment.lastEntry}: the highest last-add-confirmed held is ${confirmed}, the nodes hold [${[...held].filter((e) => e > confirmed - 3).sort((a, b) => a - b).join(', ')}] from just below it`);

    await second.progress(100, LIVENESS, 'after the recovery');
    await second.stop(LIVENESS);
    // Every entry kept, acknowledged or not (up to lastEntry), has A valid copies after recovery; acknowledged ones are there as recorded.
    const report = await cluster.assertIntact('killed');
    assert.ok(report.entries.filter((e) => e.segmentId === segmentId).length === segment.lastEntry + 1);
  });

  // A node timeout longer than the freeze: resumed, the writer hears its nodes' answers (SEGMENT_FENCED) before it
  // counts them as failed. Past nodeTimeout it times every node out at once instead, and with no spare node retries
  // the ensemble change for ever (the no-spare stall of chaos-three-nodes.test.ts), or, past its session too, rejects
  // appends with SessionExpiredError rather than WriterFencedError (reported to the lead).
  it('a writer frozen (SIGSTOP) while another opens the log is fenced when resumed: no append of it succeeds after the fence', { timeout: 4 * LIVENESS }, () => frozenWriter(target(), 120_000, 500, LIVENESS));
}, { concurrency: false });

