import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { crcBy8, crcTables } from '../../src/base/crc-tables.js';
import { crc32c } from '../../src/log/storage/crc32c.js';
import { recordCrc32 } from '../../src/server/storage/crc32.js';

describe('sliced CRC tables', () => {
  it("the txn log's CRC-32 equals zlib's on every length and offset, on both sides of the table/zlib cut", () => {
    const buf = randomBytes(4096);
    for (let start = 0; start < 24; start++) {
      for (let length = 0; length <= 600; length += length < 40 ? 1 : 37) {
        assert.equal(recordCrc32(buf, start, start + length), zlibCrc32(buf.subarray(start, start + length)), `start ${start} length ${length}`);
      }
    }
  });

  it('CRC32C by 16 equals the same CRC by 8 and byte by byte on every length', () => {
    const table = crcTables(0x82f63b78, 16);
    const byByte = (b: Uint8Array): number => {
      let c = ~0;
      for (const x of b) c = table[(c ^ x) & 0xff]! ^ (c >>> 8);
      return ~c >>> 0;
    };
    const buf = randomBytes(300);
    for (let length = 0; length <= 300; length++) {
      const part = buf.subarray(0, length);
      assert.equal(crc32c(part), byByte(part), `length ${length}`);
      assert.equal(~crcBy8(table, ~0, part, 0, length) >>> 0, byByte(part), `by 8, length ${length}`);
    }
    // RFC 3720 B.4: 32 bytes of zeros.
    assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  });
});
