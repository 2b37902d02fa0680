import { it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { CancelledError, InvalidStateError, Lock, ReadLock, SessionLostError, TimeoutError, WriteLock } from '../../src/recipes/index.js';
import { FakeClock } from '../support/fake-clock.js';
import { HolderChecker, connect, forEachTarget, loseNextCreate, loseNextCreateReplyOnWire, sleep, uniquePath, waitFor } from './harness.js';

const NODE = /^[0-9a-f]{32}__lock__\d{10}$/;

forEachTarget('Lock', (target) => {
  it('uses Kazoo node names and data, and lists contenders in order', async () => {
    const [a, b] = [await connect(target()), await connect(target())];
    const path = uniquePath('lock-layout');
    const la = new Lock(a, `${path}/l`, { identifier: 'alpha' });
    const lb = new Lock(b, `${path}/l`, { identifier: 'beta' });
    assert.equal(await la.acquire(), true);
    const waiting = lb.acquire();
    await waitFor(async () => (await a.getChildren(`${path}/l`)).length === 2);
    const children = await a.getChildren(`${path}/l`);
    for (const c of children) assert.match(c, NODE);
    const own = children.find((c) => c.startsWith(la.prefix))!;
    assert.equal((await a.getData(`${path}/l/${own}`)).data?.toString(), 'alpha');
    assert.deepEqual(await la.contenders(), ['alpha', 'beta']);
    await assert.rejects(lb.acquire({ blocking: false }), (e: unknown) => e instanceof InvalidStateError && e.code === 'INVALID_STATE', 'not re-entrant');
    await la.release();
    assert.equal(await waiting, true);
    assert.equal(lb.isAcquired, true);
    assert.deepEqual(await la.contenders(), ['beta']);
    await lb.release();
    assert.deepEqual(await a.getChildren(`${path}/l`), []);
  });

  it('orders contenders alike when the node name ends in a dash (read as a sign by the sequence pattern)', async () => {
    class DashLock extends Lock {
      protected override readonly nodeName: string = 'lock-';
      protected override readonly excludeNames: readonly string[] = ['lock-'];
    }
    const [a, b] = [await connect(target()), await connect(target())];
    const path = uniquePath('lock-dash');
    const first = new DashLock(a, path, { identifier: 'first' });
    const second = new DashLock(b, path, { identifier: 'second' });
    assert.equal(await first.acquire(), true);
    assert.equal(await second.acquire({ timeout: 300 }).catch((e: Error) => e.name), 'TimeoutError', 'second waits for first');
    assert.equal(second.isAcquired, false);
    await first.release();
    assert.equal(await second.acquire({ timeout: 10_000 }), true);
    await second.release();
  });

  it('gives mutual exclusion to 5 clients contending 8 times each', async () => {
    const path = uniquePath('lock-contend');
    const checker = new HolderChecker();
    const clients = await Promise.all(Array.from({ length: 5 }, () => connect(target())));
    await Promise.all(
      clients.map(async (client, i) => {
        for (let n = 0; n < 8; n++) {
          const lock = new Lock(client, path, { identifier: `c${i}` });
          await lock.acquire();
          checker.enter(`c${i}`);
          await sleep(Math.random() * 4);
          checker.leave(`c${i}`);
          await lock.release();
          await sleep(Math.random() * 3);
        }
      }),
    );
    assert.equal(checker.entries, 40);
    assert.equal(checker.max, 1);
    assert.equal(checker.maxFromLog(), 1);
    assert.deepEqual(await clients[0]!.getChildren(path), []);
  });

  it('times out, is cancelled by an AbortSignal, and returns false when not blocking, leaving no node', async () => {
    const [a, b] = [await connect(target()), await connect(target())];
    const path = uniquePath('lock-timeout');
    const holder = new Lock(a, path);
    await holder.acquire();
    const started = Date.now();
    await assert.rejects(new Lock(b, path).acquire({ timeout: 300 }), (e: unknown) => e instanceof TimeoutError && e.code === 'TIMEOUT');
    assert.ok(Date.now() - started >= 290);
    const ac = new AbortController();
    const aborted = new Lock(b, path).acquire({ signal: ac.signal });
    const reason = new Error('no longer needed');
    setTimeout(() => ac.abort(reason), 100);
    await assert.rejects(aborted, (e: unknown) => e instanceof CancelledError && e.code === 'CANCELLED' && e.cause === reason);
    assert.equal(await new Lock(b, path).acquire({ blocking: false }), false);
    assert.equal((await a.getChildren(path)).length, 1, 'only the holder node is left');
    await holder.release();
  });

  it('a waiter whose predecessor gives up keeps waiting for the holder, then takes over without a relisting race', async () => {
    // The waiter watches the two contenders ahead and skips the relisting only
    // when the one ahead was alone: here the middle one leaves first.
    const [a, b, c] = [await connect(target()), await connect(target()), await connect(target())];
    const path = uniquePath('lock-giveup');
    const holder = new Lock(a, path, { identifier: 'holder' });
    await holder.acquire();
    const ac = new AbortController();
    const middle = new Lock(b, path, { identifier: 'middle' }).acquire({ signal: ac.signal });
    await waitFor(async () => (await a.getChildren(path)).length === 2);
    const last = new Lock(c, path, { identifier: 'last' });
    const lastAcquired = last.acquire();
    await waitFor(async () => (await a.getChildren(path)).length === 3);
    ac.abort();
    await assert.rejects(middle, CancelledError);
    await waitFor(async () => (await a.getChildren(path)).length === 2);
    await sleep(200);
    assert.equal(last.isAcquired, false, 'the holder still holds');
    await holder.release();
    assert.equal(await lastAcquired, true);
    assert.deepEqual(await holder.contenders(), ['last']);
    await last.release();
  });

  for (const outcome of ['applied', 'lost'] as const) {
    it(`finds its own node after a connection loss during the sequential create (create ${outcome})`, async () => {
      const [a, b] = [await connect(target()), await connect(target())];
      const path = uniquePath(`lock-loss-${outcome}`);
      // Someone else holds the lock, so ours has to queue behind it.
      const other = new Lock(b, path, { identifier: 'other' });
      await other.acquire();
      const faulty = loseNextCreate(a, target(), outcome);
      const lock = new Lock(faulty.client, path, { identifier: 'me' });
      const acquiring = lock.acquire({ timeout: 15000 });
      await waitFor(async () => (await b.getChildren(path)).length === 2, 15000, 'our contender node');
      await sleep(200);
      const children = await b.getChildren(path);
      assert.equal(children.length, 2, `one node each, no orphan: ${children.join(', ')}`);
      assert.equal(children.filter((c) => c.startsWith(lock.prefix)).length, 1);
      if (outcome === 'applied') assert.equal(faulty.created.length, 1, 'the lost create was applied');
      if (outcome === 'applied') assert.ok(children.includes(faulty.created[0]!.split('/').pop()!), 'the applied node was reused');
      await other.release();
      assert.equal(await acquiring, true);
      assert.deepEqual(await lock.contenders(), ['me']);
      await lock.release();
      assert.deepEqual(await b.getChildren(path), []);
    });
  }

  it('finds its own node when the create reply is lost on the wire (proxy latency + cut)', async () => {
    const b = await connect(target());
    const a = await connect(target(), {}, target().proxy.connectionString);
    const path = uniquePath('lock-wire');
    const other = new Lock(b, path, { identifier: 'other' });
    await other.acquire();
    let createErrors = 0;
    let createCalls = 0;
    const wire = loseNextCreateReplyOnWire(a, target());
    const observed = new Proxy(wire, {
      get(t, prop) {
        if (prop === 'create') {
          return (...args: Parameters<typeof a.create>) =>
            (createCalls++, t.create(...args)).catch((e: Error) => {
              createErrors++;
              throw e;
            });
        }
        const v: unknown = Reflect.get(t, prop, t);
        return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(t) : v;
      },
    }) as typeof a;
    const lock = new Lock(observed, path, { identifier: 'me' });
    const acquiring = lock.acquire({ timeout: 20000 });
    await waitFor(async () => createErrors === 1 && a.state === 'connected', 15000, 'the lost reply and the reconnect');
    await sleep(300);
    const children = await b.getChildren(path);
    assert.equal(children.length, 2, `one node each: ${children.join(', ')}`);
    assert.equal(children.filter((c) => c.startsWith(lock.prefix)).length, 1);
    assert.equal(createCalls, 1, 'the create applied behind the lost reply was found, not repeated');
    await other.release();
    assert.equal(await acquiring, true);
    await lock.release();
    assert.deepEqual(await b.getChildren(path), []);
  });

  it('signals `lost` at once when the holder session expires, and the next contender takes over', async () => {
    const [a, b] = [await connect(target()), await connect(target())];
    const path = uniquePath('lock-expire');
    const holder = new Lock(a, path, { identifier: 'holder' });
    const next = new Lock(b, path, { identifier: 'next' });
    await holder.acquire();
    const signal = holder.lost;
    assert.equal(signal.aborted, false);
    const lostEvent = once(holder, 'lost');
    const taking = next.acquire({ timeout: 20000 });
    await waitFor(async () => (await b.getChildren(path)).length === 2);
    await target().expire(a);
    const [reason] = (await lostEvent) as [Error];
    assert.equal(reason.name, 'SessionLostError');
    assert.equal(signal.aborted, true);
    assert.ok(signal.reason instanceof SessionLostError && signal.reason.code === 'SESSION_LOST', 'the lost signal carries a SessionLostError');
    assert.equal((signal.reason as SessionLostError).cause instanceof Error && ((signal.reason as SessionLostError).cause as Error).name, 'SessionExpiredError');
    assert.equal(holder.isAcquired, false);
    assert.equal(await taking, true);
    assert.deepEqual(await next.contenders(), ['next']);
    assert.equal(await holder.release(), false);
    await next.release();
  });

  it('declares the lock lost when the connection stays down longer than the suspended timeout', async () => {
    const a = await connect(target());
    const path = uniquePath('lock-suspend');
    const lock = new Lock(a, path, { suspendedTimeout: 1 });
    await lock.acquire();
    const lost = once(lock, 'lost');
    target().dropConnections();
    const [reason] = (await lost) as [Error];
    assert.match(reason.message, /connection lost/);
    // Once the session is back, the node of a lock given up on is deleted for the others.
    await waitFor(async () => a.state === 'connected' && (await a.getChildren(path)).length === 0, 10000, 'the node to go');
  });

  it('times the suspended timeout on the client\'s clock (a FakeClock: lost exactly when it is advanced past it)', async () => {
    const clock = new FakeClock();
    const a = await connect(target(), { clock }, target().proxy.connectionString);
    const path = uniquePath('lock-clock');
    const lock = new Lock(a, path, { suspendedTimeout: 1000 });
    await lock.acquire();
    const signal = lock.lost;
    // Refuse reconnects, so the client stays suspended however the clock moves.
    await target().proxy.reject(true);
    try {
      target().proxy.dropConnections();
      await waitFor(() => a.state === 'disconnected', 10_000, 'the disconnect');
      await sleep(300);
      assert.equal(signal.aborted, false, 'no real time counts: the fake clock stands still');
      clock.advance(999);
      assert.equal(signal.aborted, false, 'still held at 999 ms');
      clock.advance(1);
      assert.equal(signal.aborted, true, 'lost at 1000 ms on the fake clock');
      assert.ok(signal.reason instanceof SessionLostError);
      assert.match((signal.reason as Error).message, /suspended timeout/);
      assert.equal(lock.isAcquired, false);
    } finally {
      await target().proxy.reject(false);
    }
  });

  it('rejects a waiting acquire with ClientClosedError when its client is closed', async () => {
    const [a, b] = [await connect(target()), await connect(target())];
    const path = uniquePath('lock-closed');
    const holder = new Lock(a, path);
    await holder.acquire();
    const waiting = new Lock(b, path).acquire();
    await waitFor(async () => (await a.getChildren(path)).length === 2);
    await b.close();
    await assert.rejects(waiting, (e: unknown) => e instanceof Error && e.name === 'ClientClosedError' && (e as { code?: string }).code === 'CLIENT_CLOSED');
    await waitFor(async () => (await a.getChildren(path)).length === 1, 10_000, 'the closed session\'s node to go');
    await holder.release();
  });

  it('hold() releases on dispose; run() gives the lost signal and releases', async () => {
    const a = await connect(target());
    const path = uniquePath('lock-hold');
    const lock = new Lock(a, path, { identifier: 'h' });
    const held = await lock.hold({ timeout: 5000 });
    assert.equal(lock.isAcquired, true);
    assert.equal(held.lost.aborted, false);
    await held[Symbol.asyncDispose]();
    assert.equal(lock.isAcquired, false);
    assert.equal(held.lost.aborted, true);
    assert.equal(await lock.run(async (lost) => (lost.aborted ? 'lost' : (await lock.contenders()).join()), { timeout: 5000 }), 'h');
    assert.deepEqual(await a.getChildren(path), []);
  });
});

forEachTarget('ReadLock/WriteLock', (target) => {
  it('lets readers share and keeps writers exclusive, with Kazoo node names', async () => {
    const [a, b, c] = [await connect(target()), await connect(target()), await connect(target())];
    const path = uniquePath('rwlock');
    const r1 = new ReadLock(a, path, { identifier: 'r1' });
    const r2 = new ReadLock(b, path, { identifier: 'r2' });
    await r1.acquire();
    await r2.acquire({ timeout: 2000 });
    assert.ok((await a.getChildren(path)).every((n) => /^[0-9a-f]{32}__rlock__\d{10}$/.test(n)));
    const w = new WriteLock(c, path, { identifier: 'w' });
    assert.equal(await w.acquire({ blocking: false }), false);
    const writing = w.acquire({ timeout: 10000 });
    await waitFor(async () => (await a.getChildren(path)).length === 3, 5000, 'the writer node');
    // A reader arriving after the writer waits for it (no writer starvation).
    const r3 = new ReadLock(a, path, { identifier: 'r3' });
    const reading = r3.acquire({ timeout: 10000 });
    await sleep(200);
    assert.equal(w.isAcquired, false);
    assert.equal(r3.isAcquired, false);
    await r1.release();
    await r2.release();
    assert.equal(await writing, true);
    await sleep(100);
    assert.equal(r3.isAcquired, false);
    assert.deepEqual(await w.contenders(), ['w', 'r3']);
    await w.release();
    assert.equal(await reading, true);
    await r3.release();
  });

  it('keeps one writer and no reader inside together under contention', async () => {
    const path = uniquePath('rw-contend');
    const clients = await Promise.all(Array.from({ length: 4 }, () => connect(target())));
    let readers = 0;
    let writers = 0;
    let violations = 0;
    let maxReaders = 0;
    await Promise.all(
      clients.map(async (client, i) => {
        for (let n = 0; n < 6; n++) {
          const write = (i + n) % 3 === 0;
          const lock = write ? new WriteLock(client, path) : new ReadLock(client, path);
          await lock.acquire();
          if (write) writers++;
          else readers++;
          maxReaders = Math.max(maxReaders, readers);
          if (writers > 1 || (writers === 1 && readers > 0)) violations++;
          await sleep(Math.random() * 5);
          if (write) writers--;
          else readers--;
          await lock.release();
        }
      }),
    );
    assert.equal(violations, 0);
  });
});
