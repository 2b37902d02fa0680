/**
 * Idempotent retry across processes, on both coordination targets: a call
 * whose serving process is SIGKILLed mid-call is sent again to another
 * instance when the method is marked idempotent, and fails with
 * RpcConnectionError when it is not.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { BadArgumentsError, RpcConnectionError, TimeoutError, list, lookup, serve, withCallOptions } from '../../src/rpc/index.js';
import { connect, forEachTarget } from '../support/targets.js';
import { PROBE_METHODS, Probe } from './probe.js';
import { killProbes, startProbe, type ProbeChild } from './singleton-support.js';

let serial = 0;
const unique = (what: string): string => `${what}-${process.pid}-${Date.now()}-${serial++}`;

forEachTarget('rpc idempotent retry', (target) => {
  after(killProbes);

  /** Two processes serving `name`, and a proxy bound to one of them: [bound, other, proxy]. */
  async function pair(name: string): Promise<[ProbeChild, ProbeChild, Awaited<ReturnType<typeof lookup<Probe>>>]> {
    const cs = target().connectionString;
    const one = await startProbe(cs, name, 'one', { idempotent: ['slowWhoAmI'] });
    const two = await startProbe(cs, name, 'two', { idempotent: ['slowWhoAmI'] });
    const remote = await lookup<Probe>(await connect(target()), name, { callTimeout: 20000 });
    const bound = (await remote.whoAmI()).pid;
    return bound === one.pid ? [one, two, remote] : [two, one, remote];
  }

  test('the registry entry advertises the idempotent methods', async () => {
    const name = unique('advertised');
    await startProbe(target().connectionString, name, 'one', { idempotent: ['slowWhoAmI', 'whoAmI'] });
    const [entry] = (await list(await connect(target()), name))[0]!.instances;
    assert.deepEqual(entry!.idempotent, ['slowWhoAmI', 'whoAmI']);
    assert.equal(entry!.singleton, false);
  });

  test('an idempotent call whose serving process is SIGKILLed mid-call is answered by another instance', async () => {
    const [bound, other, remote] = await pair(unique('idem'));
    await using _ = remote;
    const call = remote.slowWhoAmI(1500);
    await new Promise((r) => setTimeout(r, 300));
    await bound.kill();
    assert.deepEqual(await call, { pid: other.pid, label: other.label });
  });

  test('a call not marked idempotent fails with RpcConnectionError when its serving process is SIGKILLed', async () => {
    const [bound, other, remote] = await pair(unique('non-idem'));
    await using _ = remote;
    const call = assert.rejects(remote.slowAppend(1500, 'x'), (error) => error instanceof RpcConnectionError && error.code === 'CONNECTION_LOST');
    await new Promise((r) => setTimeout(r, 300));
    await bound.kill();
    await call;
    // The proxy goes on with the survivor.
    assert.equal((await remote.whoAmI()).pid, other.pid);
  });

  test('the retry stays within the call deadline', async () => {
    const name = unique('deadline');
    const only = await startProbe(target().connectionString, name, 'only', { idempotent: ['slowWhoAmI'] });
    await using remote = await lookup<Probe>(await connect(target()), name);
    const started = Date.now();
    // No other instance: the resend waits for one until the deadline, then gives up.
    const call = assert.rejects(withCallOptions(remote, { timeout: 1500 }).slowWhoAmI(1000), TimeoutError);
    await new Promise((r) => setTimeout(r, 300));
    await only.kill();
    await call;
    assert.ok(Date.now() - started < 10000);
  });

  test('serve refuses an idempotent method that is not exposed', async () => {
    const client = await connect(target());
    await assert.rejects(
      serve(client, unique('bad'), new Probe('x'), { expose: PROBE_METHODS, idempotent: ['appended'] }),
      (error) => error instanceof BadArgumentsError && /idempotent method 'appended' is not exposed/.test(error.message),
    );
  });
});
