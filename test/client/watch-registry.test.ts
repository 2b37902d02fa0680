import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PersistentWatchListener } from '../../src/client/watch-event.js';
import { WatchRegistry } from '../../src/client/watch-registry.js';

const l = (name: string): PersistentWatchListener & { label: string } => Object.assign(() => {}, { label: name });

describe('WatchRegistry', () => {
  it('fires one-shot watches by ZooKeeper rules and removes them', () => {
    const r = new WatchRegistry();
    const data = l('data');
    const exist = l('exist');
    const child = l('child');
    r.add('data', '/a', data);
    r.add('exist', '/a', exist);
    r.add('child', '/a', child);
    assert.deepEqual(r.trigger('nodeChildrenChanged', '/a'), [child]);
    assert.deepEqual(r.trigger('nodeChildrenChanged', '/a'), []);
    assert.deepEqual(r.trigger('nodeDataChanged', '/a'), [data, exist]);
    assert.ok(r.isEmpty);
    r.add('data', '/a', data);
    r.add('child', '/a', child);
    assert.deepEqual(r.trigger('nodeDeleted', '/a'), [data, child]);
    r.add('exist', '/b', exist);
    assert.deepEqual(r.trigger('nodeCreated', '/b'), [exist]);
  });

  it('calls a listener registered twice once', () => {
    const r = new WatchRegistry();
    const a = l('a');
    r.add('data', '/x', a);
    r.add('data', '/x', a);
    r.add('exist', '/x', a);
    assert.deepEqual(r.trigger('nodeDataChanged', '/x'), [a]);
  });

  it('keeps persistent watches; recursive ones match descendants but not children changes', () => {
    const r = new WatchRegistry();
    const p = l('p');
    const rec = l('rec');
    r.add('persistent', '/a', p);
    r.add('persistentRecursive', '/', rec);
    assert.deepEqual(r.trigger('nodeChildrenChanged', '/a'), [p]);
    assert.deepEqual(r.trigger('nodeDataChanged', '/a'), [p, rec]);
    assert.deepEqual(r.trigger('nodeDataChanged', '/a/b/c'), [rec]);
    assert.deepEqual(r.trigger('nodeDeleted', '/a'), [p, rec]);
    assert.ok(r.hasPersistent);
  });

  it('lists paths for setWatches and removes by kind', () => {
    const r = new WatchRegistry();
    const a = l('a');
    const b = l('b');
    r.add('data', '/d', a);
    r.add('exist', '/e', a);
    r.add('child', '/d', b);
    r.add('persistent', '/p', a);
    r.add('persistentRecursive', '/r', b);
    assert.deepEqual(r.paths(), {
      dataWatches: ['/d'],
      existWatches: ['/e'],
      childWatches: ['/d'],
      persistentWatches: ['/p'],
      persistentRecursiveWatches: ['/r'],
    });
    assert.ok(r.has('/d', 'data'));
    assert.ok(!r.has('/d', 'data', b));
    assert.deepEqual(r.remove('/d', 'children'), [{ kind: 'child', listener: b }]);
    assert.ok(r.has('/d', 'data'));
    assert.deepEqual(r.remove('/p', 'any'), [{ kind: 'persistent', listener: a }]);
    assert.equal(r.hasPersistent, true);
    r.clear();
    assert.ok(r.isEmpty);
  });

  it('knows whether other listeners remain', () => {
    const r = new WatchRegistry();
    const a = l('a');
    const b = l('b');
    r.add('data', '/x', a);
    assert.equal(r.hasOther('/x', 'data', a), false);
    r.add('exist', '/x', b);
    assert.equal(r.hasOther('/x', 'data', a), true);
  });

  it('keeps only the persistent listeners that asked for resync markers past the session', () => {
    const r = new WatchRegistry();
    const [one, plain, marked, flat] = [l('one'), l('plain'), l('marked'), l('flat')];
    r.add('data', '/a', one);
    r.add('persistentRecursive', '/r', plain);
    r.addResync('persistentRecursive', '/r', marked);
    r.addResync('persistent', '/p', flat);
    assert.deepEqual(r.resyncTargets(), [
      { path: '/p', listener: flat },
      { path: '/r', listener: marked },
    ]);
    r.endSession();
    assert.deepEqual(r.paths(), { dataWatches: [], existWatches: [], childWatches: [], persistentWatches: ['/p'], persistentRecursiveWatches: ['/r'] });
    assert.deepEqual(r.trigger('nodeCreated', '/r/x'), [marked]);
    // Removing a listener also ends its markers.
    assert.equal(r.removePersistent('/p', false, flat), true);
    assert.deepEqual(r.remove('/r', 'any', marked), [{ kind: 'persistentRecursive', listener: marked }]);
    assert.deepEqual(r.resyncTargets(), []);
    assert.ok(r.isEmpty);
  });
});
