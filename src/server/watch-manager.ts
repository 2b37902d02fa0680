/**
 * The server's registry of watches, modelled on ZooKeeper 3.8's DataTree + WatchManager.
 *
 * Pure bookkeeping: no I/O, no timers, no ACL checks. The caller turns each {@link Delivery}
 * into a notification and applies the 3.8.4+ READ filter itself (ZooKeeper filters at delivery
 * time, after a one-shot watch has already been consumed, so a dropped event still uses it up).
 *
 * ZooKeeper 3.8 keeps two tables, and so do we, because several observable behaviours follow
 * from that split rather than from any per-kind flag:
 * - the data table holds getData and exists watches (indistinguishable on the server) and is
 *   triggered by NodeCreated, NodeDataChanged and NodeDeleted;
 * - the child table holds getChildren watches and is triggered by NodeChildrenChanged and
 *   NodeDeleted;
 * - addWatch (PERSISTENT or PERSISTENT_RECURSIVE) registers the path in BOTH tables.
 * In each table one (session, path) pair has exactly one mode. Registering again overwrites the
 * mode, in both directions: a getData/exists watch after addWatch on the same path DOWNGRADES the
 * data-table entry to one-shot (the child-table entry stays persistent), and addWatch after a
 * one-shot upgrades it. ZooKeeper 3.9 (ZOOKEEPER-4466) lets modes coexist; 3.8 does not.
 *
 * Watches belong to a connection in ZooKeeper (the ServerCnxn is the watcher): when a connection
 * closes, even if the session lives on, its watches are dropped and the client re-sends them with
 * SetWatches. Call {@link WatchManager.removeSession} on connection close as well as on expiry.
 */
import { EventType, WatcherType, AddWatchMode } from '../jute/enums.js';
import type { EventTypeValue, WatcherTypeValue } from '../jute/enums.js';

/**
 * What registered a watch: `data` (getData), `exist` (exists, node may be missing), `child`
 * (getChildren), `persistent` / `persistentRecursive` (addWatch, or SetWatches2 on reconnect).
 */
export type WatchKind = 'data' | 'exist' | 'child' | 'persistent' | 'persistentRecursive';

/** One notification to send: WatcherEvent{type, SyncConnected, path} to the session. */
export interface Delivery {
  sessionId: bigint;
  type: EventTypeValue;
  /** The path that changed; for a recursive watch on an ancestor, still the changed path. */
  path: string;
}

/** The watch lists of SetWatches (101) or SetWatches2 (105); 101 carries no persistent lists. */
export interface ReplayRequest {
  relativeZxid: bigint;
  dataWatches: readonly string[];
  existWatches: readonly string[];
  childWatches: readonly string[];
  persistentWatches?: readonly string[];
  persistentRecursiveWatches?: readonly string[];
}

/** The node's mzxid and pzxid, or undefined when the node does not exist. */
export type NodeLookup = (path: string) => { mzxid: number; pzxid: number } | undefined;

/**
 * True for the WatcherType codes ZooKeeper 3.8 accepts in checkWatches / removeWatches:
 * 1 Children, 2 Data, 3 Any. Persistent (4) and PersistentRecursive (5) only exist from 3.9
 * (ZOOKEEPER-4472); 3.8's WatcherType.fromInt throws on them, which FinalRequestProcessor turns
 * into MarshallingError (-5). The caller should answer -5 when this returns false.
 */
export function isWatcherType(type: number): type is WatcherTypeValue {
  return type === WatcherType.children || type === WatcherType.data || type === WatcherType.any;
}

/**
 * Maps AddWatchRequest.mode to a {@link WatchKind}; undefined for anything but 0 and 1.
 * ZooKeeper 3.8 throws IllegalArgumentException there, which reaches the client as
 * MarshallingError (-5).
 */
export function watchKindForAddWatchMode(mode: number): WatchKind | undefined {
  if (mode === AddWatchMode.persistent) return 'persistent';
  if (mode === AddWatchMode.persistentRecursive) return 'persistentRecursive';
  return undefined;
}

const STANDARD = 0;
const PERSISTENT = 1;
const RECURSIVE = 2;
type Mode = typeof STANDARD | typeof PERSISTENT | typeof RECURSIVE;

/** One of ZooKeeper's two WatchManager instances. */
class WatchTable {
  /** path → session → mode (ZooKeeper's watchTable plus WatcherModeManager). */
  readonly paths = new Map<string, Map<bigint, Mode>>();
  /**
   * session → paths (ZooKeeper's watch2Paths). Like ZooKeeper, an entry is not removed when its
   * set empties through firing or removeWatches, only when the session goes: wchs counts it as a
   * "connection" and wchc lists it with no paths until then.
   */
  readonly sessions = new Map<bigint, Set<string>>();
  /** Number of (session, path) entries: WatchManager.size(). */
  size = 0;
  /** Recursive entries; while zero, triggers never look at ancestors. */
  recursive = 0;

  set(sessionId: bigint, path: string, mode: Mode): void {
    let watchers = this.paths.get(path);
    if (watchers === undefined) {
      watchers = new Map();
      this.paths.set(path, watchers);
    }
    const old = watchers.get(sessionId);
    if (old === undefined) this.size++;
    else if (old === RECURSIVE) this.recursive--;
    if (mode === RECURSIVE) this.recursive++;
    watchers.set(sessionId, mode);

    let owned = this.sessions.get(sessionId);
    if (owned === undefined) {
      owned = new Set();
      this.sessions.set(sessionId, owned);
    }
    owned.add(path);
  }

  /** Removes the entry whatever its mode, as WatchManager.removeWatcher(path, watcher) does. */
  delete(sessionId: bigint, path: string): boolean {
    const owned = this.sessions.get(sessionId);
    if (owned === undefined || !owned.delete(path)) return false;
    const watchers = this.paths.get(path);
    const mode = watchers?.get(sessionId);
    if (watchers === undefined || mode === undefined) return false;
    this.unlink(watchers, sessionId, path, mode);
    return true;
  }

  dropSession(sessionId: bigint): void {
    const owned = this.sessions.get(sessionId);
    if (owned === undefined) return;
    this.sessions.delete(sessionId);
    for (const path of owned) {
      const watchers = this.paths.get(path);
      const mode = watchers?.get(sessionId);
      if (watchers !== undefined && mode !== undefined) this.unlink(watchers, sessionId, path, mode);
    }
  }

  /**
   * WatchManager.triggerWatch: adds the sessions to notify to `hits` (created on first need, so
   * an unwatched path allocates nothing) and returns it. On the path itself every mode fires and
   * one-shot entries are consumed; on ancestors only recursive entries fire. Recursive entries
   * never fire for NodeChildrenChanged, not even on the path itself.
   */
  fire(path: string, type: EventTypeValue, hits: Set<bigint> | undefined): Set<bigint> | undefined {
    const childEvent = type === EventType.nodeChildrenChanged;
    const watchers = this.paths.get(path);
    if (watchers !== undefined) {
      hits ??= new Set();
      for (const [sessionId, mode] of watchers) {
        if (mode === RECURSIVE) {
          if (!childEvent) hits.add(sessionId);
          continue;
        }
        hits.add(sessionId);
        if (mode === STANDARD) {
          watchers.delete(sessionId);
          this.size--;
          this.sessions.get(sessionId)?.delete(path);
        }
      }
      if (watchers.size === 0) this.paths.delete(path);
    }
    // Ancestors can only contribute recursive entries, which a child event ignores anyway.
    if (this.recursive === 0 || childEvent || path === '/') return hits;
    let end = path.lastIndexOf('/');
    while (end >= 0) {
      const ancestor = this.paths.get(end === 0 ? '/' : path.slice(0, end));
      if (ancestor !== undefined) {
        for (const [sessionId, mode] of ancestor) {
          if (mode === RECURSIVE) (hits ??= new Set()).add(sessionId);
        }
      }
      if (end === 0) break;
      end = path.lastIndexOf('/', end - 1);
    }
    return hits;
  }

  private unlink(watchers: Map<bigint, Mode>, sessionId: bigint, path: string, mode: Mode): void {
    watchers.delete(sessionId);
    this.size--;
    if (mode === RECURSIVE) this.recursive--;
    if (watchers.size === 0) this.paths.delete(path);
  }
}

/** Registry of every session's watches, with ZooKeeper 3.8's firing, removal and stats rules. */
/** What a trigger nobody watches returns: one shared empty list, not an allocation per write. */
const NO_DELIVERIES: readonly Delivery[] = Object.freeze([]);

export class WatchManager {
  private readonly data = new WatchTable();
  private readonly child = new WatchTable();

  /**
   * Registers a watch. The caller decides whether to call this at all (getData/getChildren
   * register nothing on NoNode, exists registers even then).
   */
  add(sessionId: bigint, path: string, kind: WatchKind): void {
    switch (kind) {
      case 'data':
      case 'exist':
        this.data.set(sessionId, path, STANDARD);
        return;
      case 'child':
        this.child.set(sessionId, path, STANDARD);
        return;
      case 'persistent':
        this.child.set(sessionId, path, PERSISTENT);
        this.data.set(sessionId, path, PERSISTENT);
        return;
      case 'persistentRecursive':
        this.child.set(sessionId, path, RECURSIVE);
        this.data.set(sessionId, path, RECURSIVE);
        return;
    }
  }

  /**
   * Fires the watches for one event and consumes the one-shot ones that fired. Call it as
   * DataTree does: create → (path, NodeCreated) then (parent, NodeChildrenChanged); delete →
   * (path, NodeDeleted) then (parent, NodeChildrenChanged); setData → (path, NodeDataChanged).
   * NodeDeleted runs the data table then the child table and notifies each session once, like
   * DataTree.deleteNode passing the first call's watchers as the second's suppress set; both
   * tables' one-shot entries are consumed. Persistent entries stay registered after their node
   * is deleted and fire again if it is recreated. Other event types fire nothing.
   * At most one Delivery per session.
   */
  trigger(path: string, type: EventTypeValue): readonly Delivery[] {
    let hits: Set<bigint> | undefined;
    switch (type) {
      case EventType.nodeCreated:
      case EventType.nodeDataChanged:
        hits = this.data.fire(path, type, undefined);
        break;
      case EventType.nodeChildrenChanged:
        hits = this.child.fire(path, type, undefined);
        break;
      case EventType.nodeDeleted:
        // One shared set is the union of both tables' watchers: exactly what ZooKeeper delivers
        // by suppressing, in the child-table call, the sessions the data-table call notified.
        hits = this.child.fire(path, type, this.data.fire(path, type, undefined));
        break;
      default:
        return NO_DELIVERIES;
    }
    if (hits === undefined) return NO_DELIVERIES;
    const out: Delivery[] = [];
    for (const sessionId of hits) out.push({ sessionId, type, path });
    return out;
  }

  /** Drops every watch of the session (connection close or session expiry). */
  removeSession(sessionId: bigint): void {
    this.data.dropSession(sessionId);
    this.child.dropSession(sessionId);
  }

  /**
   * removeWatches (18): DataTree.removeWatch in 3.8. Children (1) removes the session's
   * child-table entry on the path, Data (2) its data-table entry, Any (3) both; true if anything
   * was removed (false → NoWatcher). The mode does not matter: Data removes a one-shot data or
   * exists watch and equally the data half of a persistent or recursive watch, leaving the child
   * half registered (it keeps firing NodeChildrenChanged, or NodeDeleted for descendants when
   * recursive); only Any removes an addWatch watch completely. No removal events are generated
   * here: ZooKeeper's server sends none (clients synthesise DataWatchRemoved etc. locally).
   * @throws RangeError for types other than 1, 2, 3 (3.8 answers MarshallingError); see
   *   {@link isWatcherType}.
   */
  remove(sessionId: bigint, path: string, watcherType: number): boolean {
    switch (watcherType) {
      case WatcherType.children:
        return this.child.delete(sessionId, path);
      case WatcherType.data:
        return this.data.delete(sessionId, path);
      case WatcherType.any: {
        const fromChild = this.child.delete(sessionId, path);
        const fromData = this.data.delete(sessionId, path);
        return fromChild || fromData;
      }
      default:
        throw new RangeError(`invalid WatcherType ${watcherType}`);
    }
  }

  /**
   * checkWatches (17): DataTree.containsWatcher in 3.8, including its bug: WatchManager
   * .containsWatcher returns true as soon as the table holds ANY session's watch on exactly this
   * path ("at the leaf node, all watcher types match"), so the session does not affect the answer.
   * Children (1) asks the child table, Data (2) the data table, Any (3) either. A recursive watch
   * on an ancestor does not count. Fixed in 3.9 (ZOOKEEPER-4466), which checks the session.
   * @throws RangeError for types other than 1, 2, 3 (3.8 answers MarshallingError).
   */
  has(_sessionId: bigint, path: string, watcherType: number): boolean {
    switch (watcherType) {
      case WatcherType.children:
        return this.child.paths.has(path);
      case WatcherType.data:
        return this.data.paths.has(path);
      case WatcherType.any:
        return this.child.paths.has(path) || this.data.paths.has(path);
      default:
        throw new RangeError(`invalid WatcherType ${watcherType}`);
    }
  }

  /**
   * SetWatches / SetWatches2 on reconnect: DataTree.setWatches. Returns the events to send now,
   * in ZooKeeper's order (data, exist, child lists); those watches are not registered, so the
   * events consume nothing. Data watch: NodeDeleted if the node is gone, NodeDataChanged if
   * mzxid > relativeZxid, else registered. Exist watch: NodeCreated if the node exists, else
   * registered. Child watch: NodeDeleted if gone, NodeChildrenChanged if pzxid > relativeZxid,
   * else registered. Persistent and recursive watches are always registered and fire nothing,
   * even if their node changed while the client was away. Events are not deduplicated (a data
   * and a child watch on a deleted node give two NodeDeleted), and ZooKeeper sends them without
   * the ACL filter (ServerCnxn.process(event) passes no ACL).
   */
  replay(sessionId: bigint, req: ReplayRequest, lookup: NodeLookup): Delivery[] {
    const out: Delivery[] = [];
    const rel = req.relativeZxid;
    for (const path of req.dataWatches) {
      const node = lookup(path);
      if (node === undefined) out.push({ sessionId, type: EventType.nodeDeleted, path });
      else if (node.mzxid > rel) out.push({ sessionId, type: EventType.nodeDataChanged, path });
      else this.add(sessionId, path, 'data');
    }
    for (const path of req.existWatches) {
      if (lookup(path) !== undefined) out.push({ sessionId, type: EventType.nodeCreated, path });
      else this.add(sessionId, path, 'exist');
    }
    for (const path of req.childWatches) {
      const node = lookup(path);
      if (node === undefined) out.push({ sessionId, type: EventType.nodeDeleted, path });
      else if (node.pzxid > rel) out.push({ sessionId, type: EventType.nodeChildrenChanged, path });
      else this.add(sessionId, path, 'child');
    }
    for (const path of req.persistentWatches ?? []) this.add(sessionId, path, 'persistent');
    for (const path of req.persistentRecursiveWatches ?? []) {
      this.add(sessionId, path, 'persistentRecursive');
    }
    return out;
  }

  /**
   * "Total watches:" of wchs. Like ZooKeeper (DataTree.dumpWatchesSummary prints only the data
   * table), this counts the data table: getData/exists watches and addWatch watches once each;
   * getChildren watches are not counted.
   */
  watchCount(): number {
    return this.data.size;
  }

  /**
   * zk_watch_count of mntr (DataTree.getWatchCount): both tables, so a getChildren watch counts
   * once and an addWatch watch twice.
   */
  mntrWatchCount(): number {
    return this.data.size + this.child.size;
  }

  /**
   * "N connections" of wchs: sessions that registered a data-table watch and have not been
   * removed since, even if all their watches have fired (ZooKeeper keeps the emptied entry).
   * Sessions with only getChildren watches are not counted.
   */
  sessionCount(): number {
    return this.data.sessions.size;
  }

  /** "M paths" of wchs: paths with at least one data-table watch. */
  pathCount(): number {
    return this.data.paths.size;
  }

  /**
   * wchc: session → watched paths, data table only (getChildren watches are not listed, as in
   * ZooKeeper); a session whose watches all fired is listed with no paths.
   */
  bySession(): Map<bigint, string[]> {
    const out = new Map<bigint, string[]>();
    for (const [sessionId, paths] of this.data.sessions) out.set(sessionId, [...paths]);
    return out;
  }

  /** wchp: path → watching sessions, data table only. */
  byPath(): Map<string, bigint[]> {
    const out = new Map<string, bigint[]>();
    for (const [path, watchers] of this.data.paths) out.set(path, [...watchers.keys()]);
    return out;
  }
}
