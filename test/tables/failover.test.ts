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
 *   dead primary's rpc object until its own timeout, then ended with its
 *   outcome unknown: it now finds its outcome in the log once the cluster
 *   replaces the primary (its id in its entry), or sends it again when
 *   the log does not hold it, and the new primary drops a duplicate.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { performance } from 'node:perf_hooks';
import { openLog, subscribeLog, type LogRecord } from '../../src/log/index.js';
import { DuplicateMemberError } from '../../src/tables/index.js';
import { removeDirs, tempDir } from '../log/node/support.js';
import { freePort } from '../support/ports.js';
import { connect, forEachTarget, sleep, uniquePath, waitFor } from '../support/targets.js';
import { TablesNodeProcess } from './chaos/node-process.js';
import { startTablesEnv } from './support/harness.js';

after(removeDirs);

/** worker.ts's tables (importing it would run a worker). */
const CHAOS_TABLES = { accounts: { key: 'id' }, transfers: { key: 'id' } } as const;

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

  it('transactions forwarded to a primary SIGKILLed meanwhile each get their real outcome, none applied twice', { timeout: 120_000 }, async () => {
    // Three storage nodes here and n0's own, E/W/A 3/3/2: n0's death leaves enough to fence its segment and go on.
    await using env = await startTablesEnv(target(), 'forwarded', 3);
    const log = { ensembleSize: 3, writeQuorum: 3, ackQuorum: 2 };
    const node = new TablesNodeProcess({
      coordination: env.coordination,
      name: 'forwarded',
      identifier: 'n0',
      dataDir: await tempDir('tables-forwarded'),
      port: await freePort(),
      sessionTimeout: 2000,
      log,
    });
    try {
      await node.start();
      await waitFor(async () => (await node.send({ cmd: 'init', accounts: { a: 1 } })).ok, T, 'the first commit on n0');
      const dbs = [await env.openNode('n1', { tables: CHAOS_TABLES, log }), await env.openNode('n2', { tables: CHAOS_TABLES, log })];
      await waitFor(() => dbs.every((db) => db.status.primary === 'n0'), T, 'n1 and n2 see n0 as the primary');
      const LOOPS = 16;
      const committed = Array.from({ length: LOOPS }, () => 0);
      const failures: string[] = [];
      let killedAt = Infinity;
      let cutByKill = 0;
      let stop = false;
      // Loop k owns counter c<k> and writes marker k-<i> with its i-th commit: the rows alone tell what was applied, and how often.
      const loop = async (k: number): Promise<void> => {
        const db = dbs[k % 2]!;
        while (!stop) {
          const started = performance.now();
          const i = committed[k]!;
          try {
            await db.transaction(
              async (tx) => {
                const row = (await tx.get('accounts', `c${k}`)) as { n: number } | undefined;
                await tx.put('accounts', { id: `c${k}`, n: (row?.n ?? 0) + 1 });
                await tx.put('transfers', { id: `${k}-${i}` });
              },
              { timeout: 60_000 },
            );
            committed[k]!++;
          } catch (err) {
            failures.push(`loop ${k}: ${String(err)}`);
            return;
          } finally {
            if (started < killedAt && performance.now() > killedAt) cutByKill++;
          }
        }
      };
      const loops = Array.from({ length: LOOPS }, (_, k) => loop(k));
      await waitFor(() => committed.every((n) => n >= 2), T, 'every loop commits through n0');
      await node.kill();
      killedAt = performance.now();
      const atKill = [...committed];
      await waitFor(() => failures.length > 0 || committed.every((n, k) => n >= atKill[k]! + 2), 60_000, 'every loop commits after the failover');
      stop = true;
      await Promise.all(loops);
      assert.deepEqual(failures, [], 'every caller got its outcome (no conflict: each loop owns its row)');
      assert.ok(cutByKill > 0, 'some transactions were in flight at the kill');
      for (const db of dbs) {
        await db.get('accounts', 'c0', { read: 'linearizable', timeout: T }); // applied up to the committed tail
        const counters = Object.fromEntries(db.rows('accounts').map((r) => [r.id as string, r.n]));
        const markers = new Set(db.rows('transfers').map((r) => r.id as string));
        for (let k = 0; k < LOOPS; k++) {
          assert.equal(counters[`c${k}`], committed[k], `${db.identifier}: loop ${k}'s counter is its commits`);
          for (let i = 0; i < committed[k]!; i++) assert.ok(markers.has(`${k}-${i}`), `${db.identifier}: marker ${k}-${i}`);
        }
        assert.equal(markers.size, committed.reduce((a, b) => a + b, 0), `${db.identifier}: one marker per commit, none more`);
      }
    } finally {
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
