import { it } from 'node:test';
import assert from 'node:assert/strict';
import { Lease, MultiNonBlockingLease, NonBlockingLease, readLeaseHolder } from '../../src/recipes/index.js';
import { connect, forEachTarget, uniquePath } from './harness.js';

forEachTarget('NonBlockingLease', (target) => {
  it('grants one holder until the end, renews for the same identifier, with Kazoo JSON', async () => {
    const [a, b] = [await connect(target()), await connect(target())];
    const path = uniquePath('lease');
    let clock = Date.parse('2030-01-01T00:00:00Z');
    const now = () => clock;
    assert.equal(await NonBlockingLease.obtain(a, path, { duration: 60_000, identifier: 'a', now }), true);
    assert.equal(
      (await a.getData(`${path}/lease_holder`)).data?.toString(),
      '{"version": 1, "holder": "a", "end": "2030-01-01T00:01:00"}',
    );
    assert.equal(await NonBlockingLease.obtain(b, path, { duration: 60_000, identifier: 'b', now }), false);
    assert.equal(await NonBlockingLease.obtain(a, path, { duration: 120_000, identifier: 'a', now }), true, 'renewed');
    assert.equal((await readLeaseHolder(a, path))?.end, Date.parse('2030-01-01T00:02:00Z'));
    clock += 121_000;
    assert.equal(await NonBlockingLease.obtain(b, path, { duration: 60_000, identifier: 'b', now }), true, 'expired lease taken over');
    assert.equal((await readLeaseHolder(a, path))?.holder, 'b');
    // Only the holder node is left: the lock's contender nodes are gone.
    assert.deepEqual(await a.getChildren(path), ['lease_holder']);
  });

  it('MultiNonBlockingLease takes the first free of N, and Lease waits for the end', async () => {
    const [a, b, c] = [await connect(target()), await connect(target()), await connect(target())];
    const path = uniquePath('multilease');
    assert.equal(await MultiNonBlockingLease.obtain(a, path, { count: 2, duration: 60_000, identifier: 'a' }), true);
    assert.equal(await MultiNonBlockingLease.obtain(b, path, { count: 2, duration: 60_000, identifier: 'b' }), true);
    assert.equal(await MultiNonBlockingLease.obtain(c, path, { count: 2, duration: 60_000, identifier: 'c' }), false);
    assert.equal((await readLeaseHolder(a, `${path}/1`))?.holder, 'b');
    const short = uniquePath('lease-wait');
    assert.equal(await NonBlockingLease.obtain(a, short, { duration: 2000, identifier: 'a' }), true); // ends 1-2 s from now (whole seconds)
    const started = Date.now();
    // b's lease is long: Kazoo's format has whole seconds, so a 1 s lease may end at once.
    await new Lease(b, short, { duration: 10_000, identifier: 'b' }).acquire({ timeout: 10_000 });
    assert.ok(Date.now() - started >= 500);
    assert.equal((await readLeaseHolder(a, short))?.holder, 'b');
    await assert.rejects(new Lease(c, short, { duration: 1000, identifier: 'c' }).acquire({ timeout: 200 }), { name: 'TimeoutError', code: 'TIMEOUT' });
    const ac = new AbortController();
    const waiting = new Lease(c, short, { duration: 1000, identifier: 'c' }).acquire({ signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    await assert.rejects(waiting, { name: 'CancelledError', code: 'CANCELLED' });
    await assert.rejects(NonBlockingLease.obtain(a, short, { duration: 0 }), { name: 'BadArgumentsError' });
    await assert.rejects(MultiNonBlockingLease.obtain(a, path, { count: 0, duration: 1000 }), { name: 'BadArgumentsError' });
  });
});
