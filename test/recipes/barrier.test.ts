import { it } from 'node:test';
import assert from 'node:assert/strict';
import { Barrier, DoubleBarrier } from '../../src/recipes/index.js';
import { connect, forEachTarget, sleep, uniquePath, waitFor } from './harness.js';

forEachTarget('Barrier', (target) => {
  it('blocks until removed, times out, and passes when absent', async () => {
    const [a, b] = [await connect(target()), await connect(target())];
    const path = uniquePath('barrier');
    const gate = new Barrier(a, path);
    assert.equal(await new Barrier(b, path).wait(), true, 'no barrier: pass');
    await gate.create();
    assert.equal(await new Barrier(b, path).wait({ timeout: 150 }), false);
    const waiting = new Barrier(b, path).wait({ timeout: 10000 });
    await sleep(50);
    await a.setData(path, 'changed: not a removal');
    await sleep(50);
    assert.equal(await gate.remove(), true);
    assert.equal(await waiting, true);
    assert.equal(await gate.remove(), false);
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
    await assert.rejects(new DoubleBarrier(a, path, 2).enter({ timeout: 150 }), { name: 'LockTimeoutError' });
    assert.deepEqual(await a.getChildren(path), []);
  });
});
