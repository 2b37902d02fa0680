/** The shared-string table a server's readers decode paths with (src/jute/string-table.ts). */
import assert from 'node:assert/strict';
import test from 'node:test';
import { JuteReader } from '../../src/jute/reader.js';
import { StringTable } from '../../src/jute/string-table.js';
import { JuteWriter } from '../../src/jute/writer.js';

function encoded(...strings: string[]): Buffer {
  const w = new JuteWriter();
  for (const s of strings) w.ustring(s);
  return w.take();
}

test('equal bytes decode to the same string; different bytes never to a shared one', () => {
  // A 2-slot table: most of these collide, and every answer must still be the string of its own bytes.
  const table = new StringTable(2);
  const paths = ['/a', '/b', '/bench/n000001', '/bench/n000002', '', '/\u0000', '/a/b/c', '/b'];
  const r = new JuteReader(encoded(...paths, ...paths));
  r.strings = table;
  const first = paths.map(() => r.string());
  const second = paths.map(() => r.string());
  assert.deepEqual(first, paths);
  assert.deepEqual(second, paths);
});

test('a repeated path comes back as the stored string', () => {
  const table = new StringTable();
  const bytes = encoded('/app/config');
  const a = table.decode(bytes, 4, bytes.length);
  const b = table.decode(Buffer.from(bytes), 4, bytes.length);
  assert.equal(a, '/app/config');
  assert.equal(b, a);
  // Not a proof of identity (strings have none in JS), but a different string in the slot must not be returned.
  const other = encoded('/app/confih');
  assert.equal(table.decode(other, 4, other.length), '/app/confih');
  assert.equal(table.decode(bytes, 4, bytes.length), '/app/config');
});

test('non-ASCII and long strings decode as UTF-8', () => {
  const table = new StringTable(8);
  const long = `/${'x'.repeat(300)}`;
  for (const s of ['/zn\u00f6de', '/\u{1f600}', long, '/caf\u00e9']) {
    const bytes = encoded(s);
    assert.equal(table.decode(bytes, 4, bytes.length), s);
    assert.equal(table.decode(bytes, 4, bytes.length), s);
  }
});

test('the size must be a power of two', () => {
  assert.throws(() => new StringTable(3), RangeError);
  assert.throws(() => new StringTable(0), RangeError);
});
