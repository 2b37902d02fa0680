import { it } from 'node:test';
import assert from 'node:assert/strict';
import { BadArgumentsError, Barrier, CancelledError, ClientClosedError, DoubleBarrier, Lock, SessionLostError, TimeoutError } from '../../src/recipes/index.js';
import { FakeClock } from '../support/fake-clock.js';
import { connect, forEachTarget, sleep, uniquePath, waitFor } from './harness.js';

forEachTarget('Barrier', (target) => {
  it('blocks until removed, times out, and passes when absent', async () => {
    const [a, b] = [await connect(target()), await connect(target())];
    const path = uniquePath('barrier');
    const gate = new Barrier(a, path);
    await new Barrier(b, path).wait(); // no barrier: passes at once
    await gate.create();
    const started = Date.now();
    await assert.rejects(new Barrier(b, path).wait({ timeout: 150 }), (e: unknown) => e instanceof TimeoutError && e.code === 'TIMEOUT');
    assert.ok(Date.now() - started >= 140);
    let passed = false;
    const waiting = new Barrier(b, path).wait({ timeout: 10000 }).then(() => (passed = true));
    await sleep(50);
    await a.setData(path, 'changed: not a removal');
    await sleep(50);
    assert.equal(passed, false, 'a data change is not a removal');
    assert.equal(await gate.remove(), true);
    await waiting;
    assert.equal(passed, true);
    assert.equal(await gate.remove(), false);
  });

  it('a wait rejects with CancelledError (cause: the reason) on abort, and with a lost signal\'s SessionLostError as it is', async () => {
    const a = await connect(target());
    const path = uniquePath('barrier-abort');
    await new Barrier(a, path).create();
    const ac = new AbortController();
    const reason = new Error('shutting down');
    const waiting = new Barrier(a, path).wait({ signal: ac.signal });
    setTimeout(() => ac.abort(reason), 50);
    await assert.rejects(waiting, (e: unknown) => e instanceof CancelledError && e.code === 'CANCELLED' && e.cause === reason);
    // A holder's `lost` signal as the wait's signal: its SessionLostError is what the wait rejects with.
    const lock = new Lock(a, `${path}-lock`, { suspendedTimeout: 1 });
    await lock.acquire();
    const guarded = new Barrier(a, path).wait({ signal: lock.lost });
    target().dropConnections();
    await assert.rejects(guarded, (e: unknown) => e instanceof SessionLostError && e.code === 'SESSION_LOST' && e === lock.lost.reason);
  });

  it('a wait rejects with ClientClosedError when its client is closed, not SessionExpiredError', async () => {
    const [a, b] = [await connect(target()), await connect(target())];
    const path = uniquePath('barrier-closed');
    await new Barrier(a, path).create();
    const waiting = new Barrier(b, path).wait({ timeout: 10_000 });
    await sleep(50);
    await b.close();
    await assert.rejects(waiting, (e: unknown) => e instanceof ClientClosedError && e.code === 'CLIENT_CLOSED');
  });

  it('times out on the client\'s clock: a FakeClock drives the timeout, with no real time passing', async () => {
    const clock = new FakeClock();
    const a = await connect(target());
    const b = await connect(target(), { clock });
    const path = uniquePath('barrier-clock');
    await new Barrier(a, path).create();
    let outcome: unknown;
    const waiting = new Barrier(b, path).wait({ timeout: 60_000 }).then(
      () => (outcome = 'passed'),
      (e: unknown) => (outcome = e),
    );
    const started = Date.now();
    // Advance in steps shorter than the heartbeat's ping interval, with a round
    // trip between them, so the client's own timers see a live connection.
    for (let t = 0; t < 59_000; t += 1000) {
      clock.advance(1000);
      await b.exists('/');
    }
    assert.equal(outcome, undefined, 'still waiting at 59 s on the fake clock');
    clock.advance(1000);
    await waiting;
    const result: unknown = outcome;
    assert.ok(result instanceof TimeoutError, `rejected with TimeoutError, got ${String(result)}`);
    assert.match(result.message, /barrier .*timed out after 60000 ms/);
    assert.ok(Date.now() - started < 20_000, 'the 60 s timeout took no real 60 s');
    assert.equal(b.state, 'connected');
  });
});

forEachTarget('DoubleBarrier', (target) => {
  it('releases enter when all 3 arrived and leave when all left, with Kazoo nodes', async () => {
    const path = uniquePath('double');
    const clients = await Promise.all(Array.from({ length: 3 }, () => connect(target())));
    const barriers = clients.map((c, i) => new DoubleBarrier(c, path, 3, { identifier: `m${i}` }));
    const entered: number[] = [];
    const e0 = barriers[0]!.enter().then(() => entered.push(0));
    const e1 = barriers[1]!.enter().then(() => entered.push(1));
    await waitFor(async () => (await clients[0]!.getChildren(path)).length === 2);
    await sleep(100);
    assert.deepEqual(entered, []);
    for (const c of await clients[0]!.getChildren(path)) assert.match(c, /^[0-9a-f]{32}$/);
    await barriers[2]!.enter();
    await Promise.all([e0, e1]);
    assert.ok(barriers.every((b) => b.isParticipating));
    const left: number[] = [];
    const l0 = barriers[0]!.leave().then(() => left.push(0));
    const l1 = barriers[1]!.leave().then(() => left.push(1));
    await sleep(150);
    assert.deepEqual(left, []);
    await barriers[2]!.leave();
    await Promise.all([l0, l1]);
    assert.deepEqual(await clients[0]!.getChildren(path), []);
  });

  it('enter times out and leaves no member node', async () => {
    const a = await connect(target());
    const path = uniquePath('double-timeout');
    await assert.rejects(new DoubleBarrier(a, path, 2).enter({ timeout: 150 }), { name: 'TimeoutError', code: 'TIMEOUT' });
    assert.deepEqual(await a.getChildren(path), []);
  });

  it('leave times out while a member stays, and bad arguments are refused before any I/O', async () => {
    const [a, b] = [await connect(target()), await connect(target())];
    const path = uniquePath('double-leave');
    const [da, db] = [new DoubleBarrier(a, path, 2), new DoubleBarrier(b, path, 2)];
    await Promise.all([da.enter({ timeout: 10_000 }), db.enter({ timeout: 10_000 })]);
    await assert.rejects(da.leave({ timeout: 150 }), { name: 'TimeoutError', code: 'TIMEOUT' });
    await Promise.all([da.leave({ timeout: 10_000 }), db.leave({ timeout: 10_000 })]);
    assert.deepEqual(await a.getChildren(path), []);
    assert.throws(() => new DoubleBarrier(a, path, 0), BadArgumentsError);
    await assert.rejects(da.enter({ timeout: -1 }), BadArgumentsError);
  });
});
