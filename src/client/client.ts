import { EventEmitter } from 'node:events';
import { systemClock, type Clock } from '../base/clock.js';
import { Ops, type AnyOp, type RequestOf, type ResponseOf } from '../jute/ops/index.js';
import type { ClientInfo } from '../jute/ops/who-am-i.js';
import type { ACL } from '../jute/records/acl.js';
import type { Stat } from '../jute/records/stat.js';
import type { WatcherEvent } from '../jute/records/watcher-event.js';
import type {
  AddWatchOptions,
  ClientEvents,
  GetChildrenOptions,
  RawReply,
  RemoveWatchesOptions,
  WatchOptions,
  WatchStreamOptions,
} from './call-options.js';
import { Chroot } from './chroot.js';
import { ClientCalls } from './client-calls.js';
import { ClientWatches } from './client-watches.js';
import { parseConnectionString } from './connection-string.js';
import { toBuffer, type Data } from './data.js';
import { sessionOptions, type ClientOptions } from './options.js';
import { Session } from './session.js';
import type { ClientState, StateChange } from './state.js';
import type { CreateOptions, ReadOp, ReadResult, TransactionOp, TransactionResult } from './transaction.js';
import type { PersistentWatchListener, WatchListener } from './watch-event.js';
import type { PersistentWatchKind, WatcherKind } from './watch-registry.js';
import type { WatchStream } from './watch-stream.js';
import { deleteRecursive, ensurePath } from './tree.js';

/**
 * Creates a client for a ZooKeeper ensemble (or Herd's server). It does not
 * connect until {@link Client.connect} is called; requests issued before
 * wait for the session.
 *
 * @param connectionString `host1:port1,host2:port2/optional/chroot`
 */
export function createClient(connectionString: string, options: ClientOptions = {}): Client {
  return new Client(connectionString, options);
}

/**
 * A ZooKeeper client: one session, carried by one connection at a time to
 * one server of the ensemble, with automatic failover. Every operation
 * returns a promise and rejects with a {@link HerdError} subclass
 * (NoNodeError, BadVersionError, ConnectionLossError, ...) carrying `path`
 * and `op`. Requests are pipelined: they are answered in the order issued,
 * and watch events are delivered in order with the replies.
 *
 * State changes are events named after the new state; see {@link ClientState}.
 */
export class Client extends EventEmitter<ClientEvents> {
  private readonly session: Session;
  private readonly chrootMap: Chroot;
  private readonly watches: ClientWatches;
  private readonly calls: ClientCalls;
  /** The time source of this client's timers (the `clock` option); recipes built on this client use it too. */
  readonly clock: Clock;

  constructor(connectionString: string, options: ClientOptions = {}) {
    super();
    const parsed = parseConnectionString(connectionString);
    this.chrootMap = new Chroot(parsed.chroot);
    this.clock = options.clock ?? systemClock;
    const resolved = sessionOptions(parsed.hosts, options, this.clock);
    this.watches = new ClientWatches({
      call: (op, body, path, map, hooks) => this.calls.call(op, body, path, map, hooks),
      chroot: this.chrootMap,
      clock: this.clock,
      reconnectOnExpiry: resolved.reconnectOnExpiry,
      state: () => this.session.state,
      sessionId: () => this.session.sessionId,
    });
    this.session = new Session(
      resolved,
      {
        stateChanged: (change) => this.onStateChanged(change),
        notification: (event) => this.onNotification(event),
        restoreWatches: (zxid) => this.watches.restore(zxid),
      },
    );
    this.calls = new ClientCalls(this.session, this.chrootMap, this.watches, this.clock);
  }

  // ---- session ----------------------------------------------------------------

  /** The current state. */
  get state(): ClientState {
    return this.session.state;
  }
  /** The session id (0n when there is no session). */
  get sessionId(): bigint {
    return this.session.sessionId;
  }
  /** The session password (16 bytes; zeros when there is no session). */
  get sessionPassword(): Buffer {
    return this.session.sessionPassword;
  }
  /** The session timeout the server granted, in ms (0 before the first handshake). */
  get negotiatedTimeout(): number {
    return this.session.negotiatedTimeout;
  }
  /** The zxid of the last reply received (what reconnects and setWatches are relative to). */
  get lastZxid(): bigint {
    return this.session.lastZxid;
  }
  /** The chroot of the connection string, if any. */
  get chroot(): string | undefined {
    return this.chrootMap.root;
  }
  /** The server of the current connection (`host:port`), if any. */
  get currentServer(): string | undefined {
    return this.session.currentServer;
  }

  /**
   * Connects and resolves once a session is established (including the
   * credentials of the `auth` option). Rejects with OperationTimeoutError
   * after `connectTimeout` (and closes the client if it never had a
   * session), AuthFailedError if credentials are refused, ClientClosedError
   * once the client is closed. After `expired` it starts a new session.
   */
  connect(): Promise<void> {
    return this.session.connect();
  }

  /**
   * Ends the session (its ephemerals are deleted at once) and closes the
   * connection. Requests issued before are answered first; later ones, and
   * those still waiting for a connection, fail with ClientClosedError.
   * Idempotent.
   */
  close(): Promise<void> {
    return this.session.close();
  }

  /** {@link close}, for `await using client = ...`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Adds credentials to the session, re-sent after every reconnect.
   * Resolves when the server accepts them; a refusal (AuthFailedError)
   * moves the client to `authFailed`.
   */
  addAuth(scheme: string, credentials: string | Uint8Array): Promise<void> {
    return this.session.addAuth(scheme, toBuffer(credentials, null) ?? Buffer.alloc(0));
  }

  /** The identities the session is authenticated as (ZooKeeper 3.7+). */
  whoAmI(): Promise<ClientInfo[]> {
    return this.calls.call(Ops.whoAmI, {}, undefined, (res) => res.clientInfo);
  }

  // ---- nodes --------------------------------------------------------------------

  /**
   * Creates a node and resolves with its path (with the sequence suffix for
   * sequential modes). Data defaults to empty; `null` stores a null value.
   */
  create(path: string, data?: Data, options: CreateOptions = {}): Promise<string> {
    return this.calls.create(path, data, options, false).then((r) => r.path);
  }

  /** As {@link Client.create}, also resolving with the new node's Stat (create2). */
  create2(path: string, data?: Data, options: CreateOptions = {}): Promise<{ path: string; stat: Stat }> {
    return this.calls.create(path, data, options, true) as Promise<{ path: string; stat: Stat }>;
  }

  /** Deletes a node; version -1 (the default) matches any version. */
  delete(path: string, version = -1): Promise<void> {
    return this.calls.delete(path, version);
  }

  /**
   * The node's Stat, or null when it does not exist. With `watch`, the
   * listener is called once on the node's next creation, change or
   * deletion.
   */
  exists(path: string, options: WatchOptions = {}): Promise<Stat | null> {
    return this.calls.exists(path, options.watch);
  }

  /**
   * The node's data and Stat. With `watch`, the listener is called once on
   * the node's next change or deletion.
   */
  getData(path: string, options?: WatchOptions): Promise<{ data: Buffer | null; stat: Stat }> {
    return this.calls.getData(path, options?.watch);
  }

  /** Replaces the node's data; version -1 (the default) matches any. Resolves with the new Stat. */
  setData(path: string, data: Data, version = -1): Promise<Stat> {
    return this.calls.setData(path, data, version);
  }

  /**
   * The names of the node's children (unordered). With `stat: true` also
   * the node's Stat. With `watch`, the listener is called once when a child
   * is created or deleted, or the node is deleted.
   */
  getChildren(path: string, options?: GetChildrenOptions & { stat?: false }): Promise<string[]>;
  getChildren(path: string, options: GetChildrenOptions & { stat: true }): Promise<{ children: string[]; stat: Stat }>;
  getChildren(path: string, options: GetChildrenOptions = {}): Promise<string[] | { children: string[]; stat: Stat }> {
    return this.calls.getChildren(path, options.watch, options.stat === true);
  }

  /** The node's ACL and Stat. */
  getACL(path: string): Promise<{ acl: ACL[]; stat: Stat }> {
    return this.calls.onPath(Ops.getACL, path, (r) => r);
  }

  /** Replaces the node's ACL; version is the expected ACL version (-1 = any). Resolves with the new Stat. */
  setACL(path: string, acl: readonly ACL[], version = -1): Promise<Stat> {
    return this.calls.setACL(path, [...acl], version);
  }

  /** Waits until the server this client is connected to has caught up with the leader. */
  sync(path = '/'): Promise<void> {
    return this.calls.onPath(Ops.sync, path, () => undefined);
  }

  /** The number of descendants of the node (not counting itself). */
  getAllChildrenNumber(path: string): Promise<number> {
    return this.calls.onPath(Ops.getAllChildrenNumber, path, (r) => r.totalNumber);
  }

  /** The paths of this session's ephemeral nodes whose path starts with `prefix` (default: all). */
  getEphemerals(prefix = '/'): Promise<string[]> {
    return this.calls.getEphemerals(prefix);
  }

  /**
   * Creates every missing node of `path` (persistent, no data), parents
   * first, in one pipelined round trip. Existing nodes are left alone.
   */
  ensurePath(path: string, options: { acl?: readonly ACL[] } = {}): Promise<void> {
    return this.calls.guard(path, 'ensurePath', () => ensurePath(this, path, options.acl));
  }

  /** As {@link Client.create}, creating missing parents first (as persistent nodes with no data). */
  mkdirp(path: string, data?: Data, options: CreateOptions = {}): Promise<string> {
    const parent = path.slice(0, Math.max(1, path.lastIndexOf('/')));
    const parents = parent === '/' ? Promise.resolve() : this.ensurePath(parent, options.acl ? { acl: options.acl } : {});
    return parents.then(() => this.create(path, data, options));
  }

  /**
   * Deletes a node and all its descendants (deepest first). A missing node
   * is not an error. Not atomic: others may see a partly deleted tree.
   */
  deleteRecursive(path: string): Promise<void> {
    return this.calls.guard(path, 'deleteRecursive', () => deleteRecursive(this, path));
  }

  // ---- multi ----------------------------------------------------------------------

  /**
   * Runs ops as one atomic transaction (build them with {@link op}).
   * Resolves with one result per op. When any op fails nothing is applied
   * and the promise rejects with that op's typed error, carrying `results`
   * and `failedIndex` (see {@link TransactionError}).
   */
  multi(ops: readonly TransactionOp[]): Promise<TransactionResult[]> {
    return this.calls.multi(ops);
  }

  /**
   * Runs reads in one round trip (build them with {@link op}.getData and
   * {@link op}.getChildren). Each read succeeds or fails on its own: a
   * failed one is an `error` result.
   */
  multiRead(ops: readonly ReadOp[]): Promise<ReadResult[]> {
    return this.calls.multiRead(ops);
  }

  // ---- watches ---------------------------------------------------------------------

  /**
   * Adds a persistent watch: the listener is called for every change of the
   * node (`persistent`: created, deleted, data and children changed) or of
   * the node and all its descendants (`persistentRecursive`: all but
   * children changed), until removed. The client sets it again after a
   * reconnect, but ZooKeeper does not replay the changes made meanwhile:
   * with `resync: true` the listener is also given a {@link ResyncEvent}
   * after every reconnect and new session, to read the state again (see
   * {@link AddWatchOptions}). Resolves once the server has the watch.
   */
  addWatch(path: string, mode: PersistentWatchKind, listener: PersistentWatchListener, options: AddWatchOptions & { resync: true }): Promise<void>;
  /** {@link Client.addWatch} without resync markers: the listener gets node events only, and the watch ends with the session. */
  addWatch(path: string, mode: PersistentWatchKind, listener: WatchListener, options?: AddWatchOptions & { resync?: false }): Promise<void>;
  /** {@link Client.addWatch} with `resync` not known until run time: the listener must accept the markers. */
  addWatch(path: string, mode: PersistentWatchKind, listener: PersistentWatchListener, options?: AddWatchOptions): Promise<void>;
  addWatch(path: string, mode: PersistentWatchKind, listener: WatchListener | PersistentWatchListener, options: AddWatchOptions = {}): Promise<void> {
    return this.calls.addWatch(path, mode, listener, options.resync === true);
  }

  /**
   * Watches a node (and with `recursive`, its descendants) as an async
   * iterator of events. The watch is requested at once; await
   * `stream.ready` to know the server has it. Leaving the loop removes it.
   * After every reconnect the stream yields a {@link ResyncEvent}
   * (`reason: 'reconnected'`): changes made while disconnected are not
   * replayed, so read the state again. When the session expires, the
   * stream throws SessionExpiredError, unless the client has
   * `reconnectOnExpiry`: then the watch is added again on the new session
   * and the stream yields a `newSession` marker.
   */
  watch(path: string, options: WatchStreamOptions = {}): WatchStream {
    const recursive = options.recursive ?? false;
    const mode = recursive ? 'persistentRecursive' : 'persistent';
    return this.watches.stream(path, recursive, (listener) => this.addWatch(path, mode, listener, { resync: true }));
  }

  /**
   * Removes the watches of a kind (`data`: getData/exists watches;
   * `children`: getChildren watches; `any`: those and persistent ones) on a
   * path, on the server and here. The removed listeners are called with a
   * dataWatchRemoved, childWatchRemoved or persistentWatchRemoved event.
   * Rejects with NoWatcherError when the client has no such watch.
   * Persistent watches on the path survive the removal of its `data` or
   * `children` watches (they are asked for again before this resolves).
   */
  removeWatches(path: string, type: WatcherKind, options: RemoveWatchesOptions = {}): Promise<void> {
    return this.calls.guard(path, 'removeWatches', () => this.watches.remove(path, type, options.local === true, options.listener));
  }

  /** Resolves when the server holds a watch of that kind on the path for this session, else rejects with NoWatcherError. */
  checkWatches(path: string, type: WatcherKind): Promise<void> {
    return this.calls.checkWatches(path, type);
  }

  // ---- raw requests ------------------------------------------------------------------

  /**
   * Sends any op of the {@link Ops} table exactly as given (no chroot, no
   * validation, no watch bookkeeping) and resolves with the reply header
   * and, when err is 0, the decoded body. A non-zero err does not reject:
   * this is the escape hatch for protocol tests that compare raw error
   * codes and zxids. It still rejects on connection loss, expiry or close.
   */
  request<O extends AnyOp>(op: O, body: RequestOf<O>): Promise<RawReply<ResponseOf<O>>> {
    return this.calls.raw(op, body);
  }

  // ---- plumbing ----------------------------------------------------------------------

  private onStateChanged(change: StateChange): void {
    this.watches.stateChanged(change);
    queueMicrotask(() => this.emit(change.to, change));
  }

  private onNotification(raw: WatcherEvent): void {
    if (this.listenerCount('notification') > 0) queueMicrotask(() => this.emit('notification', raw));
    this.watches.notify(raw);
  }
}
