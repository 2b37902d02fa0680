import { BadArgumentsError, NoWatcherError, type HerdError } from '../errors.js';
import { AddWatchMode, WatcherType } from '../jute/enums.js';
import { ErrorCode } from '../jute/error-codes.js';
import { Ops } from '../jute/ops/index.js';
import type { Op } from '../jute/ops/op.js';
import type { ReplyHeader } from '../jute/records/headers.js';
import type { WatcherEvent } from '../jute/records/watcher-event.js';
import type { Chroot } from './chroot.js';
import type { Clock } from '../base/clock.js';
import type { ReplyHooks } from './op-request.js';
import { rawRequest, type PendingRequest } from './pending-requests.js';
import type { ClientState, StateChange } from './state.js';
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

/** Largest total path length per setWatches request, as ZooKeeper's client. */
const SET_WATCHES_MAX_BYTES = 128 * 1024;

/** Sends one typed request for the client (its `call`). */
export type Call = <Req, Res, T>(
  op: Op<Req, Res>,
  body: Req,
  path: string | undefined,
  map: (response: Res, header: ReplyHeader) => T,
  hooks?: ReplyHooks<T>,
) => Promise<T>;

/** What the watches need from the client. */
export interface WatchHost {
  readonly call: Call;
  readonly chroot: Chroot;
  readonly clock: Clock;
  readonly reconnectOnExpiry: boolean;
  state(): ClientState;
  sessionId(): bigint;
}

/**
 * The client's side of watches: the registry of listeners, the streams of
 * {@link Client.watch}, their removal on the server, their restoring after
 * a reconnect (setWatches) with resync markers, and the delivery of
 * notifications. The {@link Client} methods of the same names delegate here.
 */
export class ClientWatches {
  readonly registry = new WatchRegistry();
  /** Open streams, each with how to forget its watch here. */
  private readonly streams = new Map<WatchStream, () => void>();
  /** The session of the last resync markers (tells `reconnected` from `newSession`). */
  private watchSession = 0n;

  constructor(private readonly host: WatchHost) {}

  /** The reply hook of exists: which one-shot watch the reply set. */
  existsReplied(path: string, err: number, listener: WatchListener): void {
    if (err === 0) this.registry.add('data', path, listener);
    else if (err === ErrorCode.NONODE) this.registry.add('exist', path, listener);
  }

  /** The reply hook of addWatch: the server has the persistent watch. */
  addWatchReplied(path: string, mode: PersistentWatchKind, listener: WatchListener | PersistentWatchListener, resync: boolean, err: number): void {
    if (err !== 0) return;
    // The overloads only accept `resync: true` with a listener that takes the markers.
    if (resync) this.registry.addResync(mode, path, listener as PersistentWatchListener);
    else this.registry.add(mode, path, listener);
  }

  /** {@link Client.watch}: `addWatch` asks the server for the watch. */
  stream(path: string, recursive: boolean, addWatch: (listener: PersistentWatchListener) => Promise<void>): WatchStream {
    let stream: WatchStream | undefined;
    const listener: PersistentWatchListener = (event) => stream?.push(event);
    const registered = addWatch(listener);
    const forget = (): boolean => this.registry.removePersistent(path, recursive, listener);
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
    if (this.registry.watches(path)) return;
    const state = this.host.state();
    if (state !== 'connected' && state !== 'connectedReadOnly') return;
    const body = { path: this.host.chroot.toServer(path), type: WatcherType.any };
    this.host.call(Ops.removeWatches, body, path, () => undefined).catch(() => {});
  }

  /** {@link Client.removeWatches}, the path already checked. */
  remove(path: string, type: WatcherKind, local: boolean, listener: WatchListener | undefined): Promise<void> {
    if (!Object.hasOwn(WatcherType, type)) throw new BadArgumentsError(`unknown watcher type ${String(type)}`, { op: 'removeWatches', path });
    if (!this.registry.has(path, type, listener)) {
      return Promise.reject(new NoWatcherError(undefined, { op: 'removeWatches', path }));
    }
    const removeHere = (): void => this.deliverRemoved(path, this.registry.remove(path, type, listener));
    // Removing one listener while others of that kind stay is a local change: the server keeps watching for them.
    const othersRemain = listener !== undefined && this.registry.hasOther(path, type, listener);
    if (local || othersRemain) {
      removeHere();
      return Promise.resolve();
    }
    let reinstated: Promise<void> | undefined;
    return this.host
      .call(Ops.removeWatches, { path: this.host.chroot.toServer(path), type: WatcherType[type] }, path, () => undefined, {
        onReply: (err) => {
          if (err !== 0) return;
          removeHere();
          if (type !== 'any') reinstated = this.reinstatePersistent(path);
        },
      })
      .then(() => reinstated);
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
      if (!this.registry.hasKind(path, mode)) continue;
      const body = { path: this.host.chroot.toServer(path), mode: AddWatchMode[mode] };
      requests.push(this.host.call(Ops.addWatch, body, path, () => undefined).catch(() => {}));
    }
    return requests.length === 0 ? undefined : Promise.all(requests).then(() => undefined);
  }

  private deliverRemoved(path: string, removed: RemovedWatch[]): void {
    if (removed.length === 0) return;
    queueMicrotask(() => {
      for (const r of removed) callListener(r.listener, { type: removalEventType(r.kind), path });
    });
  }

  /** The client's state changed: a closed client or an ended session ends watches and streams. */
  stateChanged(change: StateChange): void {
    const to = change.to;
    if (to === 'closed') {
      this.registry.clear();
      this.endStreams(undefined);
    } else if (to === 'expired' || to === 'authFailed') {
      // The session's watches will never fire. Those that asked for resync
      // markers are added again on the next session; a stream only when
      // the client starts that session by itself.
      this.registry.endSession();
      if (to === 'authFailed' || !this.host.reconnectOnExpiry) this.endStreams(change.reason);
    }
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
        if (this.registry.has(path, 'any', listener)) callListener(listener, { type: 'resync', reason, path });
      }
    });
  }

  /** A notification arrived: the listeners it triggers are called (in a microtask). */
  notify(raw: WatcherEvent): void {
    const type = watchEventType(raw.type);
    if (type === undefined) return;
    const path = this.host.chroot.toClient(raw.path);
    const listeners = this.registry.trigger(type, path);
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
  restore(relativeZxid: bigint): PendingRequest[] {
    const sessionId = this.host.sessionId();
    const reason: ResyncReason = sessionId === this.watchSession ? 'reconnected' : 'newSession';
    const targets = this.registry.resyncTargets();
    if (targets.length === 0) this.watchSession = sessionId;
    if (this.registry.isEmpty) return [];
    let outstanding = 0;
    const restored = (): void => {
      if (--outstanding > 0 || targets.length === 0) return;
      this.watchSession = sessionId;
      this.deliverResync(targets, reason);
    };
    const all = this.registry.paths();
    const persistent = this.registry.hasPersistent;
    const toServer = (p: string): string => this.host.chroot.toServer(p);
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
      const now = this.host.clock.now();
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
