/**
 * Singleton objects across processes, on both coordination targets: one of
 * several serving processes is registered, a standby takes over when it is
 * SIGKILLed or closes, callers rebind with no code change, and an
 * idempotent call in flight to the killed leader is answered by the new one.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, test } from 'node:test';
import { list, lookup, serve, withCallOptions } from '../../src/rpc/index.js';
import { connect, forEachTarget, waitFor } from '../support/targets.js';
import { PROBE_METHODS, Probe } from './probe.js';
import { killProbes, startProbe, type ProbeChild } from './singleton-support.js';

let serial = 0;
const unique = (what: string): string => `${what}-${process.pid}-${Date.now()}-${serial++}`;

// Side by side: each test has its own service name and processes, and most of each is waiting for a dead
// leader's session to end.
forEachTarget('rpc singleton', (target) => {
  after(killProbes);

  test('one of three serving processes is registered; a standby takes over when it is SIGKILLed', async () => {
    const name = unique('single');
    const cs = target().connectionString;
    const first = await startProbe(cs, name, 'p0', { singleton: true });
    assert.equal(first.state, 'serving', 'the first contender leads at once');
    const others = [await startProbe(cs, name, 'p1', { singleton: true }), await startProbe(cs, name, 'p2', { singleton: true })];
    for (const o of others) assert.equal(o.state, 'standby');

    const caller = await connect(target());
    const [service] = await list(caller, name);
    assert.deepEqual(
      service!.instances.map((i) => [i.pid, i.singleton]),
      [[first.pid, true]],
      'standbys are not registered',
    );
    await using md = await lookup<Probe>(caller, name, { callTimeout: 30000 });
    assert.equal((await md.whoAmI()).pid, first.pid);

    await first.kill();
    // The same proxy, no code change: this call waits (within its deadline) for the standby that takes over.
    const answer = await retryOnce(() => md.whoAmI());
    const leader = others.find((o) => o.pid === answer.pid);
    assert.ok(leader, `answered by a former standby, not ${answer.pid}`);
    assert.equal(leader.state, 'serving');
    const standby = others.find((o) => o !== leader)!;
    assert.equal(standby.state, 'standby', 'exactly one takes over');
    await waitFor(async () => (await list(caller, name))[0]!.instances.length === 1, 20000, 'the dead entry to go');
    assert.deepEqual(
      (await list(caller, name))[0]!.instances.map((i) => i.pid),
      [leader.pid],
    );

    // And once more: the last standby takes over from the second leader.
    await leader.kill();
    await standby.reaches('serving');
    assert.equal((await retryOnce(() => md.whoAmI())).pid, standby.pid);
  });

  test('an idempotent call in flight to a SIGKILLed leader is answered by the standby that takes over', async () => {
    const name = unique('single-retry');
    const cs = target().connectionString;
    const options = { singleton: true, idempotent: ['slowWhoAmI'] };
    const leader = await startProbe(cs, name, 'leader', options);
    const standby = await startProbe(cs, name, 'standby', options);
    assert.equal(leader.state, 'serving');
    const caller = await connect(target());
    await using md = await lookup<Probe>(caller, name, { callTimeout: 30000 });
    assert.deepEqual((await list(caller, name))[0]!.instances[0]!.idempotent, ['slowWhoAmI']);
    assert.equal((await md.whoAmI()).pid, leader.pid);

    const call = md.slowWhoAmI(1500);
    await new Promise((r) => setTimeout(r, 300));
    await leader.kill();
    assert.deepEqual(await call, { pid: standby.pid, label: 'standby' });
    assert.equal(standby.state, 'serving');
  });

  test('in one process: state and events, close hands over at once, callers move without an error', async () => {
    const name = unique('single-local');
    const a = await serve(await connect(target()), name, new Probe('a'), { expose: PROBE_METHODS, singleton: true });
    const b = await serve(await connect(target()), name, new Probe('b'), { expose: PROBE_METHODS, singleton: true });
    assert.equal(a.state, 'serving');
    assert.equal(b.state, 'standby');
    assert.equal(b.registryPath, undefined);
    const caller = await connect(target());
    await using md = await lookup<Probe>(caller, name);
    assert.equal((await md.whoAmI()).label, 'a');

    // Calls keep coming while the leader closes: none fails (refused unrun calls go to the new leader).
    const slow = withCallOptions(md, { timeout: 20000 });
    const calls = Array.from({ length: 20 }, (_, i) => new Promise((r) => setTimeout(r, i * 20)).then(() => slow.whoAmI()));
    const promoted = once(b, 'serving');
    await new Promise((r) => setTimeout(r, 100));
    await a.close();
    assert.equal(a.state, 'closed');
    await promoted;
    assert.equal(b.state, 'serving');
    assert.match(b.registryPath ?? '', new RegExp(`^/herd/rpc/${name}/`));
    const labels = (await Promise.all(calls)).map((w) => w.label);
    assert.ok(labels.includes('b'), `some calls reached the new leader: ${labels.join(',')}`);
    assert.equal((await md.whoAmI()).label, 'b');

    // A third contender stands by behind b; closing a standby changes nothing for the callers.
    const c = await serve(await connect(target()), name, new Probe('c'), { expose: PROBE_METHODS, singleton: true });
    assert.equal(c.state, 'standby');
    await c.close();
    assert.equal((await md.whoAmI()).label, 'b');
    await b.close();
    assert.deepEqual((await list(caller, name))[0]!.instances, []);
  });
}, { concurrency: true });

/** A call sent before the leader's death was seen fails with RpcConnectionError (not idempotent); the next one rebinds. */
async function retryOnce<R>(call: () => Promise<R>): Promise<R> {
  try {
    return await call();
  } catch (error) {
    if ((error as { code?: string }).code !== 'CONNECTION_LOST') throw error;
    return call();
  }
}

