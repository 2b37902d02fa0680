import { it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { BadVersionError } from '../../src/errors.js';
import { PersistentNode, SharedConfig } from '../../src/recipes/index.js';
import { connect, forEachTarget, loseNextCreate, retryLoss, uniquePath, waitFor } from './harness.js';

forEachTarget('PersistentNode', (target) => {
  it('recreates its ephemeral after deletion and after session expiry', async () => {
    const [a, w] = [await connect(target()), await connect(target())];
    const path = `${uniquePath('pnode')}/services/api`;
    const node = new PersistentNode(w, path, 'v1');
    await node.start();
    await node.waitForInitialCreate({ timeout: 5000 });
    assert.notEqual(node.actualPath, undefined);
    const stat = await a.exists(path);
    assert.equal(stat?.ephemeralOwner, w.sessionId);
    const lost = once(node, 'lost');
    await a.delete(path);
    await lost;
    await waitFor(async () => (await a.exists(path)) !== null, 5000, 'recreated after delete');
    await node.setData('v2');
    assert.equal((await a.getData(path)).data?.toString(), 'v2');
    await target().expire(w);
    await waitFor(() => w.state === 'expired', 10000, 'expiry');
    await waitFor(async () => (await retryLoss(() => a.exists(path))) === null, 10000, 'gone with the session');
    await w.connect();
    await waitFor(async () => (await a.exists(path))?.ephemeralOwner === w.sessionId, 10000, 'recreated on the new session');
    assert.equal((await a.getData(path)).data?.toString(), 'v2');
    await node.close();
    assert.equal(await a.exists(path), null);
  });

  it('waits for a conflicting owner to go, and finds its sequential node after a lost create reply', async () => {
    const [a, w] = [await connect(target()), await connect(target())];
    const base = uniquePath('pnode-conflict');
    await a.create(base);
    await a.create(`${base}/taken`, 'theirs', { mode: 'ephemeral' });
    const node = new PersistentNode(w, `${base}/taken`, 'ours');
    const conflict = once(node, 'conflict');
    await node.start();
    await conflict;
    await assert.rejects(node.waitForInitialCreate({ timeout: 100 }), { name: 'TimeoutError', code: 'TIMEOUT' });
    await a.delete(`${base}/taken`);
    await waitFor(async () => (await a.getData(`${base}/taken`).catch(() => undefined))?.data?.toString() === 'ours', 5000, 'taken over');
    await node.close();
    const faulty = loseNextCreate(w, target(), 'applied');
    const seq = new PersistentNode(faulty.client, `${base}/member-`, 'm', { mode: 'ephemeralSequential' });
    await seq.start();
    await seq.waitForInitialCreate({ timeout: 10000 });
    assert.match(seq.actualPath!, /\/_c_[0-9a-f-]{36}-member-\d{10}$/);
    await waitFor(() => w.state === 'connected');
    assert.equal((await a.getChildren(base)).length, 1, 'one node, no orphan');
    await seq.close();
  });
});

forEachTarget('SharedConfig', (target) => {
  it('reads typed JSON, updates with CAS under contention, and emits changes', async () => {
    const clients = await Promise.all(Array.from({ length: 3 }, () => connect(target())));
    const path = `${uniquePath('config')}/limits`;
    const configs = clients.map((c) => new SharedConfig<{ rate: number }>(c, path, { defaultValue: { rate: 0 } }));
    const seen: number[] = [];
    configs[0]!.on('changed', ({ value }) => seen.push(value.rate));
    await configs[0]!.start();
    assert.deepEqual(configs[0]!.value, { rate: 0 });
    await Promise.all(configs.map(async (cfg) => {
      for (let i = 0; i < 5; i++) await cfg.update((cur) => ({ rate: cur.rate + 1 }));
    }));
    assert.deepEqual((await configs[1]!.read()).value, { rate: 15 });
    await waitFor(() => configs[0]!.value.rate === 15, 5000, 'the change event');
    assert.equal(seen.at(-1), 15);
    const { version } = await configs[2]!.read();
    await configs[2]!.set({ rate: 1 }, version);
    await assert.rejects(configs[1]!.set({ rate: 2 }, version), BadVersionError);
    assert.equal((await clients[0]!.getData(path)).data?.toString(), '{"rate":1}');
    await configs[0]!.close();
    // A document that `parse` refuses, and one that is not JSON: UnexpectedDataError.
    await clients[0]!.create(`${path}-bad`, '{"rate":"fast"}');
    const strict = new SharedConfig<{ rate: number }>(clients[0]!, `${path}-bad`, {
      defaultValue: { rate: 0 },
      parse: (json) => {
        if (typeof (json as { rate?: unknown }).rate !== 'number') throw new Error('rate must be a number');
        return json as { rate: number };
      },
    });
    await assert.rejects(strict.read(), { name: 'UnexpectedDataError', code: 'UNEXPECTED_DATA' });
    await clients[0]!.setData(`${path}-bad`, 'not json');
    const plain = new SharedConfig<{ rate: number }>(clients[0]!, `${path}-bad`, { defaultValue: { rate: 0 } });
    await assert.rejects(plain.update((v) => v), { name: 'UnexpectedDataError', code: 'UNEXPECTED_DATA' });
  });
});
