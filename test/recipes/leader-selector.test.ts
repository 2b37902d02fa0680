import { it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Election, LeaderSelector } from '../../src/recipes/index.js';
import { connect, forEachTarget, sleep, uniquePath, waitFor } from './harness.js';

forEachTarget('LeaderSelector', (target) => {
  it('takes turns with autoRequeue, one leader at a time, alongside an Election', async () => {
    const path = uniquePath('selector');
    const clients = await Promise.all(Array.from({ length: 3 }, () => connect(target())));
    let leaders = 0;
    let max = 0;
    const turns: string[] = [];
    const selectors = clients.slice(0, 2).map(
      (c, i) =>
        new LeaderSelector(
          c,
          path,
          async () => {
            leaders++;
            max = Math.max(max, leaders);
            turns.push(`s${i}`);
            await sleep(20);
            leaders--;
          },
          { identifier: `s${i}`, autoRequeue: true },
        ),
    );
    for (const s of selectors) await s.start();
    // A Kazoo-layout Election on the same path takes its turn too.
    const election = new Election(clients[2]!, path, { identifier: 'e' });
    await election.run(async () => {
      leaders++;
      max = Math.max(max, leaders);
      turns.push('e');
      leaders--;
    });
    await waitFor(() => turns.filter((t) => t === 's0').length >= 3 && turns.filter((t) => t === 's1').length >= 3, 10000, 'turns');
    for (const s of selectors) await s.close();
    assert.equal(max, 1);
    assert.ok(turns.includes('e'));
    await waitFor(async () => (await clients[0]!.getChildren(path)).length === 0, 5000, 'no contender left');
  });

  it('aborts the leader on interrupt and on session expiry', async () => {
    const [a, b] = [await connect(target()), await connect(target())];
    const path = uniquePath('selector-expire');
    const reasons: string[] = [];
    const leading = (lost: AbortSignal) =>
      new Promise<void>((resolve) => lost.addEventListener('abort', () => (reasons.push((lost.reason as Error).name), resolve())));
    const first = new LeaderSelector(a, path, leading, { identifier: 'first' });
    await first.start();
    await assert.rejects(first.start(), { name: 'InvalidStateError' });
    await waitFor(() => first.hasLeadership);
    first.interruptLeadership();
    await waitFor(() => reasons.length === 1);
    assert.deepEqual(reasons, ['CancelledError']);
    first.requeue();
    await waitFor(() => first.hasLeadership);
    const second = new LeaderSelector(b, path, async () => void reasons.push('second led'), { identifier: 'second' });
    await second.start();
    await waitFor(async () => (await second.participants()).length === 2);
    const released = once(first, 'released');
    await target().expire(a);
    await released;
    await waitFor(() => reasons.includes('second led'), 15000, 'second to lead');
    // Which comes first depends on when the old client hears of its expiry: no fencing (see Limits).
    assert.deepEqual([...reasons].sort(), ['CancelledError', 'SessionLostError', 'second led']);
    await first.close();
    await second[Symbol.asyncDispose]();
    await first.close(); // idempotent
  });
});
