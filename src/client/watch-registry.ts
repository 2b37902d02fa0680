import type { SetWatches2Request } from '../jute/ops/set-watches.js';
import type { PersistentWatchListener, WatchEventType, WatchListener } from './watch-event.js';

/**
 * The kinds of client-side watch. `data`, `exist` and `child` are one-shot
 * (set by getData, exists on a missing node, getChildren); `persistent` and
 * `persistentRecursive` stay until removed (set by addWatch).
 */
export type WatchKind = 'data' | 'exist' | 'child' | PersistentWatchKind;

/** The kinds of watch addWatch sets. */
export type PersistentWatchKind = 'persistent' | 'persistentRecursive';

/** A persistent listener that asked for resync markers, and the path it watches. */
export interface ResyncTarget {
  readonly path: string;
  readonly listener: PersistentWatchListener;
}

/** Which watches removeWatches and checkWatches act on. */
export type WatcherKind = 'data' | 'children' | 'any';

/** One listener taken out of the registry, with the kind it was registered as. */
export interface RemovedWatch {
  readonly kind: WatchKind;
  readonly listener: WatchListener;
}

type Table = Map<string, Set<WatchListener>>;

/**
 * The client's watches, by client path (chroot already stripped): what the
 * server is asked to watch, and who to tell when it fires. The rules follow
 * ZooKeeper's client:
 *
 * - nodeCreated, nodeDataChanged: data and exist watches of the path fire
 *   (and are removed);
 * - nodeChildrenChanged: child watches of the path;
 * - nodeDeleted: data, exist and child watches of the path;
 * - persistent watches of the path fire for every event on it; persistent
 *   recursive watches of the path and of its ancestors fire for every event
 *   except nodeChildrenChanged. Neither is removed.
 *
 * A listener registered twice for the same path and kind is called once.
 *
 * Persistent listeners added with {@link addResync} are also told when to
 * re-read, and outlive the session ({@link endSession}).
 */
export class WatchRegistry {
  private readonly tables: Record<WatchKind, Table> = {
    data: new Map(),
    exist: new Map(),
    child: new Map(),
    persistent: new Map(),
    persistentRecursive: new Map(),
  };
  /** The persistent listeners that get resync markers (each also in `tables`). */
  private readonly resync: Record<PersistentWatchKind, Map<string, Set<PersistentWatchListener>>> = {
    persistent: new Map(),
    persistentRecursive: new Map(),
  };

  add(kind: WatchKind, path: string, listener: WatchListener): void {
    const table = this.tables[kind];
    let set = table.get(path);
    if (set === undefined) table.set(path, (set = new Set()));
    set.add(listener);
  }

  /** Adds a persistent listener that is also given resync markers and survives {@link endSession}. */
  addResync(kind: PersistentWatchKind, path: string, listener: PersistentWatchListener): void {
    this.add(kind, path, listener);
    const table = this.resync[kind];
    let set = table.get(path);
    if (set === undefined) table.set(path, (set = new Set()));
    set.add(listener);
  }

  /** Every listener to give a resync marker, with its path. */
  resyncTargets(): ResyncTarget[] {
    const out: ResyncTarget[] = [];
    for (const table of Object.values(this.resync)) {
      for (const [path, set] of table) for (const listener of set) out.push({ path, listener });
    }
    return out;
  }

  /** True when no watch of any kind is registered. */
  get isEmpty(): boolean {
    for (const table of Object.values(this.tables)) if (table.size > 0) return false;
    return true;
  }

  /** True when any persistent or persistent recursive watch is registered. */
  get hasPersistent(): boolean {
    return this.tables.persistent.size > 0 || this.tables.persistentRecursive.size > 0;
  }

  /** The listeners a server event fires, one-shot ones removed from the registry. */
  trigger(type: WatchEventType, path: string): WatchListener[] {
    const out = new Set<WatchListener>();
    const t = this.tables;
    switch (type) {
      case 'nodeCreated':
      case 'nodeDataChanged':
        take(t.data, path, out);
        take(t.exist, path, out);
        break;
      case 'nodeChildrenChanged':
        take(t.child, path, out);
        break;
      case 'nodeDeleted':
        take(t.data, path, out);
        take(t.exist, path, out);
        take(t.child, path, out);
        break;
      default:
        // Removal notifications are produced locally, not by the server.
        return [];
    }
    copy(t.persistent.get(path), out);
    if (type !== 'nodeChildrenChanged' && t.persistentRecursive.size > 0) {
      for (let p: string | undefined = path; p !== undefined; p = parent(p)) {
        copy(t.persistentRecursive.get(p), out);
      }
    }
    return [...out];
  }

  /** True when a watch of that kind is registered on the path (for one listener, or any). */
  has(path: string, kind: WatcherKind, listener?: WatchListener): boolean {
    for (const k of kindsOf(kind)) {
      const set = this.tables[k].get(path);
      if (set !== undefined && (listener === undefined || set.has(listener))) return true;
    }
    return false;
  }

  /** True when a watch of exactly this kind is registered on the path. */
  hasKind(path: string, kind: WatchKind): boolean {
    return this.tables[kind].has(path);
  }

  /** True when a listener other than `listener` watches the path with that kind. */
  hasOther(path: string, kind: WatcherKind, listener: WatchListener): boolean {
    for (const k of kindsOf(kind)) {
      const set = this.tables[k].get(path);
      if (set !== undefined && (set.size > 1 || !set.has(listener))) return true;
    }
    return false;
  }

  /**
   * Removes watches of a kind on a path (all listeners, or just one) and
   * returns what was removed.
   */
  remove(path: string, kind: WatcherKind, listener?: WatchListener): RemovedWatch[] {
    const removed: RemovedWatch[] = [];
    for (const k of kindsOf(kind)) {
      const table = this.tables[k];
      const set = table.get(path);
      if (set === undefined) continue;
      if (listener === undefined) {
        for (const l of set) removed.push({ kind: k, listener: l });
        table.delete(path);
      } else if (set.delete(listener)) {
        removed.push({ kind: k, listener });
        if (set.size === 0) table.delete(path);
      }
      if (k === 'persistent' || k === 'persistentRecursive') this.dropResync(k, path, listener);
    }
    return removed;
  }

  /** Removes one persistent (or persistent recursive) listener; true if it was there. */
  removePersistent(path: string, recursive: boolean, listener: WatchListener): boolean {
    const table = this.tables[recursive ? 'persistentRecursive' : 'persistent'];
    const set = table.get(path);
    if (set === undefined || !set.delete(listener)) return false;
    if (set.size === 0) table.delete(path);
    this.dropResync(recursive ? 'persistentRecursive' : 'persistent', path, listener);
    return true;
  }

  /** Forgets the resync subscriptions of a path (all, or one listener's). */
  private dropResync(kind: PersistentWatchKind, path: string, listener: WatchListener | undefined): void {
    const table = this.resync[kind];
    const set = table.get(path);
    if (set === undefined) return;
    if (listener === undefined) set.clear();
    else for (const l of set) if (l === listener) set.delete(l);
    if (set.size === 0) table.delete(path);
  }

  /** True when any watch at all is registered on exactly this path. */
  watches(path: string): boolean {
    for (const table of Object.values(this.tables)) if (table.has(path)) return true;
    return false;
  }

  /** Every watched path by kind, for setWatches / setWatches2 after a reconnect. */
  paths(): Omit<SetWatches2Request, 'relativeZxid'> {
    const t = this.tables;
    return {
      dataWatches: [...t.data.keys()],
      existWatches: [...t.exist.keys()],
      childWatches: [...t.child.keys()],
      persistentWatches: [...t.persistent.keys()],
      persistentRecursiveWatches: [...t.persistentRecursive.keys()],
    };
  }

  /**
   * The session ended: forgets every watch except the persistent listeners
   * that asked for resync markers, which the client adds again on the next
   * session (they are told with a `newSession` marker).
   */
  endSession(): void {
    for (const table of [this.tables.data, this.tables.exist, this.tables.child]) table.clear();
    for (const kind of ['persistent', 'persistentRecursive'] as const) {
      const kept = this.resync[kind];
      const table = this.tables[kind];
      table.clear();
      for (const [path, set] of kept) table.set(path, new Set<WatchListener>(set));
    }
  }

  /** Forgets every watch (client closed). */
  clear(): void {
    for (const table of Object.values(this.tables)) table.clear();
    for (const table of Object.values(this.resync)) table.clear();
  }
}

/** The event a removed watch of this kind is told about (as ZooKeeper's client does). */
export function removalEventType(kind: WatchKind): WatchEventType {
  switch (kind) {
    case 'data':
    case 'exist':
      return 'dataWatchRemoved';
    case 'child':
      return 'childWatchRemoved';
    case 'persistent':
    case 'persistentRecursive':
      return 'persistentWatchRemoved';
  }
}

function kindsOf(kind: WatcherKind): readonly WatchKind[] {
  switch (kind) {
    case 'data':
      return ['data', 'exist'];
    case 'children':
      return ['child'];
    case 'any':
      return ['data', 'exist', 'child', 'persistent', 'persistentRecursive'];
  }
}

function take(table: Table, path: string, out: Set<WatchListener>): void {
  const set = table.get(path);
  if (set === undefined) return;
  table.delete(path);
  for (const l of set) out.add(l);
}

function copy(set: Set<WatchListener> | undefined, out: Set<WatchListener>): void {
  if (set !== undefined) for (const l of set) out.add(l);
}

/** The parent of a path; undefined for the root. */
function parent(path: string): string | undefined {
  if (path === '/') return undefined;
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}
