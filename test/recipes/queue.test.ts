import { it } from 'node:test';
import assert from 'node:assert/strict';
import { LockingQueue, Queue } from '../../src/recipes/index.js';
import { connect, forEachTarget, uniquePath } from './harness.js';

forEachTarget('Queue', (target) => {
  it('is FIFO per priority with Kazoo entry names', async () => {
    const a = await connect(target());
    const q = new Queue(a, uniquePath('queue'));
    await q.put('one');
    await q.put('two');
    await q.put('urgent', { priority: 1 });
    const names = await a.getChildren(q.path);
    assert.ok(names.every((n) => /^entry-\d{3}-\d{10}$/.test(n)), names.join());
    assert.equal(await q.size(), 3);
    assert.equal((await q.get())?.toString(), 'urgent');
    assert.equal((await q.get())?.toString(), 'one');
    assert.equal((await q.get())?.toString(), 'two');
    assert.equal(await q.get(), null);
    await assert.rejects(q.put('x', { priority: 1000 }), { name: 'BadArgumentsError', code: 'BADARGUMENTS' });
  });

  it('hands each item to exactly one of several consumers', async () => {
    const path = uniquePath('queue-many');
    const clients = await Promise.all(Array.from({ length: 4 }, () => connect(target())));
    const producer = new Queue(clients[0]!, path);
    for (let i = 0; i < 30; i++) await producer.put(`item-${i}`);
    const got: string[] = [];
    await Promise.all(
      clients.map(async (c) => {
        const q = new Queue(c, path);
        for (;;) {
          const item = await q.get();
          if (item === null) return;
          got.push(item.toString());
        }
      }),
    );
    assert.equal(got.length, 30);
    assert.equal(new Set(got).size, 30);
  });
});

forEachTarget('LockingQueue', (target) => {
  it('locks, releases and consumes with Kazoo entries/taken nodes; a crashed consumer loses nothing', async () => {
    const [a, b, c] = [await connect(target()), await connect(target()), await connect(target())];
    const path = uniquePath('lqueue');
    const qa = new LockingQueue(a, path);
    await qa.putAll(['first', 'second']);
    await qa.put('later', { priority: 200 });
    assert.equal(await qa.size(), 3);
    assert.equal((await qa.get())?.toString(), 'first');
    assert.equal((await qa.get())?.toString(), 'first', 'the same item until consumed');
    const [taken] = await a.getChildren(`${path}/taken`);
    assert.match(taken!, /^entry-100-\d{10}$/);
    assert.equal((await a.getData(`${path}/taken/${taken}`)).data?.toString(), qa.identifier);
    const qb = new LockingQueue(b, path);
    assert.equal((await qb.get())?.toString(), 'second');
    // b crashes (closes without consuming): its item becomes available again.
    await b.close();
    const qc = new LockingQueue(c, path);
    assert.equal((await qc.get({ timeout: 5000 }))?.toString(), 'second');
    assert.equal(await qc.release(), true);
    assert.equal((await qc.get())?.toString(), 'second');
    assert.equal(await qc.consume(), true);
    assert.equal(await qa.consume(), true);
    assert.equal((await qc.get())?.toString(), 'later');
    assert.equal(await qc.consume(), true);
    await assert.rejects(qc.get({ timeout: 100 }), { name: 'TimeoutError', code: 'TIMEOUT' });
    assert.equal(await qa.size(), 0);
  });
});
