import { EventType } from '../jute/enums.js';

/** What happened to a watched node. */
export type WatchEventType =
  | 'nodeCreated'
  | 'nodeDeleted'
  | 'nodeDataChanged'
  | 'nodeChildrenChanged'
  | 'dataWatchRemoved'
  | 'childWatchRemoved'
  | 'persistentWatchRemoved';

/** A watch notification, with the path as the client sees it (chroot stripped). */
export interface WatchEvent {
  readonly type: WatchEventType;
  readonly path: string;
}

/** Receives watch events. */
export type WatchListener = (event: WatchEvent) => void;

/**
 * Why a persistent watch is told to re-read: `reconnected` (same session,
 * new connection) or `newSession` (the old session ended and the watch was
 * added again on a new one).
 */
export type ResyncReason = 'reconnected' | 'newSession';

/**
 * The marker a persistent watch receives (from {@link Client.watch}, or
 * from {@link Client.addWatch} with `resync: true`) once the client is
 * connected again after a reconnect or with a new session, and the watch
 * is in place again on the server. ZooKeeper replays nothing for
 * persistent watches: changes made in between were not and will not be
 * delivered, so read the watched state again. Every later change arrives
 * as an event.
 */
export interface ResyncEvent {
  /** Always `'resync'`: tells the marker apart from node events. */
  readonly type: 'resync';
  /** A reconnect within the session, or a new session. */
  readonly reason: ResyncReason;
  /** The watched path (the root of a recursive watch), chroot stripped. */
  readonly path: string;
}

/** What a persistent watch that asked for resync markers receives: a node event or a {@link ResyncEvent}. */
export type PersistentWatchEvent = WatchEvent | ResyncEvent;

/** Receives the events of a persistent watch, resync markers included. */
export type PersistentWatchListener = (event: PersistentWatchEvent) => void;

const byCode = new Map<number, WatchEventType>([
  [EventType.nodeCreated, 'nodeCreated'],
  [EventType.nodeDeleted, 'nodeDeleted'],
  [EventType.nodeDataChanged, 'nodeDataChanged'],
  [EventType.nodeChildrenChanged, 'nodeChildrenChanged'],
  [EventType.dataWatchRemoved, 'dataWatchRemoved'],
  [EventType.childWatchRemoved, 'childWatchRemoved'],
  [EventType.persistentWatchRemoved, 'persistentWatchRemoved'],
]);

/** The event type for a WatcherEvent.type code, or undefined for codes that are not node events. */
export function watchEventType(code: number): WatchEventType | undefined {
  return byCode.get(code);
}
