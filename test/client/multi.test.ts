import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { isTransactionError, op, type Client } from '../../src/client/index.js';
import { BadArgumentsError, BadVersionError, NodeExistsError, NoNodeError } from '../../src/errors.js';
import { connect, forEachTarget, uniquePath, type Target } from '../support/targets.js';

forEachTarget('client multi and multiRead', (current) => {
  let target: Target;
  let client: Client;

  before(async () => {
    target = current();
    client = await connect(target);
  });

  it('commits a transaction and returns one result per op', async () => {
    const base = uniquePath('tx');
    await client.create(base, 'v0');
    const results = await client.multi([
      op.create(`${base}/a`, 'A'),
      op.create(`${base}/s-`, null, { mode: 'ephemeralSequential' }),
      op.create(`${base}/c`, null, { mode: 'container' }),
      op.setData(base, 'v1', 0),
      op.check(base, 1),
      op.delete(`${base}/a`),
    ]);
    assert.equal(results.length, 6);
    assert.deepEqual(results[0], { type: 'create', path: `${base}/a` });
    assert.equal(results[1]?.type, 'create');
    assert.match((results[1] as { path: string }).path, /s-\d{10}$/);
    assert.equal(results[2]?.type, 'create');
    assert.ok((results[2] as { stat?: unknown }).stat, 'container creates answer with a stat');
    assert.equal(results[3]?.type, 'setData');
    assert.equal((results[3] as { stat: { version: number } }).stat.version, 1);
    assert.deepEqual(results.slice(4), [{ type: 'check' }, { type: 'delete' }]);
    assert.equal(await client.exists(`${base}/a`), null);
    assert.equal((await client.getData(base)).data?.toString(), 'v1');
  });

  it('rolls back a failed transaction and rejects with the failing op error and per-op results', async () => {
    const base = uniquePath('txfail');
    await client.create(base);
    const zxidBefore = client.lastZxid;
    const error = await client
      .multi([op.create(`${base}/new`), op.setData(base, 'x', 7), op.delete(`${base}/missing`)])
      .then(
        () => assert.fail('should fail'),
        (e: unknown) => e,
      );
    assert.ok(error instanceof BadVersionError);
    assert.ok(isTransactionError(error));
    assert.equal(error.failedIndex, 1);
    assert.equal(error.path, base);
    assert.equal(error.op, 'multi');
    assert.deepEqual(
      error.results.map((r) => r.errno),
      [0, -103, -2],
    );
    assert.equal(error.results[0]?.error, undefined);
    assert.ok(error.results[2]?.error?.name === 'RuntimeInconsistencyError');
    assert.equal(await client.exists(`${base}/new`), null, 'nothing applied');
    assert.ok(client.lastZxid > zxidBefore, 'a failed multi still uses a zxid');

    await assert.rejects(client.multi([op.create(base)]), NodeExistsError);
    await assert.rejects(client.multi([op.check(`${base}/nope`, 0)]), NoNodeError);
    await assert.rejects(client.multi([op.create('bad')]), BadArgumentsError);
  });

  it('an empty transaction succeeds', async () => {
    assert.deepEqual(await client.multi([]), []);
  });

  it('multiRead answers each read on its own', async () => {
    const base = uniquePath('mr');
    await client.create(base, 'root');
    await client.create(`${base}/x`, 'X');
    const results = await client.multiRead([op.getData(base), op.getChildren(base), op.getData(`${base}/missing`), op.getData(`${base}/x`)]);
    assert.equal(results.length, 4);
    const [a, b, c, d] = results;
    assert.equal(a?.type, 'getData');
    assert.equal(a?.type === 'getData' && a.data?.toString(), 'root');
    assert.deepEqual(b, { type: 'getChildren', children: ['x'] });
    assert.equal(c?.type, 'error');
    assert.ok(c?.type === 'error' && c.error instanceof NoNodeError && c.error.path === `${base}/missing`);
    assert.equal(d?.type === 'getData' && d.data?.toString(), 'X');
  });
});
