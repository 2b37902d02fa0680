import { setTimeout as sleep } from 'node:timers/promises';
import assert from 'node:assert/strict';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CorruptEntryError, CorruptStorageError } from '../../../src/log/storage/index.js';
import { encodeEntry, ENTRY_BODY, RECORD_HEADER } from '../../../src/log/storage/record.js';
import { addEntries, collect, entryData, makeEntry, openStorage, withDir } from './support.js';

/**
 * Damaged files: a torn journal tail is cut off, a bit flip anywhere else
 * in the journal refuses to open (naming file and offset), and a bit flip
 * in a segment file costs that one entry, reported and served as missing
 * until a good copy is added.
 */

const MAGIC = 8;

/** The offset of entry `index` (0-based, in the order written) in a file of consecutive entry records of one segment. */
function recordOffset(segmentId: number, entryIds: number[], index: number): number {
  let at = MAGIC;
  for (let i = 0; i < index; i++) at += RECORD_HEADER + ENTRY_BODY + entryData(segmentId, entryIds[i]!).length;
  return at;
}

async function journalFile(dir: string): Promise<string> {
  const names = (await readdir(join(dir, 'journal'))).sort();
  assert.equal(names.length, 1, `journal files: ${names.join(', ')}`);
  return join(dir, 'journal', names[0]!);
}

async function flipByte(path: string, offset: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, offset);
    b[0]! ^= 0x10;
    await fh.write(b, 0, 1, offset);
  } finally {
    await fh.close();
  }
}

const ids = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('log storage: damaged files', () => {
  it('refuses to open when a journal record in the middle fails its checksum, naming file and offset', async () => {
    await withDir(async (dir) => {
      const s = await openStorage(dir);
      for (let e = 0; e < 20; e++) await s.addEntry(makeEntry(1, e));
      await s.close(); // close does not checkpoint: the journal keeps the 20 records
      const file = await journalFile(dir);
      const bad = recordOffset(1, ids(20), 10);
      await flipByte(file, bad + RECORD_HEADER + ENTRY_BODY); // first data byte of entry 10
      await assert.rejects(openStorage(dir), (err: CorruptStorageError) => {
        assert.ok(err instanceof CorruptStorageError);
        assert.equal(err.code, 'CORRUPT_STORAGE');
        assert.equal(err.file, file);
        assert.equal(err.offset, bad);
        assert.match(err.message, new RegExp(`${file}.*offset ${bad}.*checksum`));
        return true;
      });
    });
  });

  it('refuses a journal file whose magic is damaged', async () => {
    await withDir(async (dir) => {
      const s = await openStorage(dir);
      await s.addEntry(makeEntry(1, 0));
      await s.close();
      const file = await journalFile(dir);
      await flipByte(file, 2);
      await assert.rejects(openStorage(dir), (err: CorruptStorageError) => err instanceof CorruptStorageError && err.offset === 0 && err.file === file);
    });
  });

  it('truncates a torn tail of the newest journal file, which was never acknowledged, and goes on', async () => {
    await withDir(async (dir) => {
      let s = await openStorage(dir);
      for (let e = 0; e < 10; e++) await s.addEntry(makeEntry(1, e));
      await s.close();
      const file = await journalFile(dir);
      // Half of the record of entry 10, as a crash in the middle of its batch's write leaves it.
      const end = recordOffset(1, ids(11), 10);
      const torn = encodeEntry(1, 10, makeEntry(1, 10).timestamp, 9, entryData(1, 10));
      const fh = await open(file, 'r+');
      await fh.write(torn, 0, torn.length >> 1, end);
      await fh.close();

      const messages: string[] = [];
      s = await openStorage(dir, { logger: (m) => messages.push(m) });
      assert.ok(messages.some((m) => m.includes('torn tail') && m.includes(`offset ${end}`) && m.includes(file)), messages.join('\n'));
      assert.equal(await s.readEntry(1, 10), undefined);
      assert.deepEqual((await collect(s.readRange(1))).map((e) => e.entryId), ids(10));
      // Appends go on where the good data ended, and survive the next reopen.
      await s.addEntry(makeEntry(1, 10));
      await s.close();
      s = await openStorage(dir);
      assert.deepEqual(await collect(s.readRange(1)), ids(11).map((e) => makeEntry(1, e)));
      await s.close();
    });
  });

  it('serves a bit-flipped segment entry as missing (CorruptEntryError naming file and offset), the others as they were', async () => {
    await withDir(async (dir) => {
      let s = await openStorage(dir);
      await addEntries(s, 1, 0, 20);
      await s.close();
      s = await openStorage(dir); // checkpoint: the journal no longer holds the entries
      await s.close();
      const seg = join(dir, 'segments', '1.seg');
      const bad = recordOffset(1, ids(20), 7);
      await flipByte(seg, bad + RECORD_HEADER + ENTRY_BODY + 1);

      const messages: string[] = [];
      s = await openStorage(dir, { logger: (m) => messages.push(m) });
      assert.ok(messages.some((m) => m.includes(seg) && m.includes(`offset ${bad}`) && m.includes('entry 7')), messages.join('\n'));
      await assert.rejects(s.readEntry(1, 7), (err: CorruptEntryError) => {
        assert.ok(err instanceof CorruptEntryError);
        assert.equal(err.code, 'CORRUPT_ENTRY');
        assert.equal(err.file, seg);
        assert.equal(err.offset, bad);
        assert.equal(err.entryId, 7);
        return true;
      });
      for (const e of [0, 6, 8, 19]) assert.deepEqual(await s.readEntry(1, e), makeEntry(1, e));
      // A range read yields what comes before the bad copy, then throws.
      const seen: number[] = [];
      await assert.rejects(
        (async () => {
          for await (const x of s.readRange(1)) seen.push(x.entryId);
        })(),
        CorruptEntryError,
      );
      assert.deepEqual(seen, ids(7));
      assert.deepEqual((await collect(s.readRange(1, { fromEntry: 8 }))).map((x) => x.entryId), ids(20).slice(8));

      // Repair: a good copy from a replica replaces the bad one, also after a reopen.
      await s.addEntry(makeEntry(1, 7));
      assert.deepEqual(await s.readEntry(1, 7), makeEntry(1, 7));
      await s.close();
      s = await openStorage(dir);
      assert.deepEqual(await collect(s.readRange(1)), ids(20).map((e) => makeEntry(1, e)));
      await s.close();
    });
  });

  it('checks the CRC on every read: a copy damaged while open is never returned', async () => {
    await withDir(async (dir) => {
      const s = await openStorage(dir);
      await addEntries(s, 2, 0, 5);
      // Adds are acknowledged once journaled; the segment file takes them
      // afterwards, off the ack path: wait until it holds entries 0..4.
      const seg = join(dir, 'segments', '2.seg');
      const full = recordOffset(2, ids(6), 5);
      const deadline = Date.now() + 10_000;
      while ((await stat(seg).catch(() => ({ size: 0 }))).size < full && Date.now() < deadline) await sleep(5);
      assert.equal((await stat(seg)).size, full);
      const bad = recordOffset(2, ids(5), 3);
      await flipByte(seg, bad + RECORD_HEADER + ENTRY_BODY);
      await assert.rejects(s.readEntry(2, 3), (err: CorruptEntryError) => err instanceof CorruptEntryError && err.offset === bad);
      // Still missing on the next read, without touching the disk again.
      await assert.rejects(s.readEntry(2, 3), CorruptEntryError);
      assert.deepEqual(await s.readEntry(2, 4), makeEntry(2, 4));
      await s.close();
    });
  });

  it('refuses a segment file with a damaged magic', async () => {
    await withDir(async (dir) => {
      const s = await openStorage(dir);
      await s.addEntry(makeEntry(3, 0));
      await s.close();
      const seg = join(dir, 'segments', '3.seg');
      await flipByte(seg, 0);
      await assert.rejects(openStorage(dir), (err: CorruptStorageError) => err instanceof CorruptStorageError && err.file === seg && err.offset === 0);
      assert.ok((await readFile(seg)).length > 0, 'the damaged file is left for the operator');
    });
  });
});
