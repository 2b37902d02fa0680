/**
 * Joining from a snapshot under load (issue 14, "Proof"): two nodes run
 * transfers between accounts while the log is truncated below their
 * snapshots; a third node joins meanwhile, cannot follow the log from its
 * start, loads a member's snapshot at some position and follows the log
 * from there, and converges: same checksum and rows, the total conserved.
 * In-memory nodes with the `'always'` policy (no dataDir), on both servers.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import type { Tables } from '../../src/tables/index.js';
import { removeDirs } from '../log/node/support.js';
import { forEachTarget, waitFor } from '../support/targets.js';
import { converged, startSnapshotEnv } from './support/snapshots.js';

after(removeDirs);

const T = 30_000;
const ACCOUNTS = 5;

const total = (db: Tables): number => db.rows('accounts').reduce((sum, row) => sum + (row.balance as number), 0);

/** Transfers between random accounts from `db` until `signal` aborts, counting each commit in `count.committed`. */
async function transfers(db: Tables, signal: AbortSignal, count: { committed: number }): Promise<void> {
  while (!signal.aborted) {
    const from = Math.floor(Math.random() * ACCOUNTS);
    const to = (from + 1 + Math.floor(Math.random() * (ACCOUNTS - 1))) % ACCOUNTS;
    await db.transaction(async (tx) => {
      const a = (await tx.get('accounts', from))!;
      const b = (await tx.get('accounts', to))!;
      await tx.put('accounts', { ...a, balance: (a.balance as number) - 3 });
      await tx.put('accounts', { ...b, balance: (b.balance as number) + 3 });
    }, { retries: 100, timeout: T });
    count.committed++;
  }
}

forEachTarget('tables snapshots: joining', (target) => {
  it('a node joins under load from a snapshot at P, follows the log from P, and converges', { timeout: 120_000 }, async () => {
    await using env = await startSnapshotEnv(target(), 'join');
    const open = (identifier: string): Promise<Tables> => env.open(identifier, { truncate: 'always' });
    const [n1, n2] = [await open('n1'), await open('n2')];
    const init = await n1.transaction(async (tx) => {
      for (let i = 0; i < ACCOUNTS; i++) await tx.put('accounts', { id: i, balance: 100 });
    }, { timeout: T });
    await n2.waitForPosition(init.position, { timeout: T });
    const stop = new AbortController();
    const count = { committed: 0 };
    const load = [transfers(n1, stop.signal, count), transfers(n2, stop.signal, count)];
    try {
      // The log's first segments go once both nodes have snapshots past them.
      const first = (await env.segments())[0]!;
      await waitFor(async () => (await env.segments())[0]! > first, 60_000, 'the log truncated under load');
      const beforeJoin = count.committed;
      const n3 = await open('n3');
      await waitFor(() => n3.snapshots.loaded?.from === 'member', T, 'n3 loads a member snapshot');
      const at = n3.snapshots.loaded!.position!;
      assert.ok(at.segmentId > first, `the snapshot (${at.segmentId}:${at.entryId}) is past the removed segment ${first}`);
      // n3 follows the log from P while the transfers go on.
      await waitFor(() => JSON.stringify(n3.status.position) !== JSON.stringify(at), T, 'n3 applies entries after its snapshot');
      assert.equal(total(n3), ACCOUNTS * 100, 'n3 sees the total conserved');
      assert.ok(count.committed > beforeJoin, `transfers committed while n3 joined: ${beforeJoin} -> ${count.committed}`);
      stop.abort();
      await Promise.all(load);
      await converged([n1, n2, n3], T);
      for (const db of [n1, n2, n3]) assert.equal(total(db), ACCOUNTS * 100);
    } finally {
      stop.abort();
      await Promise.allSettled(load);
    }
  });
});
