/**
 * Regression tests for the failover bugs the tables chaos test found
 * (issue 14), one per cause, each small enough for CI:
 * - a subscription that saw the old segment's nodes answer `fenced` kept
 *   that set into the new writer's segment (the next id, on the same
 *   nodes), polled no node there and waited for ever: the new primary
 *   stopped applying its own log (src/log/reader/subscribe.ts).
 * - a node SIGKILLed and started again before its coordination session
 *   expired found its own previous member live and failed to open with
 *   DuplicateMemberError: openTables now waits for it to go, up to
 *   `rejoinTimeout`, and then rejects with that error.
 * - a transaction forwarded to a primary SIGKILLed meanwhile waited for the
 *   dead primary's rpc object until its own timeout: it now ends when the
 *   cluster replaces the primary, with RpcConnectionError (outcome unknown).
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { performance } from 'node:perf_hooks';
import { openLog, subscribeLog, type LogRecord } from '../../src/log/index.js';
import { RpcConnectionError } from '../../src/rpc/index.js';
import { DuplicateMemberError, openTables, type Tables } from '../../src/tables/index.js';
import { removeDirs, tempDir } from '../log/node/support.js';
import { freePort } from '../support/ports.js';
import { connect, forEachTarget, sleep, uniquePath, waitFor } from '../support/targets.js';
import { TablesNodeProcess } from './chaos/node-process.js';
import { startTablesEnv } from './support/harness.js';

after(removeDirs);

/** Liveness on a loaded machine: the bug is a wait for ever, so any finite bound tells it. */
const T = 15_000;

forEachTarget('tables failover', (target) => {
  it('a subscriber whose long poll was fenced by a new writer follows that writer into its next segment', { timeout: 60_000 }, async () => {
    await using env = await startTablesEnv(target(), 'fenced-follow');
    const q = { ensembleSize: 1, writeQuorum: 1, ackQuorum: 1, explicitConfirmDelay: 1 };
    const first = await openLog(await env.client(), 'fenced', q);
    const before = await first.append(Buffer.from('before'));
    const stop = new AbortController();
    const subscription = subscribeLog(await env.client(), 'fenced', { from: 'start', signal: stop.signal });
    try {
      const r0 = await subscription.next();
      assert.equal(Buffer.from(r0.value!.data).toString(), 'before');
      // Caught up: the subscriber now holds a long poll on the first segment's node, which the next writer fences.
      await sleep(300);
      const second = await openLog(await env.client(), 'fenced', q);
      assert.ok(second !== first);
      const next = async (what: string): Promise<LogRecord> => {
        let timer: NodeJS.Timeout | undefined;
        const r = await Promise.race([
          subscription.next(),
          new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the subscriber did not deliver ${what} within ${T} ms`)), T))),
        ]).finally(() => clearTimeout(timer));
        return r.value as LogRecord;
      };
      const p1 = await second.append(Buffer.from('after1'));
      assert.ok(p1.segmentId > before.segmentId, `a new segment (${p1.segmentId} after ${before.segmentId})`);
      assert.equal(Buffer.from((await next('after1')).data).toString(), 'after1');
      // Caught up in the new segment: the next entry is only seen through a long poll on its node.
      await sleep(300);
      const p2 = await second.append(Buffer.from('after2'));
      const r2 = await next(`after2 at ${p2.segmentId}:${p2.entryId}`);
      assert.equal(Buffer.from(r2.data).toString(), 'after2');
      assert.deepEqual(r2.position, p2);
      await second.close();
    } finally {
      stop.abort();
      await subscription.return?.();
      await first.close().catch(() => {});
    }
  });

  it('a node SIGKILLed and started again at once opens once its old session has expired, and commits', { timeout: 60_000 }, async () => {
    const root = uniquePath('tables-rejoin');
    const plain = await connect(target());
    await plain.mkdirp(root);
    const node = new TablesNodeProcess({
      coordination: `${target().connectionString}${root}`,
      name: 'rejoin',
      identifier: 'n0',
      dataDir: await tempDir('tables-rejoin'),
      port: await freePort(),
      sessionTimeout: 2000,
      log: { ensembleSize: 1, writeQuorum: 1, ackQuorum: 1 },
    });
    try {
      await node.start();
      await waitFor(async () => (await node.send({ cmd: 'init', accounts: { a: 1 } })).ok, T, 'the first commit');
      await node.kill();
      const killed = performance.now();
      await node.start(); // its previous member is still live for up to the 2 s session timeout: before the fix, DuplicateMemberError
      const opened = performance.now() - killed;
      assert.ok(opened < 30_000, `opened again after ${Math.round(opened)} ms`);
      await waitFor(async () => (await node.send({ cmd: 'init', accounts: { a: 2 } })).ok, T, 'a commit after the restart');
      assert.deepEqual(await node.send({ cmd: 'read', read: 'linearizable' }), { ok: true, value: { a: 2 } });
    } finally {
      await node.stop(5000);
    }
  });

  it('a transaction forwarded to a primary SIGKILLed meanwhile ends when the primary is replaced, not at its timeout', { timeout: 90_000 }, async () => {
    const root = uniquePath('tables-gone');
    const plain = await connect(target());
    await plain.mkdirp(root);
    const coordination = `${target().connectionString}${root}`;
    // n0 (a child process) hosts the log's only storage node: once it is dead nothing can commit, so the forward cannot succeed.
    const log = { ensembleSize: 1, writeQuorum: 1, ackQuorum: 1 };
    const node = new TablesNodeProcess({ coordination, name: 'gone', identifier: 'n0', dataDir: await tempDir('tables-gone'), port: await freePort(), sessionTimeout: 2000, log });
    const client = await connect(target(), {}, coordination);
    let db: Tables | undefined;
    try {
      await node.start();
      await waitFor(async () => (await node.send({ cmd: 'init', accounts: { a: 1 } })).ok, T, 'the first commit');
      // Weight 2: n1 alone keeps the quorum, so the transaction is forwarded rather than refused.
      db = await openTables({ client, name: 'gone', identifier: 'n1', weight: 2, tables: { accounts: { key: 'id' }, transfers: { key: 'id' } }, log, publishInterval: 100 });
      await waitFor(() => db!.status.primary === 'n0', T, 'n1 sees n0 as the primary');
      await db.transaction((tx) => tx.put('accounts', { id: 'b', balance: 1 }), { timeout: T });
      await node.kill();
      const started = performance.now();
      const TIMEOUT = 60_000;
      const outcome = await db.transaction((tx) => tx.put('accounts', { id: 'c', balance: 1 }), { timeout: TIMEOUT }).then(() => 'committed', (err: unknown) => err);
      const elapsed = performance.now() - started;
      assert.ok(outcome instanceof RpcConnectionError, `the forward ended with ${String(outcome)}`);
      // Before the fix: TimeoutError after TIMEOUT. Now: once n0's 2 s session has expired and the cluster replaced it.
      assert.ok(elapsed < TIMEOUT / 2, `it ended after ${Math.round(elapsed)} ms`);
    } finally {
      await db?.close();
      await client.close();
      await node.stop(5000);
    }
  });

  it('a live member with the same identifier: openTables rejects with DuplicateMemberError after rejoinTimeout', { timeout: 60_000 }, async () => {
    await using env = await startTablesEnv(target(), 'duplicate');
    await env.openNode('n1');
    const started = performance.now();
    await assert.rejects(env.openNode('n1', { rejoinTimeout: 500 }), (err: unknown) => {
      assert.ok(err instanceof DuplicateMemberError, String(err));
      assert.match(err.message, /after 500 ms \(rejoinTimeout\)/);
      return true;
    });
    assert.ok(performance.now() - started >= 450, 'it waited for rejoinTimeout');
    await assert.rejects(env.openNode('n1', { rejoinTimeout: -1 }), { code: 'BADARGUMENTS' });
  });
});
