/**
 * Call semantics across processes (a serving child, real sockets), on both
 * targets: streams with credit-based flow control (a slow consumer keeps
 * the server's items in flight bounded), stream cancellation running the
 * server's finally, errors mid-stream, streams as arguments, callbacks
 * during a call, remote references released explicitly, on disconnect and
 * on the holder's session expiry, and batches.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Connection } from '../../src/rpc/connection.js';
import {
  RemoteError,
  STREAM_WINDOW,
  batch,
  lookup,
  releaseRemote,
  withCallOptions,
  type Remote,
  type RemoteRef,
} from '../../src/rpc/index.js';
import { connect, forEachTarget, sleep, waitFor } from '../support/targets.js';
import { startProxy } from '../support/tcp-proxy.js';
import type { Calls, Counter } from './calls-demo.js';
import { startCallsChild, type CallsChild } from './calls-support.js';

forEachTarget('rpc calls across processes', (target) => {
  let child: CallsChild;
  let address: string;
  let name: string;
  let remote: Remote<Calls>;
  before(async () => {
    name = `calls-${process.pid}-${Date.now()}`;
    child = await startCallsChild(target().connectionString, name);
    address = child.address;
    remote = await lookup<Calls>(await connect(target()), name, { callTimeout: 20000 });
  });
  after(async () => {
    await remote?.[Symbol.asyncDispose]();
    await child?.kill();
  });

  test('a stream read by a slow consumer: the server runs at most STREAM_WINDOW items ahead', async () => {
    const before = (await remote.streamState()).produced;
    let consumed = 0;
    for await (const x of remote.count()) {
      assert.equal(x, consumed);
      consumed++;
      if (consumed % 10 === 0) {
        // Let the producer run as far as it can, then measure what it produced beyond what was consumed.
        await sleep(150);
        const ahead = (await remote.streamState()).produced - before - consumed;
        assert.ok(ahead >= 0 && ahead <= STREAM_WINDOW, `the server produced ${ahead} items ahead of the consumer (window ${STREAM_WINDOW})`);
      }
      if (consumed === 60) break;
    }
    // Without flow control an endless generator would have produced without bound meanwhile.
    await sleep(300);
    assert.ok((await remote.streamState()).produced - before <= 60 + STREAM_WINDOW);
  });

  test("breaking out of the loop stops the server's generator: its finally runs, its signal aborted", async () => {
    const before = await remote.streamState();
    for await (const x of remote.count()) if (x === 3) break;
    await waitFor(async () => (await remote.streamState()).finallyRuns === before.finallyRuns + 1, 10000, 'the generator finally');
    // A generator busy awaiting is cut short through its signal.
    const stream = remote.waiting();
    for await (const x of stream) {
      assert.equal(x, 'first');
      break;
    }
    await waitFor(async () => (await remote.streamState()).finallyRuns === before.finallyRuns + 2, 10000, 'the waiting generator finally');
    assert.equal((await remote.streamState()).abortedInFinally, before.abortedInFinally + 2);
  });

  test('an error thrown mid-stream arrives after the items as the remote error', async () => {
    const seen: number[] = [];
    await assert.rejects(
      (async () => {
        for await (const x of remote.failing(3)) seen.push(x);
      })(),
      (e: unknown) => e instanceof RemoteError && e.name === 'QuotaError' && e.code === 'QUOTA' && e.message === 'stream broke',
    );
    assert.deepEqual(seen, [0, 1, 2]);
    // A finite stream ends; awaiting the call gives the stream itself.
    const stream = await remote.count(5);
    const all: number[] = [];
    for await (const x of stream) all.push(x);
    assert.deepEqual(all, [0, 1, 2, 3, 4]);
  });

  test('a stream as an argument: the server reads it, pulling with credit', async () => {
    async function* numbers(): AsyncGenerator<number> {
      for (let i = 1; i <= 100; i++) yield i;
    }
    assert.equal(await remote.sum(numbers()), 5050);
  });

  test('callbacks: the server calls back during the call; the callback is released when the call ends', async () => {
    const seen: number[] = [];
    const result = await remote.callMeBack(async (x: number) => {
      seen.push(x);
      // The caller calls the server from inside the callback: no deadlock either way.
      return remote.add(x, 100);
    }, 3);
    assert.deepEqual(result, [100, 101, 102]);
    assert.deepEqual(seen, [0, 1, 2]);
    await assert.rejects(remote.callLastAgain(1), (e: unknown) => e instanceof RemoteError && e.code === 'NOT_EXPOSED' && /released/.test(e.message));
  });

  test('remote references: a proxy to a server object, kept until released; callbacks live as long as their reference', async () => {
    const held = await remote.heldReferences();
    const counter: RemoteRef<Counter> = await remote.open('c1');
    assert.equal(await counter.inc(), 1);
    assert.equal(await counter.inc(), 2);
    assert.equal(await counter.name(), 'c1');
    assert.equal(await remote.heldReferences(), held + 1);
    await assert.rejects((counter as unknown as Record<string, () => Promise<unknown>>).label!(), { code: 'NOT_EXPOSED' });
    await releaseRemote(counter);
    await waitFor(async () => (await remote.heldReferences()) === held, 10000, 'the release');
    await assert.rejects(counter.inc(), { code: 'INVALID_STATE' });

    {
      await using sub = await remote.subscribe(async (x: number) => x * 2);
      assert.equal(await sub.fire(21), 42, 'the callback outlives the call that passed it');
      assert.equal(await remote.heldReferences(), held + 1);
    }
    await waitFor(async () => (await remote.heldReferences()) === held, 10000, 'the release by await using');
  });

  test("a reference is released when its holder's connection closes", async () => {
    const held = await remote.heldReferences();
    const conn = await Connection.open(address, 'holder');
    const ref = (await conn.call(name, 'open', ['c2'], { timeout: 10000 })) as RemoteRef<Counter>;
    assert.equal(await ref.inc(), 1);
    assert.equal(await remote.heldReferences(), held + 1);
    await conn.close();
    await waitFor(async () => (await remote.heldReferences()) === held, 10000, 'the release on disconnect');
  });

  test("a reference is released when its holder's coordination session expires, though its connection stays", async () => {
    const held = await remote.heldReferences();
    const holder = await connect(target());
    await using proxy = await lookup<Calls>(holder, name, { callTimeout: 20000 });
    const ref = await proxy.open('c3');
    assert.equal(await ref.inc(), 1);
    assert.equal(await remote.heldReferences(), held + 1);
    await target().expire(holder);
    await waitFor(async () => (await remote.heldReferences()) === held, 20000, 'the release on session expiry');
    // The connection (shared with `remote`) is still up: the reference is gone, not the connection.
    await assert.rejects(ref.inc(), (e: unknown) => e instanceof RemoteError && e.code === 'NOT_EXPOSED');
    assert.equal(await remote.add(1, 1), 2);
  });

  test('a holder cut off from the coordination service loses its references when its session expires there', async () => {
    const held = await remote.heldReferences();
    // The holder reaches the coordination service through a proxy of its own, which the test cuts; its rpc connection stays.
    const proxy = await startProxy(target().host, target().port);
    try {
      const holder = await connect(target(), { sessionTimeout: 4000 }, proxy.connectionString);
      await using proxied = await lookup<Calls>(holder, name, { callTimeout: 20000 });
      const ref = await proxied.open('c4');
      assert.equal(await ref.inc(), 1);
      assert.equal(await remote.heldReferences(), held + 1);
      proxy.blackhole(true);
      await waitFor(async () => (await remote.heldReferences()) === held, 30000, 'the release once the session expired on the server');
      await assert.rejects(ref.inc(), (e: unknown) => e instanceof RemoteError && e.code === 'NOT_EXPOSED');
    } finally {
      proxy.blackhole(false);
      await proxy.close();
    }
  });

  test('a batch sends several calls at once; each settles on its own', async () => {
    let typed!: Promise<number>;
    const results = await batch(remote, (b) => {
      typed = b.add(1, 2);
      b.echo({ a: [1, 2] });
      (b as unknown as Record<string, () => unknown>).missing!();
      b.add(3, 4);
    });
    assert.equal(await typed, 3);
    assert.equal(results.length, 4);
    assert.deepEqual(results[0], { status: 'fulfilled', value: 3 });
    assert.deepEqual(results[1], { status: 'fulfilled', value: { a: [1, 2] } });
    assert.equal(results[2]!.status, 'rejected');
    assert.equal(((results[2] as PromiseRejectedResult).reason as RemoteError).code, 'NOT_EXPOSED');
    assert.deepEqual(results[3], { status: 'fulfilled', value: 7 });
    assert.deepEqual(await batch(remote, () => undefined), []);
    // A batch's deadline applies to each of its calls.
    const slow = await batch(withCallOptions(remote, {}), (b) => void b.add(1, 1), { timeout: 5000 });
    assert.deepEqual(slow, [{ status: 'fulfilled', value: 2 }]);
  });

  test('class instances arrive as plain data; no class is built from the wire', async () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
      norm(): number {
        return Math.hypot(this.x, this.y);
      }
    }
    const back = await remote.echo(new Point(3, 4));
    assert.equal(Object.getPrototypeOf(back), Object.prototype);
    assert.deepEqual({ ...(back as object) }, { x: 3, y: 4 });
    const values = { when: new Date(5), bytes: new Uint8Array([1, 2]), map: new Map([[1, 'a']]), set: new Set([1]), big: 2n ** 70n };
    assert.deepEqual(await remote.echo(values), values);
  });
});
