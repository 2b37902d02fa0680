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
