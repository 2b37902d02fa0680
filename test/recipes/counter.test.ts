import { it } from 'node:test';
import assert from 'node:assert/strict';
import { Counter } from '../../src/recipes/index.js';
import { pyFloatRepr } from '../../src/recipes/counter.js';
import { connect, forEachTarget, uniquePath } from './harness.js';

it('writes floats as Python repr does', () => {
  assert.equal(pyFloatRepr(3), '3.0');
  assert.equal(pyFloatRepr(2.5), '2.5');
  assert.equal(pyFloatRepr(-0.1), '-0.1');
  assert.equal(pyFloatRepr(1.5e-7), '1.5e-07');
  assert.equal(pyFloatRepr(Infinity), 'inf');
});

forEachTarget('Counter', (target) => {
  it('stores the value as text and adds atomically under contention', async () => {
    const path = uniquePath('counter');
    const clients = await Promise.all(Array.from({ length: 4 }, () => connect(target())));
    const first = new Counter(clients[0]!, path);
    assert.equal(await first.value(), 0);
    assert.deepEqual(await first.add(2), { pre: 0, post: 2 });
    assert.deepEqual(await first.subtract(1), { pre: 2, post: 1 });
    assert.equal((await clients[0]!.getData(path)).data?.toString(), '1');
    await Promise.all(
      clients.map(async (c) => {
        const counter = new Counter(c, path);
        for (let i = 0; i < 10; i++) await counter.add(1);
      }),
    );
    assert.equal(await first.value(), 41);
    await assert.rejects(first.add(0.5), { name: 'BadArgumentsError', code: 'BADARGUMENTS' });
  });

  it('handles float and Curator formats', async () => {
    const c = await connect(target());
    const f = new Counter(c, uniquePath('counter-float'), { default: 1.0, type: 'float' });
    assert.deepEqual(await f.add(2), { pre: 1, post: 3 });
    assert.equal((await c.getData(f.path)).data?.toString(), '3.0');
    assert.equal((await f.add(0.5)).post, 3.5);
    const cur = new Counter(c, uniquePath('counter-curator'), { curator: true });
    await cur.add(7);
    assert.deepEqual([...(await c.getData(cur.path)).data!], [0, 0, 0, 7]);
    assert.equal(await cur.value(), 7);
  });
});
