import { it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { BadArgumentsError, InvalidStateError, Semaphore, SessionLostError, TimeoutError, UnexpectedDataError } from '../../src/recipes/index.js';
import { HolderChecker, connect, forEachTarget, loseNextCreate, sleep, uniquePath, waitFor } from './harness.js';

forEachTarget('Semaphore', (target) => {
  it('uses Kazoo layout: max leases in the data, uuid lease nodes, a <path>-__lock__ lock', async () => {
    const a = await connect(target());
    const path = uniquePath('sem-layout');
    const sem = new Semaphore(a, path, { maxLeases: 2, identifier: 'one' });
    assert.equal(await sem.acquire(), true);
    assert.equal((await a.getData(path)).data?.toString(), '2');
    const leases = await a.getChildren(path);
    assert.equal(leases.length, 1);
    assert.match(leases[0]!, /^[0-9a-f]{32}$/);
    assert.deepEqual(await sem.leaseHolders(), ['one']);
    assert.notEqual(await a.exists(`${path}-__lock__`), null);
    await assert.rejects(new Semaphore(a, path, { maxLeases: 3 }).acquire(), (e: unknown) => e instanceof UnexpectedDataError && e.code === 'UNEXPECTED_DATA');
    await assert.rejects(sem.acquire(), InvalidStateError, 'not re-entrant');
    assert.throws(() => new Semaphore(a, path, { maxLeases: 0 }), BadArgumentsError);
    await sem.release();
    assert.deepEqual(await a.getChildren(path), []);
  });

  it('admits at most 3 of 6 clients at once', async () => {
    const path = uniquePath('sem-contend');
    const checker = new HolderChecker();
    const clients = await Promise.all(Array.from({ length: 6 }, () => connect(target())));
    await Promise.all(
      clients.map(async (client, i) => {
        for (let n = 0; n < 4; n++) {
          const sem = new Semaphore(client, path, { maxLeases: 3, identifier: `c${i}` });
          await sem.acquire();
          checker.enter(`c${i}`);
          await sleep(5 + Math.random() * 10);
          checker.leave(`c${i}`);
          await sem.release();
        }
      }),
    );
    assert.equal(checker.entries, 24);
    assert.ok(checker.maxFromLog() <= 3, `max ${checker.maxFromLog()}`);
  });

  it('times out, and returns false when not blocking', async () => {
    const [a, b] = [await connect(target()), await connect(target())];
    const path = uniquePath('sem-timeout');
    const holder = new Semaphore(a, path);
    await holder.acquire();
    assert.equal(await new Semaphore(b, path).acquire({ blocking: false }), false);
    await assert.rejects(new Semaphore(b, path).acquire({ timeout: 200 }), (e: unknown) => e instanceof TimeoutError && e.code === 'TIMEOUT');
    assert.equal((await a.getChildren(path)).length, 1);
    await holder.release();
  });

  it('creates one lease after a connection loss during its create', async () => {
    const a = await connect(target());
    const path = uniquePath('sem-loss');
    // The first create of the recipe is the serializing lock's contender; lose that one's reply.
    const faulty = loseNextCreate(a, target(), 'applied');
    const sem = new Semaphore(faulty.client, path, { maxLeases: 2 });
    await new Semaphore(a, path, { maxLeases: 2 }).leaseHolders();
    assert.equal(await sem.acquire({ timeout: 15000 }), true);
    await waitFor(() => a.state === 'connected');
    assert.equal((await a.getChildren(path)).length, 1);
    assert.deepEqual(await a.getChildren(`${path}-__lock__`), []);
    await sem.release();
  });

  it('signals `lost` on session expiry and frees the lease for a waiter', async () => {
    const [a, b] = [await connect(target()), await connect(target())];
    const path = uniquePath('sem-expire');
    const holder = new Semaphore(a, path, { identifier: 'holder' });
    await holder.acquire();
    const lost = once(holder, 'lost') as Promise<[SessionLostError]>;
    const waiting = new Semaphore(b, path, { identifier: 'next' });
    const taking = waiting.acquire({ timeout: 20000 });
    await sleep(100);
    await target().expire(a);
    const [reason] = await lost;
    assert.ok(reason instanceof SessionLostError, 'Semaphore emits its own `lost` with a SessionLostError');
    assert.equal(holder.lost.aborted, true);
    assert.equal(holder.lost.reason, reason);
    assert.equal(await taking, true);
    assert.deepEqual(await waiting.leaseHolders(), ['next']);
    await waiting.release();
  });
});
