import { EventEmitter } from 'node:events';
import { BadArgumentsError, HerdError, NoWatcherError, errorFromCode } from '../errors.js';
import { AddWatchMode, CreateMode, WatcherType } from '../jute/enums.js';
import { ErrorCode } from '../jute/error-codes.js';
import type { MultiOp, MultiResult } from '../jute/ops/multi.js';
import type { Op } from '../jute/ops/op.js';
import { Ops, type AnyOp, type RequestOf, type ResponseOf } from '../jute/ops/index.js';
import type { GetDataResponse } from '../jute/ops/get-data.js';
import type { ClientInfo } from '../jute/ops/who-am-i.js';
import type { ACL } from '../jute/records/acl.js';
import type { ReplyHeader } from '../jute/records/headers.js';
import type { Stat } from '../jute/records/stat.js';
import type { WatcherEvent } from '../jute/records/watcher-event.js';
import { Acls } from './acl.js';
import { Chroot } from './chroot.js';
import { systemClock, type Clock } from '../base/clock.js';
import { parseConnectionString } from './connection-string.js';
import { invalidModeReason, isSequential, isTTL, type CreateModeName } from './create-mode.js';
import { copyData, toBuffer, type Data } from './data.js';
import type { ClientOptions } from './options.js';
import { invalidPathReason } from '../base/path.js';
import { OpRequest, type ReplyHooks } from './op-request.js';
import { rawRequest, type PendingRequest } from './pending-requests.js';
import { Session } from './session.js';
import type { ClientState, StateChange } from './state.js';
import type {
  CreateOptions,
  ReadOp,
  ReadResult,
  TransactionError,
  TransactionOp,
  TransactionOpError,
  TransactionResult,
} from './transaction.js';
import {
  watchEventType,
  type PersistentWatchEvent,
  type PersistentWatchListener,
  type ResyncReason,
  type WatchEvent,
  type WatchListener,
} from './watch-event.js';
import {
  WatchRegistry,
  removalEventType,
  type PersistentWatchKind,
  type RemovedWatch,
  type ResyncTarget,
  type WatcherKind,
} from './watch-registry.js';
import { WatchStream } from './watch-stream.js';
import { deleteRecursive, ensurePath } from './tree.js';

/**
 * The client's events: one per state (named after the state entered, with
 * the {@link StateChange}), plus `notification` with every raw watch event
 * as the server sent it (server paths), for tests and tools.
 */
export interface ClientEvents {
  idle: [StateChange];
  connecting: [StateChange];
  connected: [StateChange];
  connectedReadOnly: [StateChange];
  disconnected: [StateChange];
  expired: [StateChange];
  authFailed: [StateChange];
  closed: [StateChange];
  notification: [WatcherEvent];
}

/** The raw outcome of {@link Client.request}: the reply header, and the body when err is 0. */
export interface RawReply<Res> {
  header: ReplyHeader;
  response?: Res;
}

/** Options of the reads that can set a one-shot watch. */
export interface WatchOptions {
  /** Called once with the next change of the node (see {@link WatchRegistry} for which events). */
  watch?: WatchListener;
}

/** Options of {@link Client.getChildren}. */
export interface GetChildrenOptions extends WatchOptions {
  /** Also return the parent's Stat (getChildren2). */
  stat?: boolean;
}

/** Options of {@link Client.removeWatches}. */
export interface RemoveWatchesOptions {
  /** Remove only on the client, without asking the server (works while disconnected). */
  local?: boolean;
  /** Remove only this listener; the others of that kind on the path stay. */
  listener?: WatchListener;
}

/** Options of {@link Client.watch}. */
export interface WatchStreamOptions {
  /** Also watch every descendant (persistent recursive). Default false. */
  recursive?: boolean;
}

/** Options of {@link Client.addWatch}. */
export interface AddWatchOptions {
  /**
   * Also call the listener with a {@link ResyncEvent} (`{ type: 'resync',
   * reason, path }`) each time the server has the watch again after a
   * reconnect (`reconnected`) or on a new session (`newSession`): ZooKeeper
   * does not replay the changes a persistent watch missed meanwhile, so
   * the listener should read the watched state again. Such a watch also
   * outlives its session: the client adds it again on the next session
   * (started by `reconnectOnExpiry` or by {@link Client.connect}). Default
   * false: the watch ends with the session and no marker is delivered.
   */
  resync?: boolean;
}

/** Largest total path length per setWatches request, as ZooKeeper's client. */
const SET_WATCHES_MAX_BYTES = 128 * 1024;

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
  private readonly watches = new WatchRegistry();
  /** Open streams, each with how to forget its watch here. */
  private readonly streams = new Map<WatchStream, () => void>();
  private readonly reconnectOnExpiry: boolean;
  /** The session of the last resync markers (tells `reconnected` from `newSession`). */
  private watchSession = 0n;
  /** The time source of this client's timers (the `clock` option); recipes built on this client use it too. */
  readonly clock: Clock;

  constructor(connectionString: string, options: ClientOptions = {}) {
    super();
    const parsed = parseConnectionString(connectionString);
    this.chrootMap = new Chroot(parsed.chroot);
    this.clock = options.clock ?? systemClock;
    const sessionTimeout = options.sessionTimeout ?? 30000;
    this.reconnectOnExpiry = options.reconnectOnExpiry ?? false;
    this.session = new Session(
      {
        hosts: parsed.hosts,
        sessionTimeout,
        connectTimeout: options.connectTimeout ?? 15000,
        requestTimeout: options.requestTimeout ?? 30000,
        readOnly: options.readOnly ?? false,
        auth: (options.auth ?? []).map((a) => ({ scheme: a.scheme, auth: toBuffer(a.credentials, null) ?? Buffer.alloc(0) })),
        reconnectOnExpiry: this.reconnectOnExpiry,
        sessionLostTimeout: options.sessionLostTimeout,
        maxFrameSize: options.maxFrameSize ?? 4 * 1024 * 1024,
        tls: options.tls,
        backoff: options.backoff ?? {},
        shuffle: !(options.noShuffle ?? false),
        clock: this.clock,
      },
      {
        stateChanged: (change) => this.onStateChanged(change),
        notification: (event) => this.onNotification(event),
        restoreWatches: (zxid) => this.restoreWatches(zxid),
      },
    );
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
    return this.call(Ops.whoAmI, {}, undefined, (res) => res.clientInfo);
  }

  // ---- nodes --------------------------------------------------------------------

  /**
   * Creates a node and resolves with its path (with the sequence suffix for
   * sequential modes). Data defaults to empty; `null` stores a null value.
   */
  create(path: string, data?: Data, options: CreateOptions = {}): Promise<string> {
    return this.createNode(path, data, options, false).then((r) => r.path);
  }

  /** As {@link Client.create}, also resolving with the new node's Stat (create2). */
  create2(path: string, data?: Data, options: CreateOptions = {}): Promise<{ path: string; stat: Stat }> {
    return this.createNode(path, data, options, true) as Promise<{ path: string; stat: Stat }>;
  }

  private createNode(
    path: string,
    data: Data | undefined,
    options: CreateOptions,
    withStat: boolean,
  ): Promise<{ path: string; stat?: Stat }> {
    let request;
    try {
      request = this.createRequest(path, data, options);
    } catch (error) {
      return Promise.reject(error);
    }
    const { op, body } = request;
    const toClient = (p: string): string => this.chrootMap.toClient(p);
    if (op === 'createTTL') return this.call(Ops.createTTL, body as typeof body & { ttl: number }, path, (r) => ({ path: toClient(r.path), stat: r.stat }));
    if (op === 'createContainer') return this.call(Ops.createContainer, body, path, (r) => ({ path: toClient(r.path), stat: r.stat }));
    if (withStat) return this.call(Ops.create2, body, path, (r) => ({ path: toClient(r.path), stat: r.stat }));
    return this.call(Ops.create, body, path, (r) => ({ path: toClient(r.path) }));
  }

  /** Validates a create and builds its wire form (throws BadArgumentsError). */
  private createRequest(path: string, data: Data | undefined, options: CreateOptions) {
    const mode: CreateModeName = options.mode ?? 'persistent';
    const modeError = invalidModeReason(mode, options.ttl);
    if (modeError !== undefined) throw new BadArgumentsError(modeError, { op: 'create', path });
    this.checkPath(path, 'create', isSequential(mode));
    const body = {
      path: this.chrootMap.toServer(path),
      data: toBuffer(data, EMPTY),
      acl: [...(options.acl ?? Acls.openUnsafe)],
      flags: CreateMode[mode],
      ttl: options.ttl ?? 0,
    };
    const op: 'createTTL' | 'createContainer' | 'create' = isTTL(mode) ? 'createTTL' : mode === 'container' ? 'createContainer' : 'create';
    return { op, body };
  }

  /** Deletes a node; version -1 (the default) matches any version. */
  delete(path: string, version = -1): Promise<void> {
    return this.guard(path, 'delete', () =>
      this.call(Ops.delete, { path: this.chrootMap.toServer(path), version }, path, () => undefined),
    );
  }

  /**
   * The node's Stat, or null when it does not exist. With `watch`, the
   * listener is called once on the node's next creation, change or
   * deletion.
   */
  exists(path: string, options: WatchOptions = {}): Promise<Stat | null> {
    return this.guard(path, 'exists', () => {
      const listener = options.watch;
      return this.call(
        Ops.exists,
        { path: this.chrootMap.toServer(path), watch: listener !== undefined },
        path,
        (stat) => stat,
        {
          onReply: listener && ((err) => this.registerExistsWatch(path, err, listener)),
          onError: (err) => (err === ErrorCode.NONODE ? { value: null } : undefined),
        },
      );
    });
  }

  private registerExistsWatch(path: string, err: number, listener: WatchListener): void {
    if (err === 0) this.watches.add('data', path, listener);
    else if (err === ErrorCode.NONODE) this.watches.add('exist', path, listener);
  }

  /**
   * The node's data and Stat. With `watch`, the listener is called once on
   * the node's next change or deletion.
   */
  getData(path: string, options?: WatchOptions): Promise<{ data: Buffer | null; stat: Stat }> {
    // The hottest calls skip guard()'s closure: validation is inlined.
    const invalid = this.pathError(path, 'getData');
    if (invalid !== undefined) return Promise.reject(invalid);
    const listener = options?.watch;
    const body = { path: this.chrootMap.toServer(path), watch: listener !== undefined };
    if (listener === undefined) return this.call(Ops.getData, body, path, dataResult);
    return this.call(Ops.getData, body, path, dataResult, {
      onReply: (err) => err === 0 && this.watches.add('data', path, listener),
    });
  }

  /** Replaces the node's data; version -1 (the default) matches any. Resolves with the new Stat. */
  setData(path: string, data: Data, version = -1): Promise<Stat> {
    const invalid = this.pathError(path, 'setData');
    if (invalid !== undefined) return Promise.reject(invalid);
    let bytes: Buffer | null;
    try {
      bytes = toBuffer(data, EMPTY);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.call(Ops.setData, { path: this.chrootMap.toServer(path), data: bytes, version }, path, identity);
  }

  /**
   * The names of the node's children (unordered). With `stat: true` also
   * the node's Stat. With `watch`, the listener is called once when a child
   * is created or deleted, or the node is deleted.
   */
  getChildren(path: string, options?: GetChildrenOptions & { stat?: false }): Promise<string[]>;
  getChildren(path: string, options: GetChildrenOptions & { stat: true }): Promise<{ children: string[]; stat: Stat }>;
  getChildren(path: string, options: GetChildrenOptions = {}): Promise<string[] | { children: string[]; stat: Stat }> {
    return this.guard<string[] | { children: string[]; stat: Stat }>(path, 'getChildren', () => {
      const listener = options.watch;
      const body = { path: this.chrootMap.toServer(path), watch: listener !== undefined };
      const onReply = listener && ((err: number) => err === 0 && this.watches.add('child', path, listener));
      if (options.stat === true) return this.call(Ops.getChildren2, body, path, (r) => r, { onReply });
      return this.call(Ops.getChildren, body, path, (r) => r.children, { onReply });
    });
  }

  /** The node's ACL and Stat. */
  getACL(path: string): Promise<{ acl: ACL[]; stat: Stat }> {
    return this.guard(path, 'getACL', () => this.call(Ops.getACL, { path: this.chrootMap.toServer(path) }, path, (r) => r));
  }

  /** Replaces the node's ACL; version is the expected ACL version (-1 = any). Resolves with the new Stat. */
  setACL(path: string, acl: readonly ACL[], version = -1): Promise<Stat> {
    return this.guard(path, 'setACL', () =>
      this.call(Ops.setACL, { path: this.chrootMap.toServer(path), acl: [...acl], version }, path, (s) => s),
    );
  }

  /** Waits until the server this client is connected to has caught up with the leader. */
  sync(path = '/'): Promise<void> {
    return this.guard(path, 'sync', () => this.call(Ops.sync, { path: this.chrootMap.toServer(path) }, path, () => undefined));
  }

  /** The number of descendants of the node (not counting itself). */
  getAllChildrenNumber(path: string): Promise<number> {
    return this.guard(path, 'getAllChildrenNumber', () =>
      this.call(Ops.getAllChildrenNumber, { path: this.chrootMap.toServer(path) }, path, (r) => r.totalNumber),
    );
  }

  /** The paths of this session's ephemeral nodes whose path starts with `prefix` (default: all). */
  getEphemerals(prefix = '/'): Promise<string[]> {
    return this.call(Ops.getEphemerals, { prefixPath: this.chrootMap.toServer(prefix) }, prefix, (r) =>
      r.ephemerals.map((p) => this.chrootMap.toClient(p)),
    );
  }

  /**
   * Creates every missing node of `path` (persistent, no data), parents
   * first, in one pipelined round trip. Existing nodes are left alone.
   */
  ensurePath(path: string, options: { acl?: readonly ACL[] } = {}): Promise<void> {
    return this.guard(path, 'ensurePath', () => ensurePath(this, path, options.acl));
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
    return this.guard(path, 'deleteRecursive', () => deleteRecursive(this, path));
  }

  // ---- multi ----------------------------------------------------------------------

  /**
   * Runs ops as one atomic transaction (build them with {@link op}).
   * Resolves with one result per op. When any op fails nothing is applied
   * and the promise rejects with that op's typed error, carrying `results`
   * and `failedIndex` (see {@link TransactionError}).
   */
  multi(ops: readonly TransactionOp[]): Promise<TransactionResult[]> {
    let wire: MultiOp[];
    try {
      wire = ops.map((o) => this.transactionOp(o));
    } catch (error) {
      return Promise.reject(error);
    }
    const paths = ops.map((o) => o.path);
    return this.call(Ops.multi, { ops: wire }, undefined, (res) => {
      const failedIndex = res.results.findIndex((r) => r.type === 'error' && r.err !== 0);
      if (failedIndex >= 0) throw transactionError(res.results, failedIndex, paths);
      return res.results.map((r) => this.transactionResult(r));
    });
  }

  private transactionOp(o: TransactionOp): MultiOp {
    switch (o.type) {
      case 'create': {
        const { op: kind, body } = this.createRequest(o.path, o.data, o.options);
        if (kind === 'createTTL') return { type: 'createTTL', request: body };
        return { type: kind, request: { path: body.path, data: body.data, acl: body.acl, flags: body.flags } };
      }
      case 'delete':
      case 'check':
        this.checkPath(o.path, o.type);
        return { type: o.type, request: { path: this.chrootMap.toServer(o.path), version: o.version } };
      case 'setData':
        this.checkPath(o.path, 'setData');
        return { type: 'setData', request: { path: this.chrootMap.toServer(o.path), data: toBuffer(o.data, EMPTY), version: o.version } };
      default:
        throw new BadArgumentsError(`op ${(o as { type: string }).type} is not allowed in a transaction`, { op: 'multi' });
    }
  }

  private transactionResult(r: MultiResult): TransactionResult {
    switch (r.type) {
      case 'create':
        return { type: 'create', path: this.chrootMap.toClient(r.response.path) };
      case 'create2':
        return { type: 'create', path: this.chrootMap.toClient(r.response.path), stat: r.response.stat };
      case 'delete':
      case 'check':
        return { type: r.type };
      case 'setData':
        return { type: 'setData', stat: r.response };
      default:
        throw new HerdError('MARSHALLINGERROR', `unexpected ${r.type} result in a transaction`, { op: 'multi' });
    }
  }

  /**
   * Runs reads in one round trip (build them with {@link op}.getData and
   * {@link op}.getChildren). Each read succeeds or fails on its own: a
   * failed one is an `error` result.
   */
  multiRead(ops: readonly ReadOp[]): Promise<ReadResult[]> {
    const wire: MultiOp[] = [];
    for (const o of ops) {
      const error = this.pathError(o.path, 'multiRead');
      if (error !== undefined) return Promise.reject(error);
      if (o.type !== 'getData' && o.type !== 'getChildren') {
        return Promise.reject(new BadArgumentsError(`op ${String((o as { type: unknown }).type)} is not a read`, { op: 'multiRead' }));
      }
      wire.push({ type: o.type, request: { path: this.chrootMap.toServer(o.path), watch: false } });
    }
    return this.call(Ops.multiRead, { ops: wire }, undefined, (res) =>
      res.results.map((r, i): ReadResult => {
        switch (r.type) {
          case 'getData':
            return { type: 'getData', data: copyData(r.response.data), stat: r.response.stat };
          case 'getChildren':
            return { type: 'getChildren', children: r.response.children };
          case 'error':
            return { type: 'error', errno: r.err, error: errorFromCode(r.err, { op: ops[i]?.type ?? 'multiRead', path: ops[i]?.path }) };
          default:
            throw new HerdError('MARSHALLINGERROR', `unexpected ${r.type} result in multiRead`, { op: 'multiRead' });
        }
      }),
    );
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
    const resync = options.resync === true;
    return this.guard(path, 'addWatch', () =>
      this.call(
        Ops.addWatch,
        { path: this.chrootMap.toServer(path), mode: AddWatchMode[mode] },
        path,
        () => undefined,
        {
          onReply: (err) => {
            if (err !== 0) return;
            // The overloads only accept `resync: true` with a listener that takes the markers.
            if (resync) this.watches.addResync(mode, path, listener as PersistentWatchListener);
            else this.watches.add(mode, path, listener);
          },
        },
      ),
    );
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
    let stream: WatchStream | undefined;
    const listener: PersistentWatchListener = (event) => stream?.push(event);
    const registered = this.addWatch(path, mode, listener, { resync: true });
    const forget = (): boolean => this.watches.removePersistent(path, recursive, listener);
    stream = new WatchStream(registered, () => {
      this.streams.delete(stream!);
      forget();
      this.dropServerWatch(path);
    });
    this.streams.set(stream, forget);
    registered.catch(() => this.streams.delete(stream!));
    return stream;
  }

  /** Removes the server's watches of a path the client no longer watches at all (best effort). */
  private dropServerWatch(path: string): void {
    if (this.watches.watches(path)) return;
    const state = this.session.state;
    if (state !== 'connected' && state !== 'connectedReadOnly') return;
    this.call(Ops.removeWatches, { path: this.chrootMap.toServer(path), type: WatcherType.any }, path, () => undefined).catch(
      () => {},
    );
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
    return this.guard(path, 'removeWatches', () => {
      if (!Object.hasOwn(WatcherType, type)) throw new BadArgumentsError(`unknown watcher type ${String(type)}`, { op: 'removeWatches', path });
      const listener = options.listener;
      if (!this.watches.has(path, type, listener)) {
        return Promise.reject(new NoWatcherError(undefined, { op: 'removeWatches', path }));
      }
      const removeHere = (): void => this.deliverRemoved(path, this.watches.remove(path, type, listener));
      // Removing one listener while others of that kind stay is a local change: the server keeps watching for them.
      const othersRemain = listener !== undefined && this.watches.hasOther(path, type, listener);
      if (options.local === true || othersRemain) {
        removeHere();
        return Promise.resolve();
      }
      let reinstated: Promise<void> | undefined;
      return this.call(
        Ops.removeWatches,
        { path: this.chrootMap.toServer(path), type: WatcherType[type] },
        path,
        () => undefined,
        {
          onReply: (err) => {
            if (err !== 0) return;
            removeHere();
            if (type !== 'any') reinstated = this.reinstatePersistent(path);
          },
        },
      ).then(() => reinstated);
    });
  }

  /**
   * ZooKeeper keeps one watch per path and session: removing its data (or
   * child) watches also removes a persistent watch on the same path. Ask
   * for the persistent watches the client still has there again; the
   * request follows the removal, so no event falls in between.
   */
  private reinstatePersistent(path: string): Promise<void> | undefined {
    const requests: Promise<void>[] = [];
    for (const mode of ['persistent', 'persistentRecursive'] as const) {
      if (!this.watches.hasKind(path, mode)) continue;
      const body = { path: this.chrootMap.toServer(path), mode: AddWatchMode[mode] };
      requests.push(this.call(Ops.addWatch, body, path, () => undefined).catch(() => {}));
    }
    return requests.length === 0 ? undefined : Promise.all(requests).then(() => undefined);
  }

  /** Resolves when the server holds a watch of that kind on the path for this session, else rejects with NoWatcherError. */
  checkWatches(path: string, type: WatcherKind): Promise<void> {
    return this.guard(path, 'checkWatches', () => {
      if (!Object.hasOwn(WatcherType, type)) throw new BadArgumentsError(`unknown watcher type ${String(type)}`, { op: 'checkWatches', path });
      return this.call(Ops.checkWatches, { path: this.chrootMap.toServer(path), type: WatcherType[type] }, path, () => undefined);
    });
  }

  private deliverRemoved(path: string, removed: RemovedWatch[]): void {
    if (removed.length === 0) return;
    queueMicrotask(() => {
      for (const r of removed) callListener(r.listener, { type: removalEventType(r.kind), path });
    });
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
    const generic = op as unknown as Op<RequestOf<O>, ResponseOf<O>>;
    return new Promise((resolve, reject) => {
      this.session.submit(
        rawRequest(generic, body, this.clock.now(), {
          complete: (header, response) =>
            resolve(header.err === 0 ? { header, response: response as ResponseOf<O> } : { header }),
          fail: reject,
        }),
      );
    });
  }

  // ---- plumbing ----------------------------------------------------------------------

  /** Sends one typed request; `map` turns the reply body into the result (a throw rejects). */
  private call<Req, Res, T>(
    op: Op<Req, Res>,
    body: Req,
    path: string | undefined,
    map: (response: Res, header: ReplyHeader) => T,
    hooks?: ReplyHooks<T>,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.session.submit(new OpRequest(op, body, path, map, hooks, resolve, reject, this.clock.now()));
    });
  }

  /** Validates the path, then runs `send`; any synchronous throw becomes a rejection. */
  private guard<T>(path: string, opName: string, send: () => Promise<T>): Promise<T> {
    try {
      this.checkPath(path, opName);
      return send();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private checkPath(path: string, opName: string, sequential = false): void {
    const error = this.pathError(path, opName, sequential);
    if (error !== undefined) throw error;
  }

  private pathError(path: string, opName: string, sequential = false): BadArgumentsError | undefined {
    const reason = typeof path === 'string' ? invalidPathReason(path, sequential) : 'path must be a string';
    return reason === undefined ? undefined : new BadArgumentsError(`invalid path: ${reason}`, { op: opName, path: String(path) });
  }

  private onStateChanged(change: StateChange): void {
    const to = change.to;
    if (to === 'closed') {
      this.watches.clear();
      this.endStreams(undefined);
    } else if (to === 'expired' || to === 'authFailed') {
      // The session's watches will never fire. Those that asked for resync
      // markers are added again on the next session; a stream only when
      // the client starts that session by itself.
      this.watches.endSession();
      if (to === 'authFailed' || !this.reconnectOnExpiry) this.endStreams(change.reason);
    }
    queueMicrotask(() => this.emit(to, change));
  }

  /** Ends every stream and forgets its watch (`error`: why the session ended; none when closed). */
  private endStreams(error: HerdError | undefined): void {
    const streams = [...this.streams];
    this.streams.clear();
    for (const [stream, forget] of streams) {
      forget();
      stream.end(error);
    }
  }

  /** Tells the listeners that asked for it that changes may have been missed. */
  private deliverResync(targets: readonly ResyncTarget[], reason: ResyncReason): void {
    queueMicrotask(() => {
      for (const { path, listener } of targets) {
        // Removed while the setWatches requests were in flight: nothing to tell.
        if (this.watches.has(path, 'any', listener)) callListener(listener, { type: 'resync', reason, path });
      }
    });
  }

  private onNotification(raw: WatcherEvent): void {
    if (this.listenerCount('notification') > 0) queueMicrotask(() => this.emit('notification', raw));
    const type = watchEventType(raw.type);
    if (type === undefined) return;
    const path = this.chrootMap.toClient(raw.path);
    const listeners = this.watches.trigger(type, path);
    if (listeners.length === 0) return;
    const event: WatchEvent = { type, path };
    queueMicrotask(() => {
      for (const l of listeners) callListener(l, event);
    });
  }

  /**
   * The setWatches requests of a new connection. Once the server has
   * answered them all, the persistent watches are in place again: then
   * (and only then, so that a re-read it prompts cannot miss a change) the
   * listeners that asked for it get their resync marker. A connection lost
   * before that gives none; the next one does.
   */
  private restoreWatches(relativeZxid: bigint): PendingRequest[] {
    const sessionId = this.session.sessionId;
    const reason: ResyncReason = sessionId === this.watchSession ? 'reconnected' : 'newSession';
    const targets = this.watches.resyncTargets();
    if (targets.length === 0) this.watchSession = sessionId;
    if (this.watches.isEmpty) return [];
    let outstanding = 0;
    const restored = (): void => {
      if (--outstanding > 0 || targets.length === 0) return;
      this.watchSession = sessionId;
      this.deliverResync(targets, reason);
    };
    const all = this.watches.paths();
    const persistent = this.watches.hasPersistent;
    const toServer = (p: string): string => this.chrootMap.toServer(p);
    const lists = [
      all.dataWatches.map(toServer),
      all.existWatches.map(toServer),
      all.childWatches.map(toServer),
      all.persistentWatches.map(toServer),
      all.persistentRecursiveWatches.map(toServer),
    ];
    const requests: PendingRequest[] = [];
    let batch: string[][] = [[], [], [], [], []];
    let bytes = 0;
    const flush = (): void => {
      const [dataWatches, existWatches, childWatches, persistentWatches, persistentRecursiveWatches] = batch as [
        string[], string[], string[], string[], string[],
      ];
      const base = { relativeZxid, dataWatches, existWatches, childWatches };
      const settle = { complete: restored, fail: () => {} };
      const now = this.clock.now();
      requests.push(
        persistent
          ? rawRequest(Ops.setWatches2, { ...base, persistentWatches, persistentRecursiveWatches }, now, settle)
          : rawRequest(Ops.setWatches, base, now, settle),
      );
      outstanding++;
      batch = [[], [], [], [], []];
      bytes = 0;
    };
    lists.forEach((list, kind) => {
      for (const p of list) {
        const len = Buffer.byteLength(p);
        if (bytes > 0 && bytes + len > SET_WATCHES_MAX_BYTES) flush();
        batch[kind]!.push(p);
        bytes += len;
      }
    });
    if (bytes > 0) flush();
    return requests;
  }
}

const EMPTY = Buffer.alloc(0);

/** getData's result: the data copied out of the socket chunk. Module-level, so no closure per call. */
function dataResult(r: GetDataResponse): { data: Buffer | null; stat: Stat } {
  return { data: copyData(r.data), stat: r.stat };
}

function identity<T>(v: T): T {
  return v;
}

/** Calls a user listener; a throw is rethrown on its own (an uncaught exception), never into the client. */
function callListener<E extends PersistentWatchEvent>(listener: (event: E) => void, event: E): void {
  try {
    listener(event);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

function transactionError(results: MultiResult[], failedIndex: number, paths: readonly string[]): TransactionError {
  const failed = results[failedIndex] as { type: 'error'; err: number };
  const outcomes: TransactionOpError[] = results.map((r, i) => {
    const errno = r.type === 'error' ? r.err : 0;
    return {
      type: 'error',
      errno,
      error: errno === 0 ? undefined : errorFromCode(errno, { op: 'multi', path: paths[i] }),
    };
  });
  const error = errorFromCode(failed.err, { op: 'multi', path: paths[failedIndex] });
  return Object.assign(error, { results: outcomes, failedIndex });
}
