import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32c } from '../../../src/log/storage/crc32c.js';
import { shouldFlush, type FlushState } from '../../../src/log/storage/group-commit.js';
import { checkRecord, decodeRecord, encodeEntry, encodeMarker, RecordKind } from '../../../src/log/storage/record.js';
import { TimeIndex } from '../../../src/log/storage/time-index.js';

describe('log storage: CRC32C', () => {
  it('matches the RFC 3720 (iSCSI) test vectors and the check value', () => {
    assert.equal(crc32c(Buffer.alloc(32, 0)), 0x8a9136aa);
    assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
    assert.equal(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i))), 0x46dd794e);
    assert.equal(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i))), 0x113fdb5c);
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  });

  it('gives the same value for every split between the 16-byte loop, the 8-byte step and the tail', () => {
    const buf = Buffer.from('The quick brown fox jumps over the lazy dog, twice over.');
    for (let start = 0; start < 17; start++) {
      const slice = Buffer.from(buf.subarray(start));
      assert.equal(crc32c(buf, start), crc32c(slice));
    }
  });

  it('equals a bit-at-a-time CRC32C for every length up to 48 (two 16-byte steps, the 8-byte step, the tail) and every start up to 16', () => {
    const bitwise = (b: Uint8Array): number => {
      let c = ~0;
      for (const byte of b) {
        c ^= byte;
        for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      }
      return ~c >>> 0;
    };
    const buf = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 151 + 7) & 0xff));
    for (let start = 0; start <= 16; start++) {
      for (let length = 0; length <= 48; length++) assert.equal(crc32c(buf, start, start + length), bitwise(buf.subarray(start, start + length)), `start ${start} length ${length}`);
    }
  });
});

describe('log storage: record format', () => {
  it('round-trips entries and markers, and detects any flipped bit', () => {
    const rec = encodeEntry(2 ** 40, 7, -5, -1, Buffer.from('payload'));
    assert.equal(checkRecord(rec, 0), null);
    assert.deepEqual(decodeRecord(rec, 0), { kind: RecordKind.entry, segmentId: 2 ** 40, entryId: 7, timestamp: -5, lastAddConfirmed: -1, data: Buffer.from('payload') });
    const fence = encodeMarker(RecordKind.fence, 3);
    assert.equal(checkRecord(fence, 0), null);
    assert.equal(decodeRecord(fence, 0).kind, RecordKind.fence);
    for (let bit = 0; bit < rec.length * 8; bit++) {
      const bad = Buffer.from(rec);
      bad[bit >> 3]! ^= 1 << (bit & 7);
      assert.notEqual(checkRecord(bad, 0), null, `bit ${bit} flipped went unnoticed`);
    }
  });
});

describe('log storage: record layout', () => {
  it('writes 64-bit fields as big-endian two\'s complement, exact over the safe integer range', () => {
    const values = [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 12345, Number.MAX_SAFE_INTEGER];
    const signed = [...values, -1, -2, -(2 ** 32), -(2 ** 32) - 1, 1_700_000_000_123, Number.MIN_SAFE_INTEGER];
    for (const id of values) {
      for (const t of signed) {
        const rec = encodeEntry(id, id, t, t < -1 ? -1 : t, Buffer.from([0xab]));
        // The oracle: Node's own BigInt writers, with the header and checksum computed by hand.
        const body = Buffer.alloc(34);
        body[0] = RecordKind.entry;
        body.writeBigUInt64BE(BigInt(id), 1);
        body.writeBigUInt64BE(BigInt(id), 9);
        body.writeBigInt64BE(BigInt(t), 17);
        body.writeBigInt64BE(BigInt(t < -1 ? -1 : t), 25);
        body[33] = 0xab;
        const head = Buffer.alloc(8);
        head.writeUInt32BE(34, 0);
        head.writeUInt32BE(crc32c(body), 4);
        assert.deepEqual(rec, Buffer.concat([head, body]), `segment/entry ${id}, timestamp ${t}`);
        const d = decodeRecord(rec, 0);
        assert.deepEqual([d.segmentId, d.entryId, d.timestamp, d.lastAddConfirmed], [id, id, t, t < -1 ? -1 : t]);
      }
    }
    const marker = encodeMarker(RecordKind.delete, Number.MAX_SAFE_INTEGER);
    assert.equal(marker.subarray(9).toString('hex'), '001fffffffffffff');
    assert.equal(decodeRecord(marker, 0).segmentId, Number.MAX_SAFE_INTEGER);
  });
});

describe('log storage: shouldFlush', () => {
  const limits = { maxBatchDelay: 2, maxBatchBytes: 1000 };
  const base: FlushState = { queuedRecords: 3, queuedBytes: 300, oldestWaited: 0, arrivedSinceLastLook: 2, writing: false };
  const table: Array<[string, Partial<FlushState>, ReturnType<typeof shouldFlush>]> = [
    ['nothing queued', { queuedRecords: 0, queuedBytes: 0, arrivedSinceLastLook: 0 }, null],
    ['records still arriving, young, small', {}, null],
    ['bytes reach the limit', { queuedBytes: 1000 }, 'maxBatchBytes'],
    ['oldest waited the delay', { oldestWaited: 2 }, 'maxBatchDelay'],
    ['oldest waited past the delay', { oldestWaited: 50 }, 'maxBatchDelay'],
    ['a turn brought nothing new', { arrivedSinceLastLook: 0 }, 'queueDrained'],
    ['bytes win over delay', { queuedBytes: 5000, oldestWaited: 50 }, 'maxBatchBytes'],
    ['delay wins over drained', { oldestWaited: 3, arrivedSinceLastLook: 0 }, 'maxBatchDelay'],
    ['a batch is being written: wait for it', { writing: true, queuedBytes: 5000, oldestWaited: 50, arrivedSinceLastLook: 0 }, null],
  ];
  for (const [name, change, expected] of table) {
    it(`${name} -> ${String(expected)}`, () => {
      assert.equal(shouldFlush({ ...base, ...change }, limits), expected);
    });
  }
});

describe('log storage: sparse time index', () => {
  it('starts a read at the last sample older than the bound and ends at the first newer one', () => {
    const idx = new TimeIndex();
    // Entries 0..999 at time 1000 + 10 * id, noted out of order as repair copies may arrive.
    const ids = Array.from({ length: 1000 }, (_, i) => i).sort((a, b) => ((a * 7919) % 1000) - ((b * 7919) % 1000));
    for (const e of ids) idx.note(e, 1000 + 10 * e);
    assert.equal(idx.size, Math.ceil(1000 / 64));
    for (const t of [0, 1000, 1005, 1640, 1641, 5000, 10990, 20000]) {
      const start = idx.startFor(t);
      const firstMatch = Math.max(0, Math.ceil((t - 1000) / 10));
      assert.ok(start <= firstMatch, `startFor(${t}) = ${start} skips entry ${firstMatch}`);
      assert.ok(firstMatch - start <= 64 || firstMatch >= 1000, `startFor(${t}) = ${start} is more than a block before ${firstMatch}`);
      const end = idx.endFor(t);
      const lastMatch = Math.floor((t - 1000) / 10);
      assert.ok(end > lastMatch, `endFor(${t}) = ${end} cuts entry ${lastMatch}`);
    }
  });
});
