import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  apply,
  decodeEntry,
  decodeSnapshot,
  encodeEntry,
  encodeSnapshot,
  INITIAL_CHECKSUM,
  TablesState,
  type TransactionEntry,
} from '../../../src/tables/state/index.js';
import { CorruptSnapshotError, CorruptTransactionError } from '../../../src/tables/errors.js';

/** The pure state machine: no log, no server (docs/tables.md, "How it works"). */

const defs = {
  items: { key: 'sku', indexes: ['category', 'qty'], maxRowBytes: 200 },
  accounts: { key: 'id' },
} as const;

const pos = (entryId: number, segmentId = 1) => ({ segmentId, entryId });
const entry = (e: Partial<TransactionEntry>): Buffer => encodeEntry({ id: 't', reads: [], writes: [], ...e });
const put = (row: Record<string, unknown>, table = 'items') => ({ op: 'put' as const, table, row });

describe('tables state machine', () => {
  it('round-trips entries and refuses what it did not write', () => {
    const e: TransactionEntry = {
      id: 'n1/7',
      reads: [{ table: 'items', key: 'A', version: -1 }, { table: 'items', key: 2, version: pos(3, 9) }],
      writes: [put({ sku: 'A', qty: 1 }), { op: 'delete', table: 'items', key: 2 }],
    };
    assert.deepEqual(decodeEntry(encodeEntry(e)), e);
    assert.throws(() => decodeEntry(Buffer.from([0xc1])), CorruptTransactionError);
    assert.throws(() => decodeEntry(Buffer.from([0x93, 1, 2, 3])), CorruptTransactionError);
  });

  it('commits, then detects a conflict on a changed read version', () => {
    const s = new TablesState(defs);
    const r1 = apply(entry({ reads: [{ table: 'items', key: 'A', version: -1 }], writes: [put({ sku: 'A', qty: 5, category: 'tools' })] }), pos(0), s);
    assert.equal(r1.outcome, 'committed');
    assert.deepEqual(s.get('items', 'A'), { row: { sku: 'A', qty: 5, category: 'tools' }, version: pos(0) });
    // A second transaction that also saw A absent loses.
    const r2 = apply(entry({ reads: [{ table: 'items', key: 'A', version: -1 }], writes: [put({ sku: 'A', qty: 9 })] }), pos(1), s);
    assert.deepEqual(r2, { outcome: 'conflict', position: pos(1), id: 't', table: 'items', key: 'A' });
    assert.equal(s.get('items', 'A')!.row.qty, 5);
    // One that saw version 0 wins.
    const r3 = apply(entry({ reads: [{ table: 'items', key: 'A', version: pos(0) }], writes: [{ op: 'delete', table: 'items', key: 'A' }] }), pos(2), s);
    assert.equal(r3.outcome, 'committed');
    assert.equal(s.get('items', 'A'), undefined);
    assert.equal(s.position?.entryId, 2);
  });

  it('rejects unknown tables, bad keys and oversized rows, writing nothing', () => {
    const s = new TablesState(defs);
    for (const bad of [
      entry({ writes: [put({ sku: 'ok' }), put({ x: 1 }, 'nope')] }),
      entry({ writes: [put({ sku: 'ok' }), put({ sku: { no: 1 } })] }),
      entry({ writes: [put({ sku: 'ok' }), put({ sku: 'big', pad: 'x'.repeat(300) })] }),
    ]) {
      const r = apply(bad, pos(s.position === null ? 0 : s.position.entryId + 1), s);
      assert.equal(r.outcome, 'rejected');
      assert.equal(s.size('items'), 0);
    }
  });

  it('keeps secondary indexes sorted for equality and range queries', () => {
    const s = new TablesState(defs);
    const rows = [
      { sku: 'a', category: 'tools', qty: 3 },
      { sku: 'b', category: 'food', qty: 1 },
      { sku: 'c', category: 'tools', qty: 7 },
      { sku: 'd', category: 'toys', qty: 5 },
    ];
    apply(entry({ writes: rows.map((r) => put(r)) }), pos(0), s);
    const keys = (q: Parameters<TablesState['query']>[1]) => s.query('items', q).map((r) => r.row.sku);
    assert.deepEqual(keys({ index: 'category', eq: 'tools' }), ['a', 'c']);
    assert.deepEqual(keys({ index: 'qty', gte: 3, lt: 7 }), ['a', 'd']);
    assert.deepEqual(keys({ index: 'qty', lt: 4 }), ['b', 'a']);
    apply(entry({ writes: [put({ sku: 'c', category: 'food', qty: 0 })] }), pos(1), s);
    assert.deepEqual(keys({ index: 'category', eq: 'tools' }), ['a']);
    assert.deepEqual(keys({ index: 'qty', gte: 0, lt: 2 }), ['c', 'b']);
  });

  it('snapshots round-trip with position and checksum, and a corrupt one is refused', () => {
    const s = new TablesState(defs);
    apply(entry({ writes: [put({ sku: 'a', category: 'x', qty: 1 }), put({ id: 1, balance: 10 }, 'accounts')] }), pos(0), s);
    const bytes = encodeSnapshot(s);
    const t = decodeSnapshot(bytes, defs);
    assert.deepEqual(t.position, s.position);
    assert.equal(t.checksum, s.checksum);
    assert.deepEqual(t.rows('items'), s.rows('items'));
    assert.deepEqual(t.query('items', { index: 'category', eq: 'x' }), s.query('items', { index: 'category', eq: 'x' }));
    assert.ok(encodeSnapshot(t).equals(bytes));
    const corrupt = Buffer.from(bytes);
    corrupt[5] ^= 0xff;
    assert.throws(() => decodeSnapshot(corrupt, defs), CorruptSnapshotError);
  });

  it('same entries in the same order give equal checksums and contents (property)', () => {
    const key = fc.constantFrom('a', 'b', 'c', 1, 2);
    const version = fc.oneof(fc.constant(-1 as const), fc.record({ segmentId: fc.constant(1), entryId: fc.nat(20) }));
    const write = fc.oneof(
      fc.record({ op: fc.constant('put' as const), table: fc.constant('items'), row: fc.record({ sku: key, category: fc.constantFrom('x', 'y'), qty: fc.integer() }) }),
      fc.record({ op: fc.constant('delete' as const), table: fc.constant('items'), key }),
    );
    const tx = fc.record({
      id: fc.string(),
      reads: fc.array(fc.record({ table: fc.constant('items'), key, version }), { maxLength: 3 }),
      writes: fc.array(write, { maxLength: 4 }),
    });
    fc.assert(
      fc.property(fc.array(tx, { maxLength: 30 }), (txs) => {
        const a = new TablesState(defs);
        const b = new TablesState(defs);
        const bytes = txs.map((t) => encodeEntry(t));
        const outcomes = bytes.map((e, i) => [apply(e, pos(i), a).outcome, apply(e, pos(i), b).outcome]);
        for (const [x, y] of outcomes) assert.equal(x, y);
        assert.equal(a.checksum, b.checksum);
        assert.ok(encodeSnapshot(a).equals(encodeSnapshot(b)));
        if (txs.length > 0) assert.notEqual(a.checksum, INITIAL_CHECKSUM);
      }),
      { numRuns: 100 },
    );
  });
});
