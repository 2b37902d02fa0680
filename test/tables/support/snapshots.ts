/**
 * Helpers of the snapshot tests (test/tables/snapshots*.test.ts): a node
 * that snapshots every 10 entries on a log of 20-entry segments (so a few
 * hundred transactions make many segments to truncate), the log's segment
 * list, and convergence of a set of nodes.
 */
import assert from 'node:assert/strict';
import { openTables, type Tables, type TablesLogOptions } from '../../../src/tables/index.js';
import type { TruncatePolicy } from '../../../src/tables/snapshots/options.js';
import { waitFor } from '../../support/targets.js';
import type { Target } from '../../support/targets.js';
import { DEFINITIONS, startTablesEnv, type TablesEnv } from './harness.js';

/** A tables env whose nodes snapshot every 10 entries or 300 ms on a log of 20-entry segments; closing it closes them first. */
export interface SnapshotEnv extends AsyncDisposable {
  readonly env: TablesEnv;
  readonly name: string;
  /** Opens a node (a new client) with `truncate` as the policy and an optional dataDir. */
  open(identifier: string, options: { dataDir?: string | undefined; truncate: TruncatePolicy }): Promise<Tables>;
  /** The segment ids of the log, oldest first. */
  segments(): Promise<number[]>;
}

export async function startSnapshotEnv(target: Target, name: string): Promise<SnapshotEnv> {
  const env = await startTablesEnv(target, name);
  const admin = await env.client();
  const opened: Tables[] = [];
  return {
    env,
    name,
    async open(identifier, options) {
      const db = await openSnapshotting(env, name, identifier, options);
      opened.push(db);
      return db;
    },
    async segments() {
      const { data } = await admin.getData(`/herd/log/logs/tables.${name}`);
      return (JSON.parse(data!.toString()) as { segments: number[] }).segments;
    },
    async [Symbol.asyncDispose]() {
      await Promise.all(opened.map((db) => db.close().catch(() => {})));
      await env.close();
    },
  };
}

async function openSnapshotting(env: TablesEnv, name: string, identifier: string, options: { dataDir?: string | undefined; truncate: TruncatePolicy }): Promise<Tables> {
  const q = env.storage.length;
  const log: TablesLogOptions = { ensembleSize: q, writeQuorum: q, ackQuorum: q, maxSegmentEntries: 20 };
  const db = await openTables({
    client: await env.client(),
    name,
    identifier,
    tables: DEFINITIONS,
    log,
    publishInterval: 100,
    snapshots: { entries: 10, interval: 300, truncate: options.truncate },
    logNode: false,
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
  });
  return db;
}

/** Puts items `i<from>`..`i<to - 1>` (qty = n) from `db`, one transaction each. */
export async function putItems(db: Tables, from: number, to: number): Promise<void> {
  for (let n = from; n < to; n++) await db.transaction((tx) => tx.put('items', { sku: `i${n}`, qty: n, category: n % 2 ? 'odd' : 'even' }), { timeout: 30_000 });
}

/** Waits until every node has applied the same position, then checks equal checksums and rows. */
export async function converged(nodes: readonly Tables[], timeout: number): Promise<void> {
  const last = await nodes[0]!.transaction((tx) => tx.put('items', { sku: 'mark', qty: Date.now() }), { timeout });
  for (const db of nodes) await db.waitForPosition(last.position, { timeout });
  assert.equal(new Set(nodes.map((db) => db.status.checksum)).size, 1, 'equal checksums');
  for (const db of nodes.slice(1)) {
    assert.deepEqual(db.rows('items'), nodes[0]!.rows('items'));
    assert.deepEqual(db.rows('accounts'), nodes[0]!.rows('accounts'));
  }
}
