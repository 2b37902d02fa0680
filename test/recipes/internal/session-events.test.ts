import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Client } from '../../../src/client/index.js';
import { Lock, PersistentNode } from '../../../src/recipes/index.js';
import { onSessionEvents } from '../../../src/recipes/internal/index.js';
import { serve, type Served } from '../../../src/rpc/index.js';
import { connect, forEachTarget, uniquePath, waitFor } from '../harness.js';

/** The client's listeners per event, as a comparable record (events with none left out). */
function listeners(client: Client): Record<string, number> {
  return Object.fromEntries(client.eventNames().map((name) => [String(name), client.listenerCount(name)]).filter(([, n]) => (n as number) > 0));
}

const leaks: Error[] = [];
const onWarning = (warning: Error): void => {
  if (warning.name === 'MaxListenersExceededWarning') leaks.push(warning);
};
before(() => process.on('warning', onWarning));
after(() => process.off('warning', onWarning));

const COUNT = 30;

forEachTarget('session events hub', (target) => {
  it(`one client with ${COUNT} persistent nodes, ${COUNT} served rpc objects and ${COUNT} held locks adds one listener per state, and none once they close`, async () => {
    const client = await connect(target());
    const start = listeners(client);
    leaks.length = 0;
    const base = uniquePath('session-hub');
    const nodes = Array.from({ length: COUNT }, (_, i) => new PersistentNode(client, `${base}/nodes/n${i}`, `v${i}`));
    for (const node of nodes) await node.start();
    await Promise.all(nodes.map((node) => node.waitForInitialCreate({ timeout: 20_000 })));
    const served: Served[] = [];
    for (let i = 0; i < COUNT; i++) served.push(await serve(client, `hub-${base.slice(1).replace(/\W/g, '-')}-${i}`, { ping: () => i }, { expose: ['ping'] }));
    const locks = Array.from({ length: COUNT }, (_, i) => new Lock(client, `${base}/locks/l${i}`));
    for (const lock of locks) assert.equal(await lock.acquire({ timeout: 20_000 }), true);

    const open = listeners(client);
    for (const state of ['connected', 'disconnected', 'expired', 'closed', 'authFailed']) {
      assert.ok((open[state] ?? 0) <= (start[state] ?? 0) + 1, `${state}: ${open[state]} listeners with ${3 * COUNT} objects open (${start[state] ?? 0} before)`);
    }
    // A state change reaches every subscriber through the hub: drop the connection and see the nodes come back.
    const back = once(client, 'connected');
    target().dropConnections();
    await back;
    assert.ok(locks.every((lock) => lock.isAcquired), 'a reconnect within the session timeout keeps the locks');

    for (const lock of locks) await lock.release();
    for (const s of served) await s.close();
    for (const node of nodes) await node.close();
    // process 'warning' is emitted on a later tick.
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(leaks, []);
    assert.deepEqual(listeners(client), start, 'closing every object leaves the client as it was');
  });

  it('an unsubscribe is idempotent and only ends its own subscription; handlers run in subscription order', async () => {
    const client = await connect(target());
    const start = listeners(client);
    const calls: string[] = [];
    const a = onSessionEvents(client, { disconnected: () => calls.push('a') });
    const b = onSessionEvents(client, { disconnected: () => calls.push('b'), connected: () => calls.push('b connected') });
    a();
    a();
    const c = onSessionEvents(client, { disconnected: () => calls.push('c') });
    target().dropConnections();
    await waitFor(() => calls.includes('b connected'), 20_000, 'reconnected');
    assert.deepEqual(calls, ['b', 'c', 'b connected']);
    b();
    c();
    assert.deepEqual(listeners(client), start);
  });
});
