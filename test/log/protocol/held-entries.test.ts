/**
 * HELD_ENTRIES (kind 10): the codecs round-trip, malformed bodies are
 * refused with BadRequestError naming the field, and the storage answers
 * what it holds, as ranges, leaving out a copy a scrub (`verify`) finds
 * corrupt.
 */
import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { JuteReader } from '../../../src/jute/reader.js';
import { JuteWriter } from '../../../src/jute/writer.js';
import { BadRequestError } from '../../../src/log/errors.js';
import { Messages, messageOfKind } from '../../../src/log/protocol/index.js';
import { MAX_HELD_RANGES, type HeldEntriesReply } from '../../../src/log/protocol/messages/held-entries.js';
import { addEntries, entryData, openStorage, withDir } from '../storage/support.js';

const { request, reply } = Messages.HeldEntries;

function bytes(write: (w: JuteWriter) => void): Buffer {
  const w = new JuteWriter(64);
  write(w);
  return Buffer.from(w.take());
}

function refused(body: Buffer, codec: { read(r: JuteReader): unknown }, field: RegExp): void {
  assert.throws(() => codec.read(new JuteReader(body)), (e: unknown) => e instanceof BadRequestError && field.test(e.message));
}

describe('log protocol: HELD_ENTRIES', () => {
  it('is kind 10 in the one table, and its bodies round-trip', () => {
    assert.equal(messageOfKind(10), Messages.HeldEntries);
    const req = { segmentId: 7, fromEntry: 3, toEntry: 90, verify: true };
    assert.deepEqual(request.read(new JuteReader(bytes((w) => request.write(w, req)))), req);
    for (const rep of [
      { ranges: [], next: -1 },
      { ranges: [[0, 0], [2, 9], [2 ** 40, 2 ** 40 + 5]], next: -1 },
      { ranges: [[4, 4]], next: 6 },
    ] as HeldEntriesReply[]) {
      assert.deepEqual(reply.read(new JuteReader(bytes((w) => reply.write(w, rep)))), rep);
    }
  });

  it('refuses malformed requests: negative ids, toEntry before fromEntry, a truncated body', () => {
    refused(bytes((w) => w.longNumber(-1).longNumber(0).longNumber(0).bool(false)), request, /segmentId/);
    refused(bytes((w) => w.longNumber(1).longNumber(-5).longNumber(0).bool(false)), request, /fromEntry/);
    refused(bytes((w) => w.longNumber(1).longNumber(9).longNumber(3).bool(false)), request, /toEntry 3 before fromEntry 9/);
    assert.throws(() => request.read(new JuteReader(bytes((w) => w.longNumber(1).longNumber(0))))); // no toEntry
  });

  it('refuses malformed replies: ranges out of order, overlapping, touching or reversed, a count too large for the body, a next inside the ranges', () => {
    const ranges = (list: [number, number][], next = -1): Buffer =>
      bytes((w) => {
        w.int(list.length);
        for (const [a, b] of list) w.longNumber(a).longNumber(b);
        w.longNumber(next);
      });
    refused(ranges([[5, 9], [1, 2]]), reply, /range \[1, 2\]/);
    refused(ranges([[1, 5], [5, 9]]), reply, /range \[5, 9\]/);
    refused(ranges([[1, 5], [6, 9]]), reply, /touching/);
    refused(ranges([[9, 5]]), reply, /range \[9, 5\]/);
    refused(ranges([[1, 5]], 3), reply, /next 3/);
    refused(bytes((w) => w.int(MAX_HELD_RANGES + 1)), reply, /count/);
    refused(bytes((w) => w.int(1000).longNumber(1)), reply, /count 1000 needs/);
    refused(bytes((w) => w.int(-1)), reply, /count/);
  });

  it('the storage answers its entries as ranges, cut at `max` with where to go on, and a scrub leaves out a copy corrupted on disk', async () => {
    await withDir(async (dir) => {
      let s = await openStorage(dir);
      await addEntries(s, 3, 0, 10);
      await addEntries(s, 3, 15, 20);
      assert.deepEqual(await s.heldEntries(3, { fromEntry: 0, toEntry: 100 }, 10), { ranges: [[0, 9], [15, 19]], next: -1 });
      assert.deepEqual(await s.heldEntries(3, { fromEntry: 5, toEntry: 16 }, 10), { ranges: [[5, 9], [15, 16]], next: -1 });
      assert.deepEqual(await s.heldEntries(3, { fromEntry: 0, toEntry: 100 }, 1), { ranges: [[0, 9]], next: 15 });
      assert.deepEqual(await s.heldEntries(4, { fromEntry: 0, toEntry: 100 }, 10), { ranges: [], next: -1 }, 'a segment it never saw: nothing, not an error');
      await s.close();
      s = await openStorage(dir); // the checkpoint moves the entries out of the journal
      try {
        // Damage entry 4's data behind the running storage's back: only reading it can tell.
        const path = join(dir, 'segments', '3.seg');
        const fh = await open(path, 'r+');
        const file = await fh.readFile();
        const at = file.indexOf(entryData(3, 4));
        assert.ok(at > 0);
        await fh.write(Buffer.from([file[at]! ^ 0x10]), 0, 1, at);
        await fh.close();
        assert.deepEqual((await s.heldEntries(3, { fromEntry: 0, toEntry: 100 }, 10)).ranges, [[0, 9], [15, 19]], 'without verify: the index says held');
        assert.deepEqual((await s.heldEntries(3, { fromEntry: 0, toEntry: 100, verify: true }, 10)).ranges, [[0, 3], [5, 9], [15, 19]], 'the scrub found entry 4 corrupt');
        assert.deepEqual((await s.heldEntries(3, { fromEntry: 0, toEntry: 100 }, 10)).ranges, [[0, 3], [5, 9], [15, 19]], 'and it stays missing');
      } finally {
        await s.close();
      }
    });
  });
});
