/**
 * openTables on one node and on three in-process nodes sharing one
 * coordination server and one log: commit, conflict, retry, bad input,
 * convergence, session and linearizable reads, change streams, and a
 * primary change.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import {
  InvalidStateError,
  retry,
  RowTooLargeError,
  SchemaViolationError,
  TransactionConflictError,
  UnknownIndexError,
  UnknownTableError,
  type Change,
  type Tables,
} from '../../src/tables/index.js';
import { removeDirs } from '../log/node/support.js';
import { forEachTarget, waitFor } from '../support/targets.js';
import { startTablesEnv } from './support/harness.js';

after(removeDirs);

const T = 30_000;

/** A Standard Schema (v1) by hand: qty must be a non-negative number. */
const qtySchema = {
  '~standard': {
    version: 1 as const,
    vendor: 'test',
    validate: (v: unknown) =>
      typeof (v as { qty?: unknown }).qty === 'number' && (v as { qty: number }).qty >= 0
        ? { value: v }
        : { issues: [{ message: 'qty must be a non-negative number', path: ['qty'] }] },
  },
};

async function total(db: Tables): Promise<number> {
  let sum = 0;
  for (const row of db.rows('accounts')) sum += row.balance as number;
  return sum;
}

forEachTarget('tables', (target) => {
  it('one node: commit, conflict, retry, queries, bad input', { timeout: 60_000 }, async () => {
    await using env = await startTablesEnv(target(), 'single');
    const db = await env.openNode('n1', { tables: { items: { key: 'sku', indexes: ['category'], maxRowBytes: 200, schema: qtySchema }, accounts: { key: 'id' } } });
    const { position, result } = await db.transaction(async (tx) => {
      await tx.put('items', { sku: 'A1', qty: 3, category: 'tools' });
      await tx.put('items', { sku: 'B2', qty: 1, category: 'food' });
      return 'done';
    }, { timeout: T });
    assert.equal(result, 'done');
    assert.deepEqual(await db.get('items', 'A1'), { sku: 'A1', qty: 3, category: 'tools' });
    assert.deepEqual((await db.query('items', { index: 'category', eq: 'tools' })).map((r) => r.sku), ['A1']);
    assert.ok(db.status.position !== null && db.status.position.entryId >= position.entryId);

    // Two transactions read A1 at the same version; the second to apply conflicts.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = db.transaction(async (tx) => {
      const it = await tx.get('items', 'A1');
      await gate;
      await tx.put('items', { ...it!, qty: (it!.qty as number) - 1 });
    }, { timeout: T });
    await db.transaction(async (tx) => {
      const it = await tx.get('items', 'A1');
      await tx.put('items', { ...it!, qty: (it!.qty as number) + 10 });
    }, { timeout: T });
    release();
    await assert.rejects(slow, TransactionConflictError);
    assert.equal((await db.get('items', 'A1'))!.qty, 13);

    // retry reruns after the conflict and then commits.
    let runs = 0;
    let release2!: () => void;
    const gate2 = new Promise<void>((r) => (release2 = r));
    const retried = retry(() =>
      db.transaction(async (tx) => {
        runs++;
        const it = await tx.get('items', 'A1');
        if (runs === 1) await gate2;
        await tx.put('items', { ...it!, qty: (it!.qty as number) - 1 });
      }, { timeout: T }),
    );
    await db.transaction(async (tx) => tx.put('items', { ...(await tx.get('items', 'A1'))!, qty: 20 }), { timeout: T });
    release2();
    await retried;
    assert.equal(runs, 2);
    assert.equal((await db.get('items', 'A1'))!.qty, 19);

    // Bad input: typed errors, nothing sent.
    const before = db.status.position;
    await assert.rejects(db.transaction((tx) => tx.put('nope', { sku: 'x' })), UnknownTableError);
    await assert.rejects(db.transaction((tx) => tx.put('items', { sku: 'x', qty: -1 })), SchemaViolationError);
    await assert.rejects(db.transaction((tx) => tx.put('items', { sku: 'x', qty: 1, pad: 'x'.repeat(400) })), RowTooLargeError);
    await assert.rejects(db.transaction((tx) => tx.put('items', { qty: 1 })), SchemaViolationError);
    await assert.rejects(db.query('items', { index: 'qty', eq: 1 }), UnknownIndexError);
    await assert.rejects(db.get('nope', 'x'), UnknownTableError);
    assert.deepEqual(db.status.position, before);
    assert.equal(await db.get('items', 'x'), undefined);

    // Synchronous local reads: db.get's rows without a promise, and its errors thrown, not rejected.
    assert.equal(db.local.get('items', 'A1'), await db.get('items', 'A1'));
    assert.equal(db.local.get('items', 'A1')!.qty, 19);
    assert.deepEqual(db.local.query('items', { index: 'category', eq: 'tools' }).map((r) => r.sku), ['A1']);
    assert.equal(db.local.get('items', 'x', { maxStaleness: 0 }), undefined); // caught up: never stale
    assert.throws(() => db.local.get('nope', 'x'), UnknownTableError);
    assert.throws(() => db.local.query('items', { index: 'qty', eq: 1 }), UnknownIndexError);
    assert.throws(() => db.local.get('items', {} as never), SchemaViolationError);
    assert.throws(() => db.local.get('items', NaN), SchemaViolationError);
    assert.throws(() => db.local.get('items', Infinity), SchemaViolationError);
    // A number key, and a table declared but never written, on the unchecked path.
    await db.transaction((tx) => tx.put('accounts', { id: 7, balance: 1 }));
    assert.deepEqual(db.local.get('accounts', 7), { id: 7, balance: 1 });
    assert.equal(db.local.get('accounts', '7'), undefined);
    await db.close();
    assert.throws(() => db.local.get('items', 'A1'), InvalidStateError);
  });

  it('three nodes: transactions from each converge; session and linearizable reads; changes resume', { timeout: 90_000 }, async () => {
    await using env = await startTablesEnv(target(), 'three');
    const nodes = [await env.openNode('n1'), await env.openNode('n2'), await env.openNode('n3')];
    const seen: Change[] = [];
    const stop = new AbortController();
    const consumer = (async () => {
      for await (const ch of nodes[2]!.changes({ table: 'accounts', signal: stop.signal })) seen.push(ch);
    })().catch(() => {});
    const init = await nodes[0]!.transaction(async (tx) => {
      for (let i = 0; i < 4; i++) await tx.put('accounts', { id: i, balance: 100 });
    }, { timeout: T });
    // Session read on another node sees the write.
    assert.deepEqual(await nodes[1]!.get('accounts', 3, { read: 'session', after: init.position, timeout: T }), { id: 3, balance: 100 });
    // Concurrent transfers from every node, with retries: the total is conserved.
    // (Each node's copy must hold the accounts first: a transaction reads the local copy.)
    for (const db of nodes) await db.waitForPosition(init.position, { timeout: T });
    await Promise.all(
      nodes.flatMap((db, n) =>
        Array.from({ length: 5 }, (_, k) =>
          db.transaction(async (tx) => {
            const from = (n + k) % 4;
            const to = (n + k + 1) % 4;
            const a = (await tx.get('accounts', from))!;
            const b = (await tx.get('accounts', to))!;
            await tx.put('accounts', { ...a, balance: (a.balance as number) - 7 });
            await tx.put('accounts', { ...b, balance: (b.balance as number) + 7 });
          }, { retries: 50, timeout: T }),
        ),
      ),
    );
    const last = await nodes[2]!.transaction((tx) => tx.put('items', { sku: 'end', qty: 0 }), { timeout: T });
    for (const db of nodes) await db.waitForPosition(last.position, { timeout: T });
    for (const db of nodes) assert.equal(await total(db), 400);
    assert.equal(new Set(nodes.map((db) => db.status.checksum)).size, 1, 'equal checksums');
    assert.deepEqual(nodes[0]!.rows('accounts'), nodes[1]!.rows('accounts'));
    assert.deepEqual(nodes[0]!.rows('accounts'), nodes[2]!.rows('accounts'));
    // Linearizable: a write committed through n1 is visible on n3 right after.
    await nodes[0]!.transaction((tx) => tx.put('items', { sku: 'lin', qty: 1 }), { timeout: T });
    assert.deepEqual(await nodes[2]!.get('items', 'lin', { read: 'linearizable', timeout: T }), { sku: 'lin', qty: 1 });
    // The change stream saw 4 inserts and 2 changes per transfer; it resumes after a position.
    await waitFor(() => seen.length === 4 + 15 * 2, T, 'changes');
    stop.abort();
    await consumer;
    const after5 = seen[5]!.position;
    const expected = seen.filter((c) => c.position.segmentId > after5.segmentId || (c.position.segmentId === after5.segmentId && c.position.entryId > after5.entryId));
    const resumed: Change[] = [];
    for await (const ch of nodes[2]!.changes({ table: 'accounts', after: after5 })) {
      resumed.push(ch);
      if (resumed.length === expected.length) break;
    }
    assert.deepEqual(resumed, expected);
  });

  it('primary change: nothing acknowledged lost, nothing applied twice', { timeout: 90_000 }, async () => {
    await using env = await startTablesEnv(target(), 'failover');
    const a = await env.openNode('n1');
    const b = await env.openNode('n2');
    const c = await env.openNode('n3');
    await waitFor(() => a.status.primary !== null, T, 'a primary');
    const primary = [a, b, c].find((db) => db.identifier === a.status.primary)!;
    const others = [a, b, c].filter((db) => db !== primary);
    const applied = new Map<number, number>();
    const stop = new AbortController();
    const counting = (async () => {
      for await (const ch of others[0]!.changes({ table: 'accounts', signal: stop.signal })) applied.set(ch.key as number, (applied.get(ch.key as number) ?? 0) + 1);
    })().catch(() => {});
    const acked: number[] = [];
    let n = 0;
    const writer = async (db: Tables): Promise<void> => {
      for (let i = 0; i < 12; i++) {
        const id = n++;
        try {
          await db.transaction((tx) => tx.put('accounts', { id, balance: 1 }), { timeout: T });
          acked.push(id);
        } catch {
          // A forward cut by the primary change has an unknown outcome: not counted as acknowledged.
        }
      }
    };
    const writing = Promise.all(others.map(writer));
    await waitFor(() => acked.length >= 4, T, 'some writes');
    await primary.close();
    await writing;
    await waitFor(() => others[0]!.status.primary !== null && others[0]!.status.primary !== primary.identifier, T, 'a new primary');
    const last = await others[0]!.transaction((tx) => tx.put('items', { sku: 'after', qty: 1 }), { timeout: T });
    for (const db of others) await db.waitForPosition(last.position, { timeout: T });
    for (const db of others) {
      const ids = new Set(db.rows('accounts').map((r) => r.id as number));
      for (const id of acked) assert.ok(ids.has(id), `acknowledged ${id} lost on ${db.identifier}`);
    }
    assert.equal(others[0]!.status.checksum, others[1]!.status.checksum);
    stop.abort();
    await counting;
    for (const [id, times] of applied) assert.equal(times, 1, `${id} applied ${times} times`);
    for (const id of acked) assert.equal(applied.get(id), 1);
    assert.ok(acked.length >= 20, `${acked.length} of 24 acknowledged`);
  });
});
