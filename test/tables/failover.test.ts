/**
 * Regression tests for the failover bugs the tables chaos test found
 * (issue 14), one per cause, each small enough for CI:
 * - a subscription that saw the old segment's nodes answer `fenced` kept
 *   that set into the new writer's segment (the next id, on the same
 *   nodes), polled no node there and waited for ever: the new primary
 *   stopped applying its own log (src/log/reader/subscribe.ts).
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { openLog, subscribeLog, type LogRecord } from '../../src/log/index.js';
import { removeDirs } from '../log/node/support.js';
import { forEachTarget, sleep } from '../support/targets.js';
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
});
