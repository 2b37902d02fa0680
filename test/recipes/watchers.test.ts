import { it } from 'node:test';
import assert from 'node:assert/strict';
import { ChildrenWatch, DataWatch } from '../../src/recipes/index.js';
import { connect, forEachTarget, retryLoss, uniquePath, waitFor } from './harness.js';

forEachTarget('DataWatch', (target) => {
  it('calls with null while missing, then every change, across deletion, until false', async () => {
    const [a, w] = [await connect(target()), await connect(target())];
    const path = uniquePath('datawatch');
    const seen: (string | null)[] = [];
    const dw = new DataWatch(w, path, (data) => {
      seen.push(data === null ? null : data.toString());
      if (data?.toString() === 'stop') return false;
    });
    await dw.start();
    assert.deepEqual(seen, [null]);
    await a.create(path, 'one');
    await waitFor(() => seen.length === 2);
    await a.setData(path, 'two');
    await waitFor(() => seen.length === 3);
    await a.delete(path);
    await waitFor(() => seen.length === 4);
    await a.create(path, 'stop');
    await waitFor(() => seen.length === 5);
    assert.deepEqual(seen, [null, 'one', 'two', null, 'stop']);
    assert.equal(dw.isClosed, true);
    await a.setData(path, 'ignored');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(seen.length, 5);
  });

  it('keeps watching across a connection drop and a session expiry', async () => {
    const [a, w] = [await connect(target()), await connect(target())];
    const path = uniquePath('datawatch-expire');
    await a.create(path, 'v1');
    const seen: string[] = [];
    const dw = new DataWatch(w, path, (data) => void seen.push(data?.toString() ?? 'null'));
    await dw.start();
    target().dropConnections();
    await waitFor(() => w.state === 'connected' && a.state === 'connected');
    await retryLoss(() => a.setData(path, 'v2'));
    await waitFor(() => seen.includes('v2'), 10000, 'v2 after the drop');
    await target().expire(w);
    await waitFor(() => w.state === 'expired', 10000, 'expiry');
    await a.setData(path, 'v3');
    await w.connect();
    await waitFor(() => seen.includes('v3'), 10000, 'v3 after the new session');
    await a.setData(path, 'v4');
    await waitFor(() => seen.includes('v4'), 10000, 'v4 on the new session');
    assert.deepEqual(seen, ['v1', 'v2', 'v3', 'v4']);
    await dw.close();
    await dw.close(); // idempotent
  });
});

forEachTarget('ChildrenWatch', (target) => {
  it('calls with every change of the list and stops when the node is deleted', async () => {
    const [a, w] = [await connect(target()), await connect(target())];
    const path = uniquePath('childwatch');
    await a.create(path);
    const seen: string[][] = [];
    const cw = new ChildrenWatch(w, path, (children) => void seen.push([...children].sort()));
    await cw.start();
    await a.create(`${path}/x`);
    await waitFor(() => seen.length === 2);
    await a.create(`${path}/y`);
    await waitFor(() => seen.length === 3);
    await a.delete(`${path}/x`);
    await waitFor(() => seen.length === 4);
    assert.deepEqual(seen, [[], ['x'], ['x', 'y'], ['y']]);
    await a.delete(`${path}/y`);
    await waitFor(() => seen.length === 5);
    await a.delete(path);
    await waitFor(() => cw.isClosed, 5000, 'stop on deletion');
  });
});
