import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Clock } from '../../../src/base/clock.js';
import { BadArgumentsError, InvalidStateError } from '../../../src/errors.js';
import { EntryConflictError, NodeStorage, SegmentFencedError, StorageFailedError } from '../../../src/log/storage/index.js';
import { addEntries, collect, entryData, entryTime, makeEntry, openStorage, withDir } from './support.js';

describe('log storage: NodeStorage', () => {
  it('adds, reads back, and keeps everything across a reopen', async () => {
    await withDir(async (dir) => {
      let s = await openStorage(dir);
      await addEntries(s, 1, 0, 500);
      await addEntries(s, 2, 0, 10);
      assert.deepEqual(await s.readEntry(1, 42), makeEntry(1, 42));
      assert.equal(await s.readEntry(1, 500), undefined);
      assert.equal(await s.readEntry(9, 0), undefined);
      assert.deepEqual(s.lastEntry(1), { entryId: 499, lastAddConfirmed: 498, timestamp: entryTime(1, 499) });
      assert.equal(s.lastEntry(9), undefined);
      assert.deepEqual(s.segments(), [1, 2]);
      const stats = s.stats();
      assert.equal(stats.segments, 2);
      assert.ok(stats.bytesStored > 500 * 41);
      await s.close();
      await s.close(); // idempotent

      s = await openStorage(dir);
      assert.deepEqual(s.segments(), [1, 2]);
      assert.deepEqual(await collect(s.readRange(1)), Array.from({ length: 500 }, (_, e) => makeEntry(1, e)));
      assert.deepEqual(await collect(s.readRange(2)), Array.from({ length: 10 }, (_, e) => makeEntry(2, e)));
      assert.deepEqual(s.lastEntry(1), { entryId: 499, lastAddConfirmed: 498, timestamp: entryTime(1, 499) });
      await addEntries(s, 1, 500, 600);
      await s.close();
      s = await openStorage(dir);
      assert.equal((await collect(s.readRange(1))).length, 600);
      await s.close();
    });
  });

  it('acknowledges an add only after its group commit was fsynced, batching concurrent adds', async () => {
    await withDir(async (dir) => {
      const s = await NodeStorage.open({ dataDir: dir, logger: () => {} });
      await s.addEntry(makeEntry(1, 0));
      assert.equal(s.stats().fsyncs, 1);
      assert.ok(s.stats().lastFsyncDuration > 0);
      await addEntries(s, 1, 1, 201);
      const fsyncs = s.stats().fsyncs - 1;
      assert.ok(fsyncs >= 1 && fsyncs < 50, `${fsyncs} fsyncs for 200 concurrent adds: no group commit`);
      await s.close();
    });
  });

  it('cuts a batch at maxBatchBytes, at maxBatchDelay on the injected clock, and when the queue drains', async () => {
    // How many event-loop turns a batch's write takes depends on the machine's
    // load, so each trigger is tested alone (the other limit out of reach) and
    // adds go on, one per turn, until it has cut three batches or 2000 adds went by.
    let now = 0;
    const clock: Clock = { now: () => now, setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
    const addPerTurn = async (s: NodeStorage, tick: number, done: () => boolean): Promise<void> => {
      const adds: Promise<void>[] = [];
      for (let e = 0; e < 2000 && !done(); e++) {
        adds.push(s.addEntry(makeEntry(1, e)));
        now += tick;
        await new Promise((r) => setImmediate(r));
      }
      await Promise.all(adds);
    };
    await withDir(async (dir) => {
      // The clock stands still and the queue never drains: only the bytes cut batches.
      await using s = await openStorage(dir, { clock, maxBatchBytes: 1000, maxBatchDelay: 1e9 });
      await addPerTurn(s, 0, () => s.stats().flushes.maxBatchBytes >= 3);
      const f = s.stats().flushes;
      assert.ok(f.maxBatchBytes >= 3 && f.maxBatchDelay === 0 && f.queueDrained === 0, `flushes ${JSON.stringify(f)}: one add a turn with maxBatchBytes 1000`);
    });
    await withDir(async (dir) => {
      // The clock jumps past the delay every turn, the bytes limit is out of reach: only the delay cuts them.
      await using s = await openStorage(dir, { clock, maxBatchBytes: 1e9, maxBatchDelay: 5 });
      await addPerTurn(s, 10, () => s.stats().flushes.maxBatchDelay >= 3);
      const f = s.stats().flushes;
      assert.ok(f.maxBatchDelay >= 3 && f.maxBatchBytes === 0 && f.queueDrained === 0, `flushes ${JSON.stringify(f)}: one add a turn, each 10 ms later, with maxBatchDelay 5`);
      // A lone add goes as soon as a turn brings nothing more, the clock standing still.
      await s.addEntry(makeEntry(2, 0));
      assert.deepEqual(s.stats().flushes, { ...f, queueDrained: 1 });
    });
  });

  it('writes an add that reaches a journal idle for a turn in the turn it came (journalIdle); an add right after a batch waits a turn as before', async () => {
    // The clock stands still, so maxBatchDelay never cuts a batch however slow the machine's turns are.
    const clock: Clock = { now: () => 0, setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
    await withDir(async (dir) => {
      await using s = await openStorage(dir, { clock });
      const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
      const start = s.stats().flushes;
      const first = s.addEntry(makeEntry(1, 0));
      // This turn's check phase: the group commit looked once, after the add's own look.
      await turn();
      assert.deepEqual(s.stats().flushes, { ...start, journalIdle: start.journalIdle + 1 }, 'an add to an idle journal goes at once');
      await first;
      // Within the turn the batch ended in: the journal is not idle yet, so this add waits for a turn without another.
      const second = s.addEntry(makeEntry(1, 1));
      await turn();
      assert.deepEqual(s.stats().flushes, { ...start, journalIdle: start.journalIdle + 1 }, 'an add right after a batch waits');
      await second;
      assert.deepEqual(s.stats().flushes, { ...start, journalIdle: start.journalIdle + 1, queueDrained: start.queueDrained + 1 });
      // Once a whole turn went by with nothing to write, the next add goes at once again.
      await turn();
      await turn();
      await s.addEntry(makeEntry(1, 2));
      assert.equal(s.stats().flushes.journalIdle, start.journalIdle + 2);
    });
  });

  it('treats a repeated add with the same bytes as done, and refuses different bytes', async () => {
    await withDir(async (dir) => {
      const s = await openStorage(dir);
      const e = makeEntry(3, 0);
      // Concurrent duplicates share the first add's commit.
      await Promise.all([s.addEntry(e), s.addEntry({ ...e, data: Buffer.from(e.data) })]);
      await s.addEntry(e);
      await assert.rejects(s.addEntry({ ...e, data: Buffer.from('other') }), EntryConflictError);
      await assert.rejects(s.addEntry({ ...e, lastAddConfirmed: 5 }), (err: EntryConflictError) => err.code === 'ENTRY_CONFLICT');
      await s.close();
      const again = await openStorage(dir);
      assert.equal((await collect(again.readRange(3))).length, 1);
      await again.close();
    });
  });

  it('fences: later adds are refused except recovery adds, and the fence survives a reopen', async () => {
    await withDir(async (dir) => {
      let s = await openStorage(dir);
      await addEntries(s, 1, 0, 5);
      assert.equal(s.isFenced(1), false);
      const pending = s.addEntry(makeEntry(1, 5)); // queued before the fence: it is in the journal first
      assert.deepEqual(await s.fence(1), { lastEntryId: 5, lastAddConfirmed: 4 });
      await pending;
      assert.equal(s.isFenced(1), true);
      await assert.rejects(s.addEntry(makeEntry(1, 6)), (err: SegmentFencedError) => err instanceof SegmentFencedError && err.code === 'SEGMENT_FENCED' && err.segmentId === 1);
      await s.addEntry(makeEntry(1, 6), { recovery: true });
      // Fencing a segment this node never held records it too (a recovery fences the whole ensemble).
      assert.deepEqual(await s.fence(7), { lastEntryId: -1, lastAddConfirmed: -1 });
      await s.close();

      s = await openStorage(dir);
      assert.equal(s.isFenced(1), true);
      assert.equal(s.isFenced(7), true);
      assert.equal(s.isFenced(2), false);
      assert.deepEqual(s.segments(), [1, 7]);
      await assert.rejects(s.addEntry(makeEntry(1, 7)), SegmentFencedError);
      assert.equal(s.lastEntry(1)?.entryId, 6);
      await s.close();
      // And after the journal that held the fence is gone (the reopen checkpointed): the segment file keeps it.
      s = await openStorage(dir);
      assert.equal(s.isFenced(1), true);
      assert.equal(s.isFenced(7), true);
      await s.close();
    });
  });

  it('reads ranges by entry and by time, in entry order, with a limit', async () => {
    await withDir(async (dir) => {
      const s = await openStorage(dir);
      // Added out of order, as a repair would: reads still come in entry order.
      const ids = Array.from({ length: 1000 }, (_, i) => i).reverse();
      await Promise.all(ids.map((e) => s.addEntry(makeEntry(4, e))));
      const ids4 = async (range: Parameters<NodeStorage['readRange']>[1]): Promise<number[]> => (await collect(s.readRange(4, range))).map((x) => x.entryId);
      assert.deepEqual(await ids4({ fromEntry: 10, toEntry: 14 }), [10, 11, 12, 13, 14]);
      assert.deepEqual(await ids4({ fromTime: entryTime(4, 300), toTime: entryTime(4, 303) }), [300, 301, 302, 303]);
      assert.deepEqual(await ids4({ fromTime: entryTime(4, 300) + 1, toTime: entryTime(4, 303) - 1 }), [301, 302]);
      assert.deepEqual(await ids4({ fromTime: entryTime(4, 990), limit: 3 }), [990, 991, 992]);
      assert.deepEqual(await ids4({ fromEntry: 995, fromTime: entryTime(4, 100) }), [995, 996, 997, 998, 999]);
      assert.deepEqual(await ids4({ toTime: entryTime(4, 0) - 1 }), []);
      assert.deepEqual(await ids4({ fromTime: entryTime(4, 999) + 1 }), []);
      assert.deepEqual(await ids4({ limit: 0 }), []);
      const all = await collect(s.readRange(4));
      assert.deepEqual(all, Array.from({ length: 1000 }, (_, e) => makeEntry(4, e)));
      assert.deepEqual(await collect(s.readRange(99)), []);
      await s.close();
    });
  });

  it('serves entries a node holds with gaps (a striped ensemble), skipping the missing ones', async () => {
    await withDir(async (dir) => {
      const s = await openStorage(dir);
      for (let e = 0; e < 300; e += 3) await s.addEntry(makeEntry(5, e));
      const got = (await collect(s.readRange(5, { fromTime: entryTime(5, 100), toTime: entryTime(5, 120) }))).map((x) => x.entryId);
      assert.deepEqual(got, [102, 105, 108, 111, 114, 117, 120]);
      assert.equal(await s.readEntry(5, 101), undefined);
      await s.close();
    });
  });

  it('rejects a timestamp that would decrease within the segment', async () => {
    await withDir(async (dir) => {
      const s = await openStorage(dir);
      await s.addEntry({ ...makeEntry(6, 0), timestamp: 100 });
      await s.addEntry({ ...makeEntry(6, 5), timestamp: 200 });
      await assert.rejects(s.addEntry({ ...makeEntry(6, 1), timestamp: 99 }), BadArgumentsError);
      await assert.rejects(s.addEntry({ ...makeEntry(6, 6), timestamp: 150 }), /before entry 5/);
      await assert.rejects(s.addEntry({ ...makeEntry(6, 3), timestamp: 201 }), /after entry 5/);
      await s.addEntry({ ...makeEntry(6, 3), timestamp: 150 });
      await s.addEntry({ ...makeEntry(6, 6), timestamp: 200 }); // equal is not a decrease
      await s.close();
    });
  });

  it('rejects invalid arguments before any I/O', async () => {
    await withDir(async (dir) => {
      await assert.rejects(NodeStorage.open({ dataDir: '' }), BadArgumentsError);
      await assert.rejects(NodeStorage.open({ dataDir: dir, maxBatchDelay: -1 }), BadArgumentsError);
      const s = await openStorage(dir, { maxEntrySize: 100 });
      const e = makeEntry(1, 0);
      for (const bad of [
        { ...e, segmentId: -1 },
        { ...e, segmentId: 1.5 },
        { ...e, entryId: Number.MAX_SAFE_INTEGER + 1 },
        { ...e, timestamp: Number.NaN },
        { ...e, lastAddConfirmed: -2 },
        { ...e, data: 'text' as unknown as Buffer },
        { ...e, data: Buffer.alloc(101) },
      ]) {
        await assert.rejects(s.addEntry(bad), BadArgumentsError, JSON.stringify({ ...bad, data: undefined }));
      }
      await assert.rejects(s.fence(-1), BadArgumentsError);
      await assert.rejects(s.readEntry(1, -1), BadArgumentsError);
      await assert.rejects(collect(s.readRange(1, { limit: -1 })), BadArgumentsError);
      await assert.rejects(s.deleteSegment(Number.NaN), BadArgumentsError);
      assert.deepEqual(s.segments(), []);
      await s.close();
      await assert.rejects(s.addEntry(e), (err: unknown) => err instanceof InvalidStateError && err.message === `log storage ${dir}: closed`);
      await assert.rejects(s.readEntry(1, 0), InvalidStateError);
    });
  });

  it('reports a file system failure as a HerdError with the cause, never a bare Node error', async () => {
    await withDir(async (dir) => {
      // A data directory that is a file: every open under it fails with ENOTDIR.
      const file = join(dir, 'not-a-dir');
      await writeFile(file, 'x');
      await assert.rejects(openStorage(file), (err: unknown) => {
        assert.ok(err instanceof StorageFailedError, String(err));
        assert.equal(err.code, 'STORAGE_FAILED');
        assert.match(err.message, new RegExp(`log storage ${file}: open: `));
        assert.equal((err.cause as NodeJS.ErrnoException).code, 'ENOTDIR');
        return true;
      });
    });
  });

  it('deletes a segment durably, and the id can be used again', async () => {
    await withDir(async (dir) => {
      let s = await openStorage(dir);
      await addEntries(s, 1, 0, 20);
      await addEntries(s, 2, 0, 20);
      await s.fence(2);
      await s.deleteSegment(2);
      assert.deepEqual(s.segments(), [1]);
      assert.equal(await s.readEntry(2, 0), undefined);
      assert.equal(s.isFenced(2), false);
      await s.deleteSegment(42); // not held: nothing to do
      await s.close();
      // The journal still holds adds, the fence and the delete of segment 2: replay must end with it deleted.
      s = await openStorage(dir);
      assert.deepEqual(s.segments(), [1]);
      await s.addEntry(makeEntry(2, 0));
      assert.deepEqual(await s.readEntry(2, 0), makeEntry(2, 0));
      await s.close();
    });
  });

  it('has an instance id that stays with the data directory and changes when it is wiped', async () => {
    await withDir(async (dir) => {
      let s = await openStorage(dir);
      const id = s.instanceId;
      assert.match(id, /^[0-9a-f-]{36}$/);
      assert.equal((await readFile(join(dir, 'instance-id'), 'utf8')).trim(), id);
      await s.close();
      s = await openStorage(dir);
      assert.equal(s.instanceId, id);
      await s.close();
      await rm(dir, { recursive: true });
      s = await openStorage(dir);
      assert.notEqual(s.instanceId, id);
      await s.close();
    });
  });

  it('rolls journal files at checkpoints and replays nothing twice', async () => {
    await withDir(async (dir) => {
      let s = await openStorage(dir, { journalFileSize: 16 * 1024 });
      for (let e = 0; e < 2000; e += 100) await addEntries(s, 1, e, e + 100);
      await s.close();
      s = await openStorage(dir, { journalFileSize: 16 * 1024 });
      const all = await collect(s.readRange(1));
      assert.deepEqual(all.map((x) => x.entryId), Array.from({ length: 2000 }, (_, e) => e));
      for (const x of all) assert.deepEqual(x.data, entryData(1, x.entryId));
      await s.close();
    });
  });
});
