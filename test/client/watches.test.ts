import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { Client, PersistentWatchEvent, WatchEvent } from '../../src/client/index.js';
import type { WatcherEvent } from '../../src/jute/records/watcher-event.js';
import { Ops } from '../../src/jute/ops/index.js';
import { NoWatcherError } from '../../src/errors.js';
import { connect, forEachTarget, uniquePath, waitFor, type Target } from '../support/targets.js';

const show = (e: PersistentWatchEvent): string => `${e.type} ${e.path}`;

forEachTarget('client watches', (current) => {
  let target: Target;
  let client: Client;
  let writer: Client;

  before(async () => {
    target = current();
    client = await connect(target);
    writer = await connect(target);
  });

  it('one-shot watches fire once with the right event', async () => {
    const path = uniquePath('w');
    const events: string[] = [];
    const record = (e: WatchEvent): void => void events.push(show(e));
    assert.equal(await client.exists(path, { watch: record }), null);
    await writer.create(path, 'a');
    await waitFor(() => events.length === 1);
    assert.deepEqual(events, [`nodeCreated ${path}`]);

    await client.getData(path, { watch: record });
    await client.getChildren(path, { watch: record });
    await writer.setData(path, 'b');
    await writer.setData(path, 'c');
    await writer.create(`${path}/kid`);
    await writer.create(`${path}/kid2`);
    await waitFor(() => events.length === 3);
    assert.deepEqual(events.slice(1), [`nodeDataChanged ${path}`, `nodeChildrenChanged ${path}`]);

    await client.exists(path, { watch: record });
    await client.getChildren(path, { watch: record });
    await writer.delete(`${path}/kid`);
    await writer.delete(`${path}/kid2`);
    await writer.delete(path);
    await waitFor(() => events.length === 5);
    // The data watch fires on delete; the child watch fired on the first child delete.
    assert.deepEqual(events.slice(3).sort(), [`nodeChildrenChanged ${path}`, `nodeDeleted ${path}`].sort());
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(events.length, 5, 'no further events');
  });

  it('a watch event is delivered before the reply of a later read', async () => {
    const path = uniquePath('order');
    await client.create(path, 'v0');
    const order: string[] = [];
    await client.getData(path, { watch: () => order.push('event') });
    await writer.setData(path, 'v1');
    // The notification precedes this reply on the wire, so its listener runs before the await returns.
    const { data } = await client.getData(path);
    order.push('reply');
    assert.equal(data?.toString(), 'v1');
    assert.deepEqual(order, ['event', 'reply']);
  });

  it('does not register watches for failed reads', async () => {
    const path = uniquePath('nowatch');
    const events: string[] = [];
    await assert.rejects(client.getData(path, { watch: (e) => events.push(show(e)) }));
    await writer.create(path);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(events, []);
    await assert.rejects(client.removeWatches(path, 'data'), NoWatcherError);
  });

  it('persistent and persistent recursive watches keep firing', async () => {
    // ZooKeeper keeps one watch mode per path and session, so the two kinds watch different paths.
    const base = uniquePath('pw');
    const flatPath = `${base}/flat`;
    const flat: string[] = [];
    const deep: string[] = [];
    await client.addWatch(flatPath, 'persistent', (e) => flat.push(show(e)));
    await client.addWatch(base, 'persistentRecursive', (e) => deep.push(show(e)));
    await writer.create(base);
    await writer.create(flatPath);
    await writer.create(`${flatPath}/b`);
    await writer.setData(`${flatPath}/b`, 'x');
    await writer.setData(flatPath, 'y');
    await writer.setData(flatPath, 'z');
    await writer.delete(`${flatPath}/b`);
    await waitFor(() => deep.length === 7 && flat.length === 5);
    assert.deepEqual(flat, [
      `nodeCreated ${flatPath}`,
      `nodeChildrenChanged ${flatPath}`,
      `nodeDataChanged ${flatPath}`,
      `nodeDataChanged ${flatPath}`,
      `nodeChildrenChanged ${flatPath}`,
    ]);
    assert.deepEqual(deep, [
      `nodeCreated ${base}`,
      `nodeCreated ${flatPath}`,
      `nodeCreated ${flatPath}/b`,
      `nodeDataChanged ${flatPath}/b`,
      `nodeDataChanged ${flatPath}`,
      `nodeDataChanged ${flatPath}`,
      `nodeDeleted ${flatPath}/b`,
    ]);
    await client.checkWatches(flatPath, 'any');
    await client.removeWatches(flatPath, 'any');
    await client.removeWatches(base, 'any');
    await waitFor(() => flat.length === 6 && deep.length === 8);
    assert.equal(flat[5], `persistentWatchRemoved ${flatPath}`);
    assert.equal(deep[7], `persistentWatchRemoved ${base}`);
    await writer.setData(flatPath, 'after');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(flat.length, 6);
    assert.equal(deep.length, 8);
    await assert.rejects(client.checkWatches(flatPath, 'any'), NoWatcherError);
  });

  it('client.watch() is an async iterator that ends its watch on break', async () => {
    const base = uniquePath('iter');
    const stream = client.watch(base, { recursive: true });
    await stream.ready;
    await writer.create(base);
    await writer.create(`${base}/x`);
    await writer.setData(`${base}/x`, '1');
    const seen: string[] = [];
    for await (const event of stream) {
      seen.push(show(event));
      if (seen.length === 3) break;
    }
    assert.deepEqual(seen, [`nodeCreated ${base}`, `nodeCreated ${base}/x`, `nodeDataChanged ${base}/x`]);
    await waitFor(async () => {
      try {
        await client.checkWatches(base, 'any');
        return false;
      } catch (e) {
        return e instanceof NoWatcherError;
      }
    }, 5000, 'the server watch to be removed');
  });

  it('removeWatches delivers removal events and stops one-shot watches', async () => {
    const path = uniquePath('rm');
    await client.create(path);
    const events: string[] = [];
    await client.getData(path, { watch: (e) => events.push(show(e)) });
    await client.getChildren(path, { watch: (e) => events.push(show(e)) });
    await client.removeWatches(path, 'data');
    await waitFor(() => events.length === 1);
    assert.deepEqual(events, [`dataWatchRemoved ${path}`]);
    await client.create(`${path}/c`);
    await waitFor(() => events.length === 2);
    assert.deepEqual(events[1], `nodeChildrenChanged ${path}`);
    await client.setData(path, 'x');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(events.length, 2);

    await client.getData(path, { watch: (e) => events.push(show(e)) });
    await client.removeWatches(path, 'any', { local: true });
    await waitFor(() => events.length === 3);
    assert.equal(events[2], `dataWatchRemoved ${path}`);
  });

  it('removing a one-shot data watch keeps a persistent watch on the same path working', async () => {
    const path = uniquePath('mixed');
    await client.create(path);
    const persistent: string[] = [];
    const oneShot: string[] = [];
    await client.addWatch(path, 'persistent', (e) => persistent.push(show(e)));
    await client.getData(path, { watch: (e) => oneShot.push(show(e)) });
    await client.removeWatches(path, 'data');
    await writer.setData(path, 'after');
    await waitFor(() => persistent.length === 1, 3000, 'the persistent watch to fire');
    assert.deepEqual(persistent, [`nodeDataChanged ${path}`]);
    assert.deepEqual(oneShot, [`dataWatchRemoved ${path}`]);
  });

  it('raw watches set through request() surface as notification events', async () => {
    const path = uniquePath('rawwatch');
    await client.create(path);
    const raw: WatcherEvent[] = [];
    const onNotification = (e: WatcherEvent): void => void raw.push(e);
    client.on('notification', onNotification);
    const reply = await client.request(Ops.getData, { path, watch: true });
    assert.equal(reply.header.err, 0);
    await writer.setData(path, 'x');
    await waitFor(() => raw.length === 1);
    client.off('notification', onNotification);
    assert.deepEqual(raw, [{ type: 3, state: 3, path }]);
  });
});
