import { it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { SetPartitioner, roundRobinPartition } from '../../src/recipes/index.js';
import { connect, forEachTarget, uniquePath, waitFor } from './harness.js';

it('divides as Kazoo: sorted items, every n-th from our index among sorted members', () => {
  assert.deepEqual(roundRobinPartition('b', ['c', 'a', 'b'], ['5', '1', '2', '3', '4']), ['2', '5']);
  assert.deepEqual(roundRobinPartition('x', ['a'], ['1']), []);
});

forEachTarget('SetPartitioner', (target) => {
  const ITEMS = ['q1', 'q2', 'q3', 'q4', 'q5'];

  it('divides the set among members, re-divides when one joins, fails on expiry', async () => {
    const path = uniquePath('partition');
    const clients = await Promise.all(Array.from({ length: 3 }, () => connect(target())));
    const make = (i: number) => {
      const p = new SetPartitioner(clients[i]!, path, ITEMS, { identifier: `w${i}`, timeBoundary: 300, maxReactionTime: 200 });
      p.on('release', () => void p.releaseSet());
      return p;
    };
    const [p0, p1] = [make(0), make(1)];
    await Promise.all([p0.start(), p1.start()]);
    await waitFor(() => p0.acquired && p1.acquired, 15000, 'two members acquired');
    assert.deepEqual([...p0, ...p1].sort(), ITEMS);
    assert.deepEqual(p0.partitions, ['q1', 'q3', 'q5']);
    // Item locks use Kazoo's layout.
    const lockNodes = await clients[0]!.getChildren(`${path}/locks/q1`);
    assert.match(lockNodes[0]!, /^[0-9a-f]{32}__lock__\d{10}$/);
    const p2 = make(2);
    await p2.start();
    await waitFor(() => [p0, p1, p2].every((p) => p.acquired), 20000, 'three members acquired');
    const all = [...p0, ...p1, ...p2];
    assert.deepEqual([...all].sort(), ITEMS, 'each item to exactly one member');
    const failure = once(p2, 'failure');
    await target().expire(clients[2]!);
    await failure;
    assert.equal(p2.failed, true);
    await waitFor(() => p0.acquired && p1.acquired && [...p0, ...p1].length === ITEMS.length, 20000, 'two members again');
    await p0.waitForAcquire({ timeout: 1000 });
    await assert.rejects(p2.waitForAcquire(), { name: 'SessionLostError' });
    await p0.close();
    await p1[Symbol.asyncDispose]();
    await assert.rejects(p0.waitForAcquire(), { name: 'CancelledError' });
    assert.deepEqual(await clients[0]!.getChildren(`${path}/party`), []);
  });
});
