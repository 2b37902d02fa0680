/**
 * Tailing subscriptions (src/log/reader/subscribe.ts): `Log.subscribe` and
 * `subscribeLog` yield every entry once, in order, across roll-overs and
 * writer changes; never an entry past the last-add-confirmed of an open
 * segment; wake on the nodes' long poll rather than its timeout; end on
 * abort or break with their connections closed.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import type { Client } from '../../../src/client/index.js';
import { CancelledError } from '../../../src/errors.js';
import { connectLogNode, openLog, subscribeLog, type LogPosition, type LogRecord } from '../../../src/log/index.js';
import { LogMetadataStore } from '../../../src/log/metadata/metadata-store.js';
import { openSegment } from '../../../src/log/metadata/records.js';
import { forEachTarget, sleep, waitFor } from '../../support/targets.js';
import { removeDirs } from '../node/support.js';
import { collectRecords, startCluster, texts } from '../writer/support.js';
import { startWriterProcess } from './writer-process.js';

after(removeDirs);

const Q = { ensembleSize: 3, writeQuorum: 3, ackQuorum: 2 };

/** Consumes a subscription in the background: `records` fills as entries arrive. */
function follow(iterable: AsyncIterableIterator<LogRecord>): { records: LogRecord[]; done: Promise<unknown>; stop(): Promise<void> } {
  const records: LogRecord[] = [];
  const done = (async () => {
    for await (const r of iterable) records.push(r);
  })().then(
    () => undefined,
    (error: unknown) => error,
  );
  return {
    records,
    done,
    stop: async () => {
      await iterable.return?.();
    },
  };
}

const key = (p: LogPosition): string => `${p.segmentId}:${p.entryId}`;

function assertInOrderOnce(records: readonly LogRecord[]): void {
  const seen = new Set<string>();
  for (let i = 0; i < records.length; i++) {
    const k = key(records[i]!.position);
    assert.ok(!seen.has(k), `${k} delivered twice`);
    seen.add(k);
    if (i > 0) {
      const a = records[i - 1]!.position;
      const b = records[i]!.position;
      assert.ok(a.segmentId < b.segmentId || (a.segmentId === b.segmentId && a.entryId + 1 === b.entryId), `${key(a)} then ${key(b)}`);
    }
  }
}

/** TCP sockets of this process (the in-process nodes' ends included). */
function sockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
}

forEachTarget('log subscriptions', (target) => {
  it('Log.subscribe from the start sees every entry once, in order, across roll-overs, then waits for new ones; break closes its connections', async () => {
    await using cluster = await startCluster(target());
    const client = await cluster.client();
    await using log = await openLog(client, 'rolling', { ...Q, maxSegmentEntries: 4 });
    for (let i = 0; i < 6; i++) await log.append(Buffer.from(`e${i}`));
    const baseline = sockets();
    const sub = log.subscribe({ from: 'start' });
    const seen: string[] = [];
    const positions: LogRecord[] = [];
    let next = 6;
    for await (const r of sub) {
      seen.push(r.data.toString());
      positions.push(r);
      // Appends while subscribed, some after the subscriber has waited.
      if (seen.length === 6 || seen.length === 10) {
        const burst = next;
        next += 4;
        setTimeout(() => void Promise.all(Array.from({ length: 4 }, (_, i) => log.append(Buffer.from(`e${burst + i}`)))), 50);
      }
      if (seen.length === 14) break;
    }
    assert.deepEqual(seen, Array.from({ length: 14 }, (_, i) => `e${i}`));
    assertInOrderOnce(positions);
    assert.ok(new Set(positions.map((r) => r.position.segmentId)).size >= 4, 'the entries span several segments');
    await waitFor(() => sockets() <= baseline, 10_000, 'the subscription closes its node connections');
  });

  it("'end' (the default) starts after what is confirmed; a time bound starts at the first entry at or after it", async () => {
    await using cluster = await startCluster(target());
    const client = await cluster.client();
    await using log = await openLog(client, 'timed', { ...Q, maxSegmentEntries: 3 });
    const t0 = Date.now() - 100_000;
    await log.appendBatch(Array.from({ length: 3 }, (_, i) => ({ data: Buffer.from(`old${i}`), timestamp: t0 + i * 1000 })));
    await log.appendBatch(Array.from({ length: 3 }, (_, i) => ({ data: Buffer.from(`old${3 + i}`), timestamp: t0 + (3 + i) * 1000 })));
    const first = await log.append(Buffer.from('old6'), { timestamp: t0 + 6000 });
    // The writer knows old6 is confirmed; its nodes learn it from its explicit CONFIRM once it is idle.
    const fromTime = follow(subscribeLog(await cluster.client(), 'timed', { from: new Date(t0 + 4500) }));
    const segments = [...new Set((await collectRecords(log.read())).map((r) => r.position.segmentId))];
    const fromPosition = follow(log.subscribe({ from: { segmentId: segments[0]!, entryId: 2 } }));
    let writerEnd: ReturnType<typeof follow> | undefined;
    let readerEnd: ReturnType<typeof follow> | undefined;
    try {
      await waitFor(() => fromTime.records.length === 2 && fromPosition.records.length === 5, 10_000, 'the subscribers catch up').catch((error: unknown) => {
        throw new Error(`${String(error)}: ${JSON.stringify([fromTime, fromPosition].map((s) => texts(s.records)))}`);
      });
      assert.deepEqual(texts(fromTime.records), ['old5', 'old6'], 'the first entry at or after the time; old6 confirmed on the nodes by the idle writer');
      assert.deepEqual(texts(fromPosition.records), ['old2', 'old3', 'old4', 'old5', 'old6']);
      // Once the nodes know old6 is confirmed, 'end' starts after it, for the writer's subscription and a writer-less one alike.
      writerEnd = follow(log.subscribe());
      readerEnd = follow(subscribeLog(await cluster.client(), 'timed'));
      await sleep(300);
      for (let i = 0; i < 3; i++) await log.append(Buffer.from(`new${i}`));
      await log.append(Buffer.from('flush'));
      const w = writerEnd;
      const r = readerEnd;
      await waitFor(() => w.records.length >= 4 && r.records.length >= 4 && fromTime.records.length >= 6 && fromPosition.records.length >= 9, 10_000, 'subscribers see the new entries');
      assert.deepEqual(texts(w.records), ['new0', 'new1', 'new2', 'flush']);
      assert.deepEqual(texts(r.records), ['new0', 'new1', 'new2', 'flush'], "the idle writer's last entry too");
      assert.deepEqual(texts(fromTime.records), ['old5', 'old6', 'new0', 'new1', 'new2', 'flush']);
      assert.deepEqual(texts(fromPosition.records), ['old2', 'old3', 'old4', 'old5', 'old6', 'new0', 'new1', 'new2', 'flush']);
      assert.equal(first.segmentId, segments[2]);
    } finally {
      for (const s of [writerEnd, readerEnd, fromTime, fromPosition]) await s?.stop();
    }
  });

  it('never delivers past the last-add-confirmed of an open segment; the long poll wakes at once; the recovery of a writer change delivers the rest, then the new writer', async () => {
    await using cluster = await startCluster(target());
    const client = await cluster.client();
    const store = new LogMetadataStore(client);
    // A writer we play by hand: entries 0..9 on all three nodes, entry 10 (confirming 9) on the first only: 10 is not acknowledged.
    const log = await store.createLog('lac', Q);
    const ids = cluster.nodes.map((n) => n.instanceId);
    const added = await store.addSegment('lac', log, openSegment('lac', 'hand', Q, ids, Date.now()));
    const nodes = await Promise.all(cluster.nodes.map((n) => connectLogNode(n.address)));
    const entry = (entryId: number, lastAddConfirmed = entryId - 1) => ({ segmentId: added.id, entryId, timestamp: 1000 + entryId, lastAddConfirmed, data: Buffer.from(`hand ${entryId}`) });
    for (let e = 0; e < 10; e++) await Promise.all(nodes.map((c) => c.addEntry(entry(e))));
    await nodes[0]!.addEntry(entry(10));

    const sub = follow(subscribeLog(await cluster.client(), 'lac', { from: 'start', pollTimeout: 20_000 }));
    await waitFor(() => sub.records.length === 10, 10_000, 'the confirmed entries');
    await sleep(500);
    assert.deepEqual(texts(sub.records), Array.from({ length: 10 }, (_, e) => `hand ${e}`), 'entry 10 is not confirmed: never delivered');

    // Entry 11 confirms 10: the long poll (20 s) answers at once.
    const sent = Date.now();
    await nodes[0]!.addEntry(entry(11));
    await waitFor(() => sub.records.length === 11, 10_000, 'entry 10 once confirmed');
    assert.ok(Date.now() - sent < 5000, `woken after ${Date.now() - sent} ms, not by the 20 s poll timeout`);
    await sleep(300);
    assert.equal(sub.records.length, 11, 'entry 11 is not confirmed');

    // A new writer recovers the segment (closing it at 11, found on one node) and appends.
    await using writer = await openLog(client, 'lac', { ...Q, identifier: 'next' });
    assert.equal((await store.readSegment(added.id)).value.lastEntry, 11);
    await writer.append(Buffer.from('next 0'));
    await writer.append(Buffer.from('next 1'));
    await writer.close(); // closing the segment confirms its last entry
    await waitFor(() => sub.records.length === 14, 10_000, 'the recovered entry and the new writer’s');
    assert.deepEqual(texts(sub.records).slice(10), ['hand 10', 'hand 11', 'next 0', 'next 1']);
    assertInOrderOnce(sub.records);
    await sub.stop();
    await Promise.all(nodes.map((c) => c.close()));
  });

  it("across a writer change (the first writer's client closed): every acknowledged entry once, in order, none lost", async () => {
    await using cluster = await startCluster(target());
    const firstClient = await cluster.client();
    const first = await openLog(firstClient, 'handover', { ...Q, identifier: 'first', maxSegmentEntries: 7 });
    const sub = follow(subscribeLog(await cluster.client(), 'handover', { from: 'start' }));
    const acked: string[] = [];
    for (let i = 0; i < 20; i++) {
      await first.append(Buffer.from(`first ${i}`));
      acked.push(`first ${i}`);
    }
    // Appends in flight when its client goes: some may be acknowledged, some not.
    const inFlight = Array.from({ length: 5 }, (_, i) => first.append(Buffer.from(`first ${20 + i}`)).then(() => `first ${20 + i}`, () => undefined));
    await firstClient.close();
    const late = await Promise.all(inFlight);
    const second = await openLog(await cluster.client(), 'handover', { ...Q, identifier: 'second' });
    for (let i = 0; i < 5; i++) await second.append(Buffer.from(`second ${i}`));
    await second.close();
    await waitFor(() => sub.records.some((r) => r.data.toString() === 'second 4'), 15_000, 'the second writer’s entries');
    assertInOrderOnce(sub.records);
    const got = texts(sub.records);
    const firsts = got.filter((t) => t.startsWith('first '));
    // Every acknowledged entry, in order; the unacknowledged ones a recovery kept come in order after them.
    assert.deepEqual(firsts.slice(0, 20), acked);
    for (const t of late) if (t !== undefined) assert.ok(firsts.includes(t), `${t} was acknowledged`);
    assert.deepEqual(firsts, firsts.slice().sort((a, b) => Number(a.split(' ')[1]) - Number(b.split(' ')[1])));
    assert.deepEqual(got.slice(firsts.length), ['second 0', 'second 1', 'second 2', 'second 3', 'second 4']);
    await sub.stop();
  });

  it('across a writer SIGKILLed mid-segment: every entry it acknowledged once, in order, then the next writer’s', async () => {
    await using cluster = await startCluster(target());
    const worker = startWriterProcess(cluster.coordination, 'killed');
    let sub: ReturnType<typeof follow> | undefined;
    try {
      await worker.ready(20_000);
      sub = follow(subscribeLog(await cluster.client(), 'killed', { from: 'start' }));
      await waitFor(() => worker.outputLines() > 200 && sub!.records.length > 50, 20_000, 'appends acknowledged and seen');
      await worker.kill();
      const acked = worker.acked();
      await using next = await openLog(await cluster.client(), 'killed', { ...Q, identifier: 'next' });
      for (let i = 0; i < 3; i++) await next.append(Buffer.from(`next ${i}`));
      await next.close();
      await waitFor(() => sub!.records.some((r) => r.data.toString() === 'next 2'), 20_000, 'the next writer’s entries');
      assertInOrderOnce(sub.records);
      const got = texts(sub.records);
      const fromWorker = got.filter((t) => t.startsWith('w '));
      for (const t of acked) assert.ok(fromWorker.includes(t), `${t} was acknowledged`);
      assert.deepEqual(got.slice(fromWorker.length), ['next 0', 'next 1', 'next 2']);
    } finally {
      await worker.kill();
      await sub?.stop();
    }
  });

  it('an aborted subscription rejects with CancelledError (cause: the reason) and closes its connections', async () => {
    await using cluster = await startCluster(target());
    const client = await cluster.client();
    await using log = await openLog(client, 'abort', Q);
    await log.append(Buffer.from('one'));
    await log.append(Buffer.from('two'));
    const reader = await cluster.client();
    const baseline = sockets();
    const controller = new AbortController();
    const sub = follow(subscribeLog(reader, 'abort', { from: 'start', signal: controller.signal }));
    // Both entries are confirmed: the second by the idle writer's explicit CONFIRM.
    await waitFor(() => sub.records.length === 2, 10_000, 'both confirmed entries');
    assert.ok(sockets() > baseline, 'the subscriber is connected to the nodes');
    controller.abort('enough');
    const error = await sub.done;
    assert.ok(error instanceof CancelledError, String(error));
    assert.equal(error.code, 'CANCELLED');
    assert.equal(error.cause, 'enough');
    await waitFor(() => sockets() <= baseline, 10_000, 'the connections close');
    // Bad options are refused before any I/O.
    assert.throws(() => subscribeLog(client, 'abort', { from: 'yesterday' as never }), { name: 'BadArgumentsError' });
    assert.throws(() => subscribeLog(client, 'abort', { pollTimeout: 0 }), { name: 'BadArgumentsError' });
    assert.throws(() => log.subscribe({ from: 'later' as never }), { name: 'BadArgumentsError' });
  });

  it('Log.subscribe returns when the log closes, and a subscription of a closed log rejects with InvalidStateError', async () => {
    await using cluster = await startCluster(target());
    const client: Client = await cluster.client();
    const log = await openLog(client, 'closing', Q);
    await log.append(Buffer.from('a'));
    const sub = follow(log.subscribe({ from: 'start' }));
    await waitFor(() => sub.records.length === 1, 10_000, 'the entry');
    await log.close();
    assert.equal(await sub.done, undefined, 'the subscription ended without an error');
    await assert.rejects(log.subscribe().next(), { name: 'InvalidStateError' });
  });
});
