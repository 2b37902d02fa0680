/**
 * Rebinding: a proxy bound to a serving process that is SIGKILLed goes on
 * with another instance, with no code change in the caller.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { RpcConnectionError, list, lookup, serve } from '../../src/rpc/index.js';
import { connect, forEachTarget, waitFor } from '../support/targets.js';
import { DEMO_METHODS, Demo } from './demo.js';
import { killChildren, startServingChild } from './support.js';

/**
 * Runs `call`, again when it fails with RpcConnectionError: a call sent
 * before the socket's close was seen fails so (it may have run); only the
 * next one rebinds. Any other failure, or a third connection error, fails.
 */
async function afterLoss<R>(call: () => Promise<R>): Promise<R> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof RpcConnectionError) || attempt >= 2) throw error;
    }
  }
}

forEachTarget('rpc rebind', (target) => {
  after(killChildren);

  test('after the serving process is SIGKILLed, the proxy rebinds to another instance', async () => {
    const name = `rebind-${process.pid}-${Date.now()}`;
    const child = await startServingChild(target().connectionString, name, 'child');
    const caller = await connect(target());
    await using remote = await lookup<Demo>(caller, name, { callTimeout: 20000 });
    assert.deepEqual(await remote.whoAmI(), { pid: child.pid, label: 'child' });

    await child.kill();
    // A call made now waits (within its deadline) for a live instance: the dead one refuses connections.
    const pending = afterLoss(() => remote.whoAmI());
    await using replacement = await serve(await connect(target()), name, new Demo('replacement'), { expose: DEMO_METHODS });
    assert.deepEqual(await pending, { pid: process.pid, label: 'replacement' });

    // The dead process's entry leaves with its session.
    await waitFor(async () => (await list(caller, name))[0]!.instances.every((i) => i.pid === process.pid), 20000, 'the dead entry to go');
    assert.equal(await remote.add(20, 22), 42);
    void replacement;
  });

  test('a proxy rebinds to a surviving instance when its own is killed', async () => {
    const name = `survive-${process.pid}-${Date.now()}`;
    const first = await startServingChild(target().connectionString, name, 'one');
    const second = await startServingChild(target().connectionString, name, 'two');
    const caller = await connect(target());
    await using remote = await lookup<Demo>(caller, name, { callTimeout: 20000 });
    const bound = await remote.whoAmI();
    const [victim, survivor] = bound.pid === first.pid ? [first, second] : [second, first];
    await victim.kill();
    const answer = await afterLoss(() => remote.whoAmI());
    assert.equal(answer.pid, survivor.pid);
  });
});
