/**
 * serve, lookup and list across real sockets, on both coordination targets:
 * the registry entry, typed calls and value round trips, exposure rules,
 * remote errors, deadlines and cancellation seen by the serving method,
 * oneway calls, tags, connection loss.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { Client } from '../../src/client/index.js';
import {
  BadArgumentsError,
  CancelledError,
  ProtocolError,
  RemoteError,
  RpcConnectionError,
  TimeoutError,
  closeRemote,
  list,
  lookup,
  serve,
  withCallOptions,
  type Served,
} from '../../src/rpc/index.js';
import { connect, forEachTarget, waitFor } from '../support/targets.js';
import { DEMO_METHODS, Demo } from './demo.js';

let serial = 0;
const unique = (what: string): string => `${what}-${process.pid}-${serial++}`;

forEachTarget('rpc serve/lookup', (target) => {
  const open: Served[] = [];
  let client: Client;
  const start = async (name: string, label = 'a', tags?: Record<string, string>): Promise<Served> => {
    client ??= await connect(target());
    const served = await serve(client, name, new Demo(label), { expose: DEMO_METHODS, ...(tags ? { tags } : {}), identifier: `test-${label}` });
    open.push(served);
    return served;
  };
  after(async () => {
    await Promise.all(open.map((s) => s.close()));
  });

  test('serve registers an entry that list shows; lookup calls it; close unregisters', async () => {
    const name = unique('basic');
    const served = await start(name, 'a', { dc: 'a' });
    assert.match(served.address, /^127\.0\.0\.1:\d+$/);
    const [service] = await list(client, name);
    assert.equal(service!.name, name);
    assert.equal(service!.instances.length, 1);
    const entry = service!.instances[0]!;
    assert.equal(entry.address, served.address);
    assert.equal(entry.protocol, 'herd');
    assert.equal(entry.version, 1);
    assert.deepEqual(entry.methods, [...DEMO_METHODS].sort());
    assert.deepEqual(entry.tags, { dc: 'a' });
    assert.equal(entry.identifier, 'test-a');
    assert.equal(entry.pid, process.pid);
    assert.match(entry.interfaceHash, /^[0-9a-f]{16}$/);
    assert.ok((await list(client)).some((s) => s.name === name));

    const caller = await connect(target());
    const remote = await lookup<Demo>(caller, name);
    const sum: Promise<number> = remote.add(2, 3);
    assert.equal(await sum, 5);
    // @ts-expect-error Remote<T> has T's methods only: a property is not readable remotely.
    await assert.rejects(remote.label(), { code: 'NOT_EXPOSED' });
    assert.deepEqual(await remote.whoAmI(), { pid: process.pid, label: 'a' });
    await closeRemote(remote);
    await assert.rejects(remote.add(1, 1), { code: 'INVALID_STATE' });

    await served.close();
    await served.close();
    assert.deepEqual((await list(client, name))[0]!.instances, []);
  });

  test('values round-trip: Date, Buffer, Uint8Array, Map, Set, bigint, nested objects', async () => {
    const name = unique('values');
    await start(name);
    await using remote = await lookup<Demo>(await connect(target()), name);
    const value = {
      date: new Date(1_700_000_000_123),
      buffer: Buffer.from('herd'),
      bytes: new Uint8Array([1, 2, 255]),
      map: new Map<unknown, unknown>([
        [1, 'one'],
        ['k', { nested: [1, 2, { deep: true }] }],
      ]),
      set: new Set(['a', 2]),
      big: 2n ** 80n,
      small: -7n,
      nothing: null,
      text: 'é✓',
      list: [1.5, -2, true, 2 ** 40, -(2 ** 53) + 1],
    };
    const back = await remote.echo(value);
    assert.deepEqual(back, value);
    assert.ok(back.map instanceof Map);
    assert.ok(back.set instanceof Set);
    assert.ok(back.date instanceof Date);
    assert.equal(typeof back.big, 'bigint');
  });

  test('entries of another protocol are listed but not called; foreign data is skipped', async () => {
    const name = unique('seam');
    client ??= await connect(target());
    const base = `/herd/rpc/${name}`;
    await client.mkdirp(base);
    await client.create(`${base}/not-an-entry`, 'not json', { mode: 'ephemeral' });
    const pyro = { protocol: 'pyro4', version: 4, address: '127.0.0.1:1', interfaceHash: '', methods: ['whoAmI'], tags: {}, identifier: 'py', pid: 1 };
    await client.create(`${base}/pyro-`, JSON.stringify(pyro), { mode: 'ephemeralSequential' });
    const caller = await connect(target());
    await assert.rejects(lookup<Demo>(caller, name, { timeout: 300 }), TimeoutError, 'a pyro4 entry is not an instance Herd calls');
    await start(name, 'herd');
    const listed = (await list(caller, name))[0]!.instances;
    assert.deepEqual(listed.map((i) => i.protocol).sort(), ['herd', 'pyro4']);
    await using remote = await lookup<Demo>(caller, name);
    for (let i = 0; i < 3; i++) assert.equal((await remote.whoAmI()).label, 'herd');
  });

  test('a value too large for a frame fails that call only; the connection goes on', async () => {
    const name = unique('large');
    await start(name);
    await using remote = await lookup<Demo>(await connect(target()), name);
    const big = Buffer.alloc(2 * 1024 * 1024, 7);
    await assert.rejects(remote.echo(big), (e: unknown) => e instanceof ProtocolError && /exceeds the frame limit/.test(e.message));
    // A result too large for a frame: the server answers with an error instead.
    await assert.rejects(remote.repeat('x', 2 * 1024 * 1024), {
      code: 'PROTOCOL',
      message: /result of .*repeat cannot be sent: RESULT of \d+ bytes exceeds the frame limit/,
    });
    // So is an error too large for a frame: the caller learns it, and the serving process goes on.
    await assert.rejects(remote.failLarge(2 * 1024 * 1024), {
      code: 'PROTOCOL',
      message: /the error of .*failLarge cannot be sent: ERROR of \d+ bytes exceeds the frame limit/,
    });
    assert.equal(await remote.add(1, 2), 3);
  });

  test('exposure is deny by default: serve refuses forbidden names, calls to others are NOT_EXPOSED', async () => {
    client ??= await connect(target());
    for (const bad of ['constructor', '__proto__', '_secret', 'toString', 'hasOwnProperty', 'missing', 'secretField']) {
      await assert.rejects(serve(client, unique('bad'), new Demo('x'), { expose: [bad] }), BadArgumentsError, bad);
    }
    await assert.rejects(serve(client, unique('bad'), new Demo('x'), { expose: [] }), BadArgumentsError);
    await assert.rejects(serve(client, 'a/b', new Demo('x'), { expose: ['echo'] }), BadArgumentsError);

    const name = unique('expose');
    await start(name);
    await using remote = await lookup<Demo & Record<string, () => unknown>>(await connect(target()), name);
    for (const method of ['notExposed', '_secret', 'constructor', '__proto__', 'toString', 'secretField', 'valueOf']) {
      await assert.rejects(
        remote[method]!(),
        (err: unknown) => err instanceof RemoteError && err.code === 'NOT_EXPOSED' && err.name === 'NotExposedError' && err.message.includes(method),
        method,
      );
    }
    // The connection survives refused calls.
    assert.equal(await remote.add(1, 1), 2);
  });

  test('an exposed getter is read by calling its name; a data property cannot be exposed', async () => {
    client ??= await connect(target());
    const name = unique('getter');
    const single = await serve(client, name, new Demo('g'), { expose: ['add', 'shout'] });
    open.push(single);
    // With a factory the object exists only per call: the getter is recognised when the call runs.
    const perCall = unique('getter-call');
    open.push(await serve(client, perCall, () => new Demo('h'), { expose: ['shout'], instanceMode: 'call' }));
    // Remote<T> types methods only: a caller types an exposed getter as a method.
    type Shouting = { shout(): string; label(): string; secretField(): string };
    const caller = await connect(target());
    await using remote = await lookup<Shouting>(caller, name);
    assert.equal(await remote.shout(), 'G!');
    for (const property of ['label', 'secretField'] as const) {
      await assert.rejects(remote[property](), { code: 'NOT_EXPOSED' }, property);
    }
    await using made = await lookup<Shouting>(caller, perCall);
    assert.equal(await made.shout(), 'H!');
    for (const property of ['label', 'secretField']) {
      await assert.rejects(serve(client, unique('bad'), new Demo('x'), { expose: [property] }), /not a method or getter of the object/, property);
    }
  });

  test('a remote error keeps its class name, message and code; the remote stack is the cause', async () => {
    const name = unique('errors');
    await start(name);
    await using remote = await lookup<Demo>(await connect(target()), name);
    const err = await remote.fail('quota exceeded for tenant 7', 'QUOTA').then(
      () => assert.fail('fail() resolved'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof RemoteError);
    assert.equal(err.name, 'QuotaError');
    assert.equal(err.code, 'QUOTA');
    assert.equal(err.message, 'quota exceeded for tenant 7');
    assert.match(String((err.cause as Error).stack), /QuotaError: quota exceeded[\s\S]*fail/);
  });

  test('the deadline reaches the serving method as an aborted signal; so does cancellation', async () => {
    const name = unique('deadline');
    await start(name);
    await using remote = await lookup<Demo>(await connect(target()), name);
    const started = Date.now();
    await assert.rejects(withCallOptions(remote, { timeout: 300 }).sleep(20000), TimeoutError);
    assert.ok(Date.now() - started < 5000);
    await waitFor(async () => (await remote.lastAbort())?.name === 'TimeoutError', 5000, 'the server to see the deadline');

    const ac = new AbortController();
    const call = withCallOptions(remote, { signal: ac.signal }).sleep(20000);
    setTimeout(() => ac.abort(), 200);
    await assert.rejects(call, CancelledError);
    await waitFor(async () => (await remote.lastAbort())?.name === 'CancelledError', 5000, 'the server to see the cancel');

    // The default deadline from lookup's callTimeout.
    await using short = await lookup<Demo>(await connect(target()), name, { callTimeout: 200 });
    await assert.rejects(short.sleep(20000), TimeoutError);
    assert.equal(await short.sleep(1), 'slept');
  });

  test('calls on one connection keep their own deadlines: a short one made after a long one times out first', async () => {
    // One timer per connection watches every pending call's deadline: a new, earlier deadline must move it.
    const name = unique('deadlines');
    await start(name);
    await using remote = await lookup<Demo>(await connect(target()), name);
    const long = withCallOptions(remote, { timeout: 20000 }).sleep(1500);
    const started = Date.now();
    await assert.rejects(withCallOptions(remote, { timeout: 200 }).sleep(20000), TimeoutError);
    const took = Date.now() - started;
    assert.ok(took >= 190 && took < 1400, `the short call timed out after ${took} ms`);
    assert.equal(await long, 'slept');
  });

  test("the serving method's signal aborts when the caller's connection goes", async () => {
    const name = unique('caller-gone');
    await start(name);
    const remote = await lookup<Demo>(await connect(target()), name);
    const call = remote.sleep(20000);
    await new Promise((r) => setTimeout(r, 200));
    await closeRemote(remote);
    await assert.rejects(call, RpcConnectionError);
    await using observer = await lookup<Demo>(await connect(target()), name);
    await waitFor(async () => (await observer.lastAbort())?.code === 'CONNECTION_LOST', 5000, 'the server to see the caller go');
  });

  test('oneway calls run without a reply', async () => {
    const name = unique('oneway');
    await start(name);
    await using remote = await lookup<Demo>(await connect(target()), name);
    const fire = withCallOptions(remote, { oneway: true });
    assert.equal(await fire.record('x'), undefined);
    assert.equal(await fire.fail('dropped', 'X'), undefined);
    await waitFor(async () => (await remote.recorded()).length === 1, 5000, 'the oneway call');
    assert.deepEqual(await remote.recorded(), ['x']);
  });

  test('tags select instances; lookup waits for a matching one up to its timeout', async () => {
    const name = unique('tags');
    await start(name, 'a', { dc: 'a' });
    await start(name, 'b', { dc: 'b' });
    const caller = await connect(target());
    for (let i = 0; i < 3; i++) {
      await using b = await lookup<Demo>(caller, name, { tags: { dc: 'b' } });
      assert.equal((await b.whoAmI()).label, 'b');
    }
    const labels = new Set<string>();
    for (let i = 0; i < 4; i++) {
      await using any = await lookup<Demo>(caller, name);
      labels.add((await any.whoAmI()).label);
    }
    assert.deepEqual([...labels].sort(), ['a', 'b'], 'round-robin over the instances');
    await assert.rejects(lookup<Demo>(caller, name, { tags: { dc: 'c' }, timeout: 300 }), TimeoutError);
    await assert.rejects(lookup<Demo>(caller, unique('none'), { timeout: 0 }), TimeoutError);
  });

  test('a lookup made before any instance exists writes nothing and binds as soon as one serves', async () => {
    const name = unique('early');
    const caller = await connect(target());
    const pending = lookup<Demo>(caller, name, { timeout: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(await caller.exists(`/herd/rpc/${name}`), null, 'a reader does not create the service node');
    await start(name, 'late');
    await using remote = await pending;
    assert.equal((await remote.whoAmI()).label, 'late');
  });

  test('a proxy whose instance closes moves to another one, without an error', async () => {
    const name = unique('move');
    const a = await start(name, 'a');
    await start(name, 'b');
    await using remote = await lookup<Demo>(await connect(target()), name);
    const first = (await remote.whoAmI()).label;
    if (first === 'a') await a.close();
    else await open.find((s) => s.name === name && s !== a)!.close();
    for (let i = 0; i < 5; i++) assert.notEqual((await remote.whoAmI()).label, first);
  });

  test('a call in flight when the server closes fails with RpcConnectionError', async () => {
    const name = unique('loss');
    const served = await start(name);
    await using remote = await lookup<Demo>(await connect(target()), name);
    const call = remote.sleep(20000);
    setTimeout(() => void served.close(), 200);
    await assert.rejects(call, RpcConnectionError);
  });

  test('the registry entry comes back after the serving session expires', async () => {
    const name = unique('expiry');
    const own = await connect(target());
    const served = await serve(own, name, new Demo('e'), { expose: DEMO_METHODS });
    open.push(served);
    const before = served.registryPath;
    await target().expire(own);
    await waitFor(() => own.state === 'expired', 10000, 'expiry');
    // The application starts a new session (the client never does so by itself); the entry follows.
    await own.connect();
    await waitFor(async () => served.registryPath !== undefined && served.registryPath !== before, 20000, 're-registration');
    const instances = (await list(await connect(target()), name))[0]!.instances;
    assert.equal(instances.length, 1);
    await using remote = await lookup<Demo>(await connect(target()), name);
    assert.equal((await remote.whoAmI()).label, 'e');
  });
});
