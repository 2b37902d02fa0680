import { it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Election, InvalidStateError, LeaderLatch, TimeoutError } from '../../src/recipes/index.js';
import { connect, forEachTarget, loseNextCreate, sleep, uniquePath, waitFor } from './harness.js';

forEachTarget('Election', (target) => {
  it('elects one leader at a time, in order, and anyone reads the leader', async () => {
    const path = uniquePath('election');
    const clients = await Promise.all(Array.from({ length: 4 }, () => connect(target())));
    let leaders = 0;
    let maxLeaders = 0;
    const order: string[] = [];
    const elections = clients.map((c, i) => new Election(c, path, { identifier: `n${i}` }));
    const runs = elections.map((e, i) =>
      e.run(async () => {
        leaders++;
        maxLeaders = Math.max(maxLeaders, leaders);
        order.push(`n${i}`);
        assert.equal(await e.leader(), `n${i}`);
        await sleep(30);
        leaders--;
        return i;
      }),
    );
    assert.deepEqual((await Promise.all(runs)).sort(), [0, 1, 2, 3]);
    assert.equal(maxLeaders, 1);
    assert.equal(order.length, 4);
  });

  it('cancel stops a waiting contender; run resolves undefined', async () => {
    const [a, b] = [await connect(target()), await connect(target())];
    const path = uniquePath('election-cancel');
    const leader = new Election(a, path, { identifier: 'leader' });
    let release!: () => void;
    const leading = leader.run(() => new Promise<void>((r) => (release = r)));
    await waitFor(async () => (await leader.contenders()).length === 1);
    const other = new Election(b, path, { identifier: 'other' });
    const waiting = other.run(() => 'never');
    await waitFor(async () => (await leader.contenders()).length === 2);
    assert.deepEqual(await other.contenders(), ['leader', 'other']);
    other.cancel();
    assert.equal(await waiting, undefined);
    assert.deepEqual(await other.contenders(), ['leader']);
    // The wait contract on run: a timeout rejects (TimeoutError), the caller's signal rejects (CancelledError).
    await assert.rejects(other.run(() => 'never', { timeout: 100 }), { name: 'TimeoutError', code: 'TIMEOUT' });
    const ac = new AbortController();
    const aborted = other.run(() => 'never', { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(aborted, { name: 'CancelledError', code: 'CANCELLED' });
    assert.deepEqual(await other.contenders(), ['leader']);
    release();
    await leading;
  });

  it('tells the leader at once when its session expires, and elects the next', async () => {
    const [a, b] = [await connect(target()), await connect(target())];
    const path = uniquePath('election-expire');
    const first = new Election(a, path, { identifier: 'first' });
    let signal: AbortSignal | undefined;
    const firstRun = first.run(
      (lost) =>
        new Promise<string>((resolve) => {
          signal = lost;
          lost.addEventListener('abort', () => resolve('stopped: ' + (lost.reason as Error).name));
        }),
    );
    await waitFor(() => signal !== undefined);
    const second = new Election(b, path, { identifier: 'second' });
    const secondRun = second.run(async () => 'second led');
    await waitFor(async () => (await second.contenders()).length === 2);
    await target().expire(a);
    assert.equal(await firstRun, 'stopped: SessionLostError');
    assert.equal(await secondRun, 'second led');
  });
});

forEachTarget('LeaderLatch', (target) => {
  it('has exactly one leader among three, hands over on close, with Curator node names', async () => {
    const path = uniquePath('latch');
    const clients = await Promise.all(Array.from({ length: 3 }, () => connect(target())));
    const latches = clients.map((c, i) => new LeaderLatch(c, path, { identifier: `l${i}` }));
    for (const l of latches) await l.start();
    await waitFor(() => latches.filter((l) => l.hasLeadership).length === 1);
    const children = await clients[0]!.getChildren(path);
    assert.equal(children.length, 3);
    for (const c of children) assert.match(c, /^_c_[0-9a-f-]{36}-latch-\d{10}$/);
    const leader = latches.find((l) => l.hasLeadership)!;
    assert.equal(await latches[2]!.leader(), leader.identifier);
    await leader.await({ timeout: 10 }); // the leader: resolves at once
    const rest = latches.filter((l) => l !== leader);
    const notLeader = once(leader, 'notLeader');
    await leader.close();
    await notLeader;
    await waitFor(() => rest.filter((l) => l.hasLeadership).length === 1);
    const next = rest.find((l) => l.hasLeadership)!;
    await assert.rejects(rest.find((l) => l !== next)!.await({ timeout: 100 }), (e: unknown) => e instanceof TimeoutError && e.code === 'TIMEOUT');
    // Closed while waiting: the wait is cancelled.
    const follower = rest.find((l) => l !== next)!;
    const waiting = assert.rejects(follower.await(), { name: 'CancelledError', code: 'CANCELLED' });
    await follower.close();
    await waiting;
    await assert.rejects(follower.await(), InvalidStateError, 'closed');
    await assert.rejects(follower.start(), InvalidStateError, 'closed');
    for (const l of rest) await l.close();
    assert.deepEqual(await clients[0]!.getChildren(path), []);
  });

  it('loses leadership at once on session expiry; the follower takes over and the latch rejoins on a new session', async () => {
    const path = uniquePath('latch-expire');
    const a = await connect(target());
    const b = await connect(target());
    const first = new LeaderLatch(a, path, { identifier: 'first' });
    await first.start();
    await first.await({ timeout: 5000 });
    assert.equal(first.hasLeadership, true);
    const second = new LeaderLatch(b, path, { identifier: 'second' });
    await second.start();
    const signal = first.lost;
    const lost = once(first, 'lost');
    await target().expire(a);
    await lost;
    assert.equal(signal.aborted, true);
    assert.equal(first.hasLeadership, false);
    await second.await({ timeout: 10000 });
    assert.equal(second.hasLeadership, true);
    await a.connect(); // a new session: the latch joins again, behind the new leader
    await waitFor(async () => (await second.participants()).length === 2, 10000, 'the rejoin');
    assert.deepEqual(await second.participants(), ['second', 'first']);
    await second.close();
    await first.await({ timeout: 10000 });
    assert.equal(first.hasLeadership, true);
    await first.close();
  });

  it('finds its node again after a connection loss during the create', async () => {
    const a = await connect(target());
    const path = uniquePath('latch-loss');
    const faulty = loseNextCreate(a, target(), 'applied');
    const latch = new LeaderLatch(faulty.client, path, { identifier: 'me' });
    await latch.start();
    await latch.await({ timeout: 10000 });
    assert.equal(latch.hasLeadership, true);
    await waitFor(() => a.state === 'connected');
    assert.equal((await a.getChildren(path)).length, 1);
    await latch.close();
  });
});
