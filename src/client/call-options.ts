import type { ReplyHeader } from '../jute/records/headers.js';
import type { WatcherEvent } from '../jute/records/watcher-event.js';
import type { StateChange } from './state.js';
import type { WatchListener } from './watch-event.js';

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
