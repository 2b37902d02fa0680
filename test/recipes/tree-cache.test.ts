import { it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { UnimplementedError } from '../../src/errors.js';
import type { Client } from '../../src/client/index.js';
import { TreeCache } from '../../src/recipes/index.js';
import { connect, forEachTarget, retryLoss, uniquePath, waitFor } from './harness.js';
import { startProxy } from '../support/tcp-proxy.js';

forEachTarget('TreeCache', (target) => {
  it('mirrors a subtree and emits added/updated/removed', async () => {
    const [a, w] = [await connect(target()), await connect(target())];
    const root = uniquePath('treecache');
    await a.create(root, 'r');
    await a.create(`${root}/x`, 'x1');
    const events: string[] = [];
    const cache = new TreeCache(w, root);
    for (const kind of ['added', 'updated', 'removed'] as const) cache.on(kind, ({ path: p }) => events.push(`${kind} ${p.slice(root.length) || '/'}`));
    await cache.start();
    assert.deepEqual(cache.paths(), [root, `${root}/x`]);
    assert.equal(cache.get(`${root}/x`)?.data?.toString(), 'x1');
    await a.create(`${root}/x/deep`, 'd');
    await a.setData(`${root}/x`, 'x2');
    await a.create(`${root}/y`);
    await waitFor(() => cache.get(`${root}/y`) !== undefined && cache.get(`${root}/x`)?.data?.toString() === 'x2' && cache.get(`${root}/x/deep`) !== undefined);
    assert.deepEqual([...cache.get(root)!.children].sort(), ['x', 'y']);
    await a.delete(`${root}/x/deep`);
    await a.delete(`${root}/x`);
    await waitFor(() => cache.get(`${root}/x`) === undefined);
    assert.deepEqual(cache.paths(), [root, `${root}/y`]);
    assert.deepEqual(events, ['added /', 'added /x', 'added /x/deep', 'updated /x', 'added /y', 'removed /x/deep', 'removed /x']);
    await cache.close();
  });

  it('catches up with changes made while disconnected and after session expiry', async () => {
    const [a, w] = [await connect(target()), await connect(target())];
    const root = uniquePath('treecache-resync');
    await a.create(root);
    await a.create(`${root}/keep`, 'k');
    await a.create(`${root}/gone`);
    const cache = new TreeCache(w, root);
    await cache.start();
    // Changes below the root while w is expired (no watch at all), then a new session.
    await target().expire(w);
    await waitFor(() => w.state === 'expired', 10000, 'expiry');
    await retryLoss(() => a.delete(`${root}/gone`));
    await retryLoss(() => a.create(`${root}/new`, 'n'));
    await retryLoss(() => a.setData(`${root}/keep`, 'k2'));
    const resynced = once(cache, 'resynced');
    await w.connect();
    await resynced;
    assert.notEqual(cache.get(`${root}/new`), undefined);
    assert.equal(cache.get(`${root}/gone`), undefined);
    assert.equal(cache.get(`${root}/keep`)?.data?.toString(), 'k2');
    await a.create(`${root}/later`);
    await waitFor(() => cache.get(`${root}/later`) !== undefined, 10000, 'events on the new session');
    await cache.close();
  });

  it('reloads on the resync marker after a reconnect', async () => {
    const a = await connect(target());
    const proxy = await startProxy(target().host, target().port);
    try {
      const w = await connect(target(), { backoff: { initialDelay: 20, maxDelay: 100 } }, proxy.connectionString);
      const root = uniquePath('treecache-reconnect');
      await a.create(root);
      await a.create(`${root}/keep`, 'k');
      await a.create(`${root}/gone`);
      const cache = new TreeCache(w, root);
      let resyncs = 0;
      cache.on('resynced', () => resyncs++);
      await cache.start();
      await proxy.reject(true);
      proxy.dropConnections();
      await waitFor(() => w.state === 'disconnected', 5000, 'the disconnect');
      await a.delete(`${root}/gone`);
      await a.create(`${root}/new`, 'n');
      await a.setData(`${root}/keep`, 'k2');
      const resynced = once(cache, 'resynced');
      await proxy.reject(false);
      await resynced;
      assert.equal(resyncs, 1);
      assert.deepEqual(cache.paths(), [root, `${root}/keep`, `${root}/new`]);
      assert.equal(cache.get(`${root}/keep`)?.data?.toString(), 'k2');
      await a.create(`${root}/later`);
      await waitFor(() => cache.get(`${root}/later`) !== undefined, 10000, 'events after the reconnect');
      assert.equal(resyncs, 1);
      await cache.close();
    } finally {
      await proxy.close();
    }
  });

  it('falls back to one-shot watches on a server without addWatch (3.5)', async () => {
    const [a, w] = [await connect(target()), await connect(target())];
    const old = new Proxy(w, {
      get(t, prop) {
        if (prop === 'addWatch') return () => Promise.reject(new UnimplementedError(undefined, { op: 'addWatch' }));
        const v: unknown = Reflect.get(t, prop, t);
        return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(t) : v;
      },
    }) as Client;
    const root = uniquePath('treecache-old');
    const cache = new TreeCache(old, root);
    await cache.start();
    assert.equal(cache.usingFallback, true);
    assert.deepEqual(cache.paths(), []);
    await a.create(root, 'r');
    await waitFor(() => cache.get(root) !== undefined, 5000, 'root creation');
    await a.create(`${root}/c`, '1');
    await a.create(`${root}/c/d`);
    await waitFor(() => cache.get(`${root}/c/d`) !== undefined, 5000, 'children');
    await a.setData(`${root}/c`, '2');
    await waitFor(() => cache.get(`${root}/c`)?.data?.toString() === '2', 5000, 'data change');
    await a.delete(`${root}/c/d`);
    await waitFor(() => cache.get(`${root}/c/d`) === undefined, 5000, 'deletion');
    assert.deepEqual(cache.get(`${root}/c`)?.children, []);
    await cache.close();
  });
});
