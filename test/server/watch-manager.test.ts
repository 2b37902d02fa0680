import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventType, WatcherType } from '../../src/jute/enums.js';
import type { EventTypeValue } from '../../src/jute/enums.js';
import {
  WatchManager,
  isWatcherType,
  watchKindForAddWatchMode,
  type Delivery,
  type NodeLookup,
  type ReplayRequest,
} from '../../src/server/watch-manager.js';

const S1 = 0x1n;
const S2 = 0x2n;
const S3 = 0x3n;

const { nodeCreated, nodeDeleted, nodeDataChanged, nodeChildrenChanged } = EventType;

/** Deliveries as comparable, order-independent tuples. */
function summary(deliveries: readonly Delivery[]): string[] {
  return deliveries.map((d) => `${d.sessionId}:${d.type}:${d.path}`).sort();
}

function sessions(deliveries: readonly Delivery[]): bigint[] {
  return deliveries.map((d) => d.sessionId).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A SetWatches request with relativeZxid 10 and empty lists unless given. */
function setWatches(lists: Partial<ReplayRequest>): ReplayRequest {
  return { relativeZxid: 10n, dataWatches: [], existWatches: [], childWatches: [], ...lists };
}

function fire(wm: WatchManager, path: string, type: EventTypeValue): bigint[] {
  return sessions(wm.trigger(path, type));
}

describe('WatchManager one-shot watches', () => {
  it('fires a getData watch once on NodeDataChanged and consumes it', () => {
    const wm = new WatchManager();
    wm.add(S1, '/a', 'data');
    assert.deepEqual(wm.trigger('/a', nodeDataChanged), [
      { sessionId: S1, type: nodeDataChanged, path: '/a' },
    ]);
    assert.deepEqual(wm.trigger('/a', nodeDataChanged), []);
    assert.equal(wm.watchCount(), 0);
    assert.equal(wm.pathCount(), 0);
  });

  it('fires an exists watch on NodeCreated and consumes it', () => {
    const wm = new WatchManager();
    wm.add(S1, '/a', 'exist');
    assert.deepEqual(fire(wm, '/a', nodeCreated), [S1]);
    assert.deepEqual(fire(wm, '/a', nodeCreated), []);
  });

  it('fires data and exist watches on NodeDeleted', () => {
    const wm = new WatchManager();
    wm.add(S1, '/a', 'data');
    wm.add(S2, '/a', 'exist');
    assert.deepEqual(fire(wm, '/a', nodeDeleted), [S1, S2]);
    assert.deepEqual(fire(wm, '/a', nodeDeleted), []);
  });

  it('fires a child watch on NodeChildrenChanged only, and on NodeDeleted', () => {
    const wm = new WatchManager();
    wm.add(S1, '/a', 'child');
    assert.deepEqual(fire(wm, '/a', nodeDataChanged), []);
    assert.deepEqual(fire(wm, '/a', nodeCreated), []);
    assert.deepEqual(fire(wm, '/a', nodeChildrenChanged), [S1]);
    assert.deepEqual(fire(wm, '/a', nodeChildrenChanged), []);
    wm.add(S1, '/a', 'child');
    assert.deepEqual(fire(wm, '/a', nodeDeleted), [S1]);
    assert.deepEqual(fire(wm, '/a', nodeChildrenChanged), []);
  });

  it('does not consume the other kind: data watch survives NodeChildrenChanged', () => {
    const wm = new WatchManager();
    wm.add(S1, '/a', 'data');
    wm.add(S1, '/a', 'child');
    assert.deepEqual(fire(wm, '/a', nodeChildrenChanged), [S1]);
    assert.equal(wm.has(S1, '/a', WatcherType.data), true);
    assert.equal(wm.has(S1, '/a', WatcherType.children), false);
    assert.deepEqual(fire(wm, '/a', nodeDataChanged), [S1]);
  });

  it('child watch survives NodeDataChanged', () => {
    const wm = new WatchManager();
    wm.add(S1, '/a', 'data');
    wm.add(S1, '/a', 'child');
    assert.deepEqual(fire(wm, '/a', nodeDataChanged), [S1]);
    assert.deepEqual(fire(wm, '/a', nodeChildrenChanged), [S1]);
  });

  it('NodeDeleted notifies a session once for data + child watches and consumes both', () => {
    const wm = new WatchManager();
    wm.add(S1, '/a', 'data');
    wm.add(S1, '/a', 'child');
    wm.add(S2, '/a', 'child');
    assert.deepEqual(summary(wm.trigger('/a', nodeDeleted)), ['1:2:/a', '2:2:/a']);
    assert.equal(wm.has(S1, '/a', WatcherType.any), false);
    assert.equal(wm.mntrWatchCount(), 0);
    assert.deepEqual(fire(wm, '/a', nodeDeleted), []);
  });

  it('does not fire one-shot watches on other paths, parents included', () => {
    const wm = new WatchManager();
    wm.add(S1, '/a', 'data');
    wm.add(S1, '/a', 'child');
    assert.deepEqual(fire(wm, '/a/b', nodeCreated), []);
    assert.deepEqual(fire(wm, '/a/b', nodeDeleted), []);
    assert.deepEqual(fire(wm, '/ab', nodeDataChanged), []);
    assert.equal(wm.watchCount(), 1);
  });

  it('notifies every watching session once', () => {
    const wm = new WatchManager();
    for (const s of [S1, S2, S3]) wm.add(s, '/a', 'data');
    wm.add(S1, '/a', 'exist');
    assert.deepEqual(fire(wm, '/a', nodeDataChanged), [S1, S2, S3]);
  });

  it('fires nothing for event types that are not node events', () => {
    const wm = new WatchManager();
    wm.add(S1, '/a', 'data');
    assert.deepEqual(wm.trigger('/a', EventType.none), []);
    assert.deepEqual(wm.trigger('/a', EventType.dataWatchRemoved), []);
    assert.equal(wm.watchCount(), 1);
  });
});

describe('WatchManager persistent watches', () => {
  it('fires on every event on its path and stays registered', () => {
    const wm = new WatchManager();
    wm.add(S1, '/a', 'persistent');
    assert.deepEqual(fire(wm, '/a', nodeCreated), [S1]);
    assert.deepEqual(fire(wm, '/a', nodeDataChanged), [S1]);
    assert.deepEqual(fire(wm, '/a', nodeDataChanged), [S1]);
    assert.deepEqual(fire(wm, '/a', nodeChildrenChanged), [S1]);
    assert.deepEqual(summary(wm.trigger('/a', nodeDeleted)), ['1:2:/a']);
    // Still registered after its node is gone: fires again when it comes back.
    assert.equal(wm.has(S1, '/a', WatcherType.data), true);
    assert.equal(wm.has(S1, '/a', WatcherType.children), true);
    assert.deepEqual(fire(wm, '/a', nodeCreated), [S1]);
  });

  it('does not fire for descendants', () => {
    const wm = new WatchManager();
    wm.add(S1, '/a', 'persistent');
    wm.add(S2, '/', 'persistentRecursive'); // turns the ancestor walk on
    assert.deepEqual(fire(wm, '/a/b', nodeCreated), [S2]);
    assert.deepEqual(fire(wm, '/a/b', nodeDataChanged), [S2]);
    assert.deepEqual(fire(wm, '/a/b', nodeDeleted), [S2]);
  });

  it('shares a delivery with a one-shot watch of the same session', () => {
    const wm = new WatchManager();
    wm.add(S1, '/a', 'persistent');
    wm.add(S1, '/a', 'child'); // downgrades the child-table entry to one-shot
    assert.deepEqual(fire(wm, '/a', nodeChildrenChanged), [S1]);
    // The child half is now gone; the data half is still persistent.
    assert.deepEqual(fire(wm, '/a', nodeChildrenChanged), []);
    assert.deepEqual(fire(wm, '/a', nodeDataChanged), [S1]);
    assert.deepEqual(fire(wm, '/a', nodeDataChanged), [S1]);
  });

  it('is downgraded in the data table by a later getData watch (3.8 mode overwrite)', () => {
    const wm = new WatchManager();
    wm.add(S1, '/a', 'persistent');
    wm.add(S1, '/a', 'data');
    assert.deepEqual(fire(wm, '/a', nodeDataChanged), [S1]);
    assert.deepEqual(fire(wm, '/a', nodeDataChanged), []);
    // The child-table half keeps firing.
    assert.deepEqual(fire(wm, '/a', nodeChildrenChanged), [S1]);
    assert.deepEqual(fire(wm, '/a', nodeChildrenChanged), [S1]);
    assert.deepEqual(fire(wm, '/a', nodeDeleted), [S1]);
    assert.deepEqual(fire(wm, '/a', nodeCreated), []);
  });

  it('upgrades an earlier one-shot watch on the same path', () => {
    const wm = new WatchManager();
    wm.add(S1, '/a', 'data');
    wm.add(S1, '/a', 'persistent');
    assert.deepEqual(fire(wm, '/a', nodeDataChanged), [S1]);
    assert.deepEqual(fire(wm, '/a', nodeDataChanged), [S1]);
  });
});

describe('WatchManager persistent recursive watches', () => {
  it('fires for the path and all descendants with the changed path', () => {
    const wm = new WatchManager();
    wm.add(S1, '/a', 'persistentRecursive');
    assert.deepEqual(wm.trigger('/a/b/c', nodeCreated), [
      { sessionId: S1, type: nodeCreated, path: '/a/b/c' },
    ]);
    assert.deepEqual(fire(wm, '/a/b', nodeDataChanged), [S1]);
    assert.deepEqual(fire(wm, '/a/b/c', nodeDeleted), [S1]);
    assert.deepEqual(fire(wm, '/a', nodeDataChanged), [S1]);
    assert.deepEqual(fire(wm, '/a', nodeDeleted), [S1]);
    assert.deepEqual(fire(wm, '/a', nodeCreated), [S1]);
    assert.deepEqual(fire(wm, '/ab', nodeCreated), []);
    assert.deepEqual(fire(wm, '/', nodeDataChanged), []);
  });

  it('never fires for NodeChildrenChanged, on the path or below', () => {
    const wm = new WatchManager();
    wm.add(S1, '/a', 'persistentRecursive');
    assert.deepEqual(fire(wm, '/a', nodeChildrenChanged), []);
    assert.deepEqual(fire(wm, '/a/b', nodeChildrenChanged), []);
  });

  it('works on the root', () => {
    const wm = new WatchManager();
    wm.add(S1, '/', 'persistentRecursive');
    assert.deepEqual(fire(wm, '/', nodeDataChanged), [S1]);
    assert.deepEqual(fire(wm, '/x', nodeCreated), [S1]);
    assert.deepEqual(fire(wm, '/x/y/z', nodeDeleted), [S1]);
  });

  it('notifies a session once even when several of its watches match', () => {
    const wm = new WatchManager();
    wm.add(S1, '/', 'persistentRecursive');
    wm.add(S1, '/a', 'persistentRecursive');
    wm.add(S1, '/a/b', 'data');
    wm.add(S1, '/a/b', 'child');
    wm.add(S2, '/a', 'persistentRecursive');
    assert.deepEqual(summary(wm.trigger('/a/b', nodeDeleted)), ['1:2:/a/b', '2:2:/a/b']);
    assert.deepEqual(fire(wm, '/a/b', nodeDataChanged), [S1, S2]);
  });

  it('consumes one-shot watches on the path even when a recursive watch also fires', () => {
    const wm = new WatchManager();
    wm.add(S1, '/', 'persistentRecursive');
    wm.add(S1, '/a', 'exist');
    assert.deepEqual(fire(wm, '/a', nodeCreated), [S1]);
    assert.equal(wm.has(S1, '/a', WatcherType.data), false);
  });

  it('keeps NodeDeleted for descendants after a getData downgrade (child-table half)', () => {
    const wm = new WatchManager();
    wm.add(S1, '/a', 'persistentRecursive');
    wm.add(S1, '/a', 'data');
    // Data-table half is now one-shot: descendants' data events stop...
    assert.deepEqual(fire(wm, '/a/b', nodeCreated), []);
    assert.deepEqual(fire(wm, '/a/b', nodeDataChanged), []);
    // ...but the child-table half is still recursive and fires NodeDeleted below it.
    assert.deepEqual(fire(wm, '/a/b', nodeDeleted), [S1]);
    assert.deepEqual(fire(wm, '/a', nodeDataChanged), [S1]);
    assert.deepEqual(fire(wm, '/a', nodeDataChanged), []);
  });

  it('replaces a persistent watch on the same path and vice versa', () => {
    const wm = new WatchManager();
    wm.add(S1, '/a', 'persistent');
    wm.add(S1, '/a', 'persistentRecursive');
    assert.deepEqual(fire(wm, '/a/b', nodeCreated), [S1]);
    assert.deepEqual(fire(wm, '/a', nodeChildrenChanged), []);
    wm.add(S1, '/a', 'persistent');
    assert.deepEqual(fire(wm, '/a/b', nodeCreated), []);
    assert.deepEqual(fire(wm, '/a', nodeChildrenChanged), [S1]);
    assert.equal(wm.watchCount(), 1);
  });

  it('stops walking ancestors once the last recursive watch is gone', () => {
    const wm = new WatchManager();
    wm.add(S1, '/a', 'persistentRecursive');
    wm.add(S1, '/a', 'persistent');
    wm.add(S2, '/a', 'persistentRecursive');
    wm.removeSession(S2);
    assert.deepEqual(fire(wm, '/a/b', nodeCreated), []);
    assert.deepEqual(fire(wm, '/a', nodeCreated), [S1]);
  });
});

describe('WatchManager.removeSession', () => {
  it('drops every watch of the session and nothing else', () => {
    const wm = new WatchManager();
    wm.add(S1, '/a', 'data');
    wm.add(S1, '/a', 'child');
    wm.add(S1, '/b', 'persistent');
    wm.add(S1, '/', 'persistentRecursive');
    wm.add(S2, '/a', 'data');
    wm.removeSession(S1);
    assert.deepEqual(fire(wm, '/a', nodeDeleted), [S2]);
    assert.deepEqual(fire(wm, '/b', nodeDataChanged), []);
    assert.deepEqual(fire(wm, '/a', nodeChildrenChanged), []);
    assert.equal(wm.sessionCount(), 1);
    assert.equal(wm.mntrWatchCount(), 0);
    wm.removeSession(S2);
    assert.equal(wm.sessionCount(), 0);
    wm.removeSession(S3); // unknown session: no-op
  });
});

describe('WatchManager.remove (removeWatches, 3.8 semantics)', () => {
  it('removes per table and reports whether anything was removed', () => {
    const wm = new WatchManager();
    wm.add(S1, '/a', 'data');
    wm.add(S1, '/a', 'child');
    assert.equal(wm.remove(S1, '/a', WatcherType.children), true);
    assert.equal(wm.remove(S1, '/a', WatcherType.children), false);
    assert.deepEqual(fire(wm, '/a', nodeChildrenChanged), []);
    assert.equal(wm.remove(S1, '/a', WatcherType.data), true);
    assert.equal(wm.remove(S1, '/a', WatcherType.data), false);
    assert.deepEqual(fire(wm, '/a', nodeDataChanged), []);
  });

  it('removes an exists watch with type Data', () => {
    const wm = new WatchManager();
    wm.add(S1, '/a', 'exist');
    assert.equal(wm.remove(S1, '/a', WatcherType.data), true);
    assert.deepEqual(fire(wm, '/a', nodeCreated), []);
  });

  it('only touches the given session', () => {
    const wm = new WatchManager();
    wm.add(S1, '/a', 'data');
    assert.equal(wm.remove(S2, '/a', WatcherType.any), false);
    assert.deepEqual(fire(wm, '/a', nodeDataChanged), [S1]);
  });

  it('Any removes both tables, true if either had the watch', () => {
    const wm = new WatchManager();
    wm.add(S1, '/a', 'child');
    assert.equal(wm.remove(S1, '/a', WatcherType.any), true);
    assert.equal(wm.remove(S1, '/a', WatcherType.any), false);
    wm.add(S1, '/a', 'persistentRecursive');
    assert.equal(wm.remove(S1, '/a', WatcherType.any), true);
    assert.deepEqual(fire(wm, '/a/b', nodeDeleted), []);
    assert.deepEqual(fire(wm, '/a', nodeChildrenChanged), []);
  });

  it('Data removes only the data half of a persistent watch', () => {
    const wm = new WatchManager();
    wm.add(S1, '/a', 'persistent');
    assert.equal(wm.remove(S1, '/a', WatcherType.data), true);
    assert.deepEqual(fire(wm, '/a', nodeDataChanged), []);
    assert.deepEqual(fire(wm, '/a', nodeChildrenChanged), [S1]);
    assert.deepEqual(fire(wm, '/a', nodeDeleted), [S1]);
    assert.equal(wm.remove(S1, '/a', WatcherType.children), true);
    assert.deepEqual(fire(wm, '/a', nodeDeleted), []);
  });

  it('Children removes only the child half of a recursive watch', () => {
    const wm = new WatchManager();
    wm.add(S1, '/a', 'persistentRecursive');
    assert.equal(wm.remove(S1, '/a', WatcherType.children), true);
    assert.deepEqual(fire(wm, '/a/b', nodeDataChanged), [S1]);
    assert.deepEqual(fire(wm, '/a/b', nodeDeleted), [S1]);
    assert.equal(wm.remove(S1, '/a', WatcherType.data), true);
    assert.deepEqual(fire(wm, '/a/b', nodeDeleted), []);
  });

  it('does not remove a recursive watch through a descendant path', () => {
    const wm = new WatchManager();
    wm.add(S1, '/a', 'persistentRecursive');
    assert.equal(wm.remove(S1, '/a/b', WatcherType.any), false);
  });

  it('rejects watcher types 3.8 does not know (Persistent 4, PersistentRecursive 5)', () => {
    const wm = new WatchManager();
    wm.add(S1, '/a', 'persistent');
    for (const t of [0, 4, 5, -1]) {
      assert.throws(() => wm.remove(S1, '/a', t), RangeError);
      assert.throws(() => wm.has(S1, '/a', t), RangeError);
      assert.equal(isWatcherType(t), false);
    }
    for (const t of [1, 2, 3]) assert.equal(isWatcherType(t), true);
  });
});

describe('WatchManager.has (checkWatches, 3.8 semantics)', () => {
  it('asks the table selected by the watcher type', () => {
    const wm = new WatchManager();
    wm.add(S1, '/d', 'data');
    wm.add(S1, '/c', 'child');
    wm.add(S1, '/p', 'persistent');
    wm.add(S1, '/r', 'persistentRecursive');
    assert.equal(wm.has(S1, '/d', WatcherType.data), true);
    assert.equal(wm.has(S1, '/d', WatcherType.children), false);
    assert.equal(wm.has(S1, '/d', WatcherType.any), true);
    assert.equal(wm.has(S1, '/c', WatcherType.data), false);
    assert.equal(wm.has(S1, '/c', WatcherType.children), true);
    assert.equal(wm.has(S1, '/c', WatcherType.any), true);
    for (const p of ['/p', '/r']) {
      for (const t of [WatcherType.data, WatcherType.children, WatcherType.any]) {
        assert.equal(wm.has(S1, p, t), true, `${p} ${t}`);
      }
    }
    assert.equal(wm.has(S1, '/none', WatcherType.any), false);
  });

  it('does not count a recursive watch on an ancestor', () => {
    const wm = new WatchManager();
    wm.add(S1, '/r', 'persistentRecursive');
    assert.equal(wm.has(S1, '/r/x', WatcherType.any), false);
  });

  it('answers true when any session watches the path (ZooKeeper 3.8 bug)', () => {
    const wm = new WatchManager();
    wm.add(S2, '/a', 'data');
    assert.equal(wm.has(S1, '/a', WatcherType.data), true);
    assert.equal(wm.has(S1, '/a', WatcherType.children), false);
  });
});

describe('WatchManager.replay (SetWatches)', () => {
  const nodes = new Map<string, { mzxid: number; pzxid: number }>([
    ['/old', { mzxid: 5, pzxid: 5 }],
    ['/changed', { mzxid: 20, pzxid: 5 }],
    ['/kids', { mzxid: 5, pzxid: 20 }],
  ]);
  const lookup: NodeLookup = (path) => nodes.get(path);

  it('turns data watches into NodeDeleted / NodeDataChanged or registers them', () => {
    const wm = new WatchManager();
    const out = wm.replay(S1, setWatches({ dataWatches: ['/gone', '/changed', '/old', '/kids'] }), lookup);
    assert.deepEqual(out, [
      { sessionId: S1, type: nodeDeleted, path: '/gone' },
      { sessionId: S1, type: nodeDataChanged, path: '/changed' },
    ]);
    assert.deepEqual(wm.bySession().get(S1)?.sort(), ['/kids', '/old']);
    assert.deepEqual(fire(wm, '/changed', nodeDataChanged), []);
    assert.deepEqual(fire(wm, '/old', nodeDataChanged), [S1]);
  });

  it('turns exist watches into NodeCreated or registers them', () => {
    const wm = new WatchManager();
    const out = wm.replay(S1, setWatches({ existWatches: ['/old', '/gone'] }), lookup);
    assert.deepEqual(out, [{ sessionId: S1, type: nodeCreated, path: '/old' }]);
    assert.deepEqual(fire(wm, '/old', nodeDataChanged), []);
    assert.deepEqual(fire(wm, '/gone', nodeCreated), [S1]);
  });

  it('turns child watches into NodeDeleted / NodeChildrenChanged or registers them', () => {
    const wm = new WatchManager();
    const out = wm.replay(S1, setWatches({ childWatches: ['/gone', '/kids', '/changed'] }), lookup);
    assert.deepEqual(out, [
      { sessionId: S1, type: nodeDeleted, path: '/gone' },
      { sessionId: S1, type: nodeChildrenChanged, path: '/kids' },
    ]);
    assert.equal(wm.has(S1, '/changed', WatcherType.children), true);
    assert.equal(wm.has(S1, '/kids', WatcherType.children), false);
    assert.deepEqual(fire(wm, '/changed', nodeChildrenChanged), [S1]);
  });

  it('does not deduplicate: data and child watch on a deleted node give two events', () => {
    const wm = new WatchManager();
    const out = wm.replay(S1, setWatches({ dataWatches: ['/gone'], childWatches: ['/gone'] }), lookup);
    assert.deepEqual(summary(out), ['1:2:/gone', '1:2:/gone']);
  });

  it('registers persistent and recursive watches without events, whatever the tree', () => {
    const wm = new WatchManager();
    const req = setWatches({
      persistentWatches: ['/changed', '/gone'],
      persistentRecursiveWatches: ['/kids'],
    });
    const out = wm.replay(S1, req, lookup);
    assert.deepEqual(out, []);
    assert.deepEqual(fire(wm, '/changed', nodeDataChanged), [S1]);
    assert.deepEqual(fire(wm, '/gone', nodeCreated), [S1]);
    assert.deepEqual(fire(wm, '/kids/x', nodeCreated), [S1]);
    assert.deepEqual(fire(wm, '/changed', nodeDataChanged), [S1]);
  });

  it('accepts a SetWatches (101) request without persistent lists', () => {
    const wm = new WatchManager();
    const req = { relativeZxid: 0n, dataWatches: [], existWatches: ['/gone'], childWatches: [] };
    const out = wm.replay(S1, req, lookup);
    assert.deepEqual(out, []);
    assert.equal(wm.watchCount(), 1);
  });

  it('lets persistent lists win over one-shot entries for the same path, like ZooKeeper', () => {
    const wm = new WatchManager();
    wm.replay(S1, setWatches({ dataWatches: ['/old'], persistentWatches: ['/old'] }), lookup);
    assert.deepEqual(fire(wm, '/old', nodeDataChanged), [S1]);
    assert.deepEqual(fire(wm, '/old', nodeDataChanged), [S1]);
  });
});

describe('WatchManager stats (wchs, wchc, wchp, mntr)', () => {
  it('counts the data table like wchs, both tables like mntr zk_watch_count', () => {
    const wm = new WatchManager();
    wm.add(S1, '/a', 'data');
    wm.add(S1, '/a', 'exist'); // same data-table entry
    wm.add(S1, '/b', 'child'); // child table only: invisible to wchs
    wm.add(S2, '/a', 'data');
    wm.add(S2, '/p', 'persistent'); // both tables
    wm.add(S3, '/c', 'child');
    assert.equal(wm.watchCount(), 3);
    assert.equal(wm.pathCount(), 2);
    assert.equal(wm.sessionCount(), 2);
    assert.equal(wm.mntrWatchCount(), 6);
    assert.deepEqual([...wm.bySession()].map(([s, p]) => [s, p.sort()]), [
      [S1, ['/a']],
      [S2, ['/a', '/p']],
    ]);
    assert.deepEqual(
      [...wm.byPath()].map(([p, s]) => [p, s.sort()]),
      [
        ['/a', [S1, S2]],
        ['/p', [S2]],
      ],
    );
  });

  it('keeps a session whose watches fired in the connection count until it is removed', () => {
    const wm = new WatchManager();
    wm.add(S1, '/a', 'data');
    wm.trigger('/a', nodeDataChanged);
    assert.equal(wm.watchCount(), 0);
    assert.equal(wm.pathCount(), 0);
    assert.equal(wm.sessionCount(), 1);
    assert.deepEqual([...wm.bySession()], [[S1, []]]);
    assert.deepEqual([...wm.byPath()], []);
    wm.removeSession(S1);
    assert.equal(wm.sessionCount(), 0);
  });

  it('updates counts on remove', () => {
    const wm = new WatchManager();
    wm.add(S1, '/p', 'persistentRecursive');
    assert.equal(wm.mntrWatchCount(), 2);
    wm.remove(S1, '/p', WatcherType.data);
    assert.equal(wm.watchCount(), 0);
    assert.equal(wm.mntrWatchCount(), 1);
  });
});

describe('watchKindForAddWatchMode', () => {
  it('maps AddWatchRequest.mode', () => {
    assert.equal(watchKindForAddWatchMode(0), 'persistent');
    assert.equal(watchKindForAddWatchMode(1), 'persistentRecursive');
    assert.equal(watchKindForAddWatchMode(2), undefined);
    assert.equal(watchKindForAddWatchMode(-1), undefined);
  });
});
