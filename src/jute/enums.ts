/** Create modes as sent in CreateRequest.flags (CreateMode.java). */
export const CreateMode = {
  persistent: 0,
  ephemeral: 1,
  persistentSequential: 2,
  ephemeralSequential: 3,
  container: 4,
  persistentWithTTL: 5,
  persistentSequentialWithTTL: 6,
} as const;
export type CreateModeValue = (typeof CreateMode)[keyof typeof CreateMode];

/** ACL permission bits (ZooDefs.Perms). */
export const Perms = {
  read: 1,
  write: 2,
  create: 4,
  delete: 8,
  admin: 16,
  all: 31,
} as const;

/** Watch event types (Watcher.Event.EventType). */
export const EventType = {
  none: -1,
  nodeCreated: 1,
  nodeDeleted: 2,
  nodeDataChanged: 3,
  nodeChildrenChanged: 4,
  dataWatchRemoved: 5,
  childWatchRemoved: 6,
  persistentWatchRemoved: 7,
} as const;
export type EventTypeValue = (typeof EventType)[keyof typeof EventType];

/** Session states carried in WatcherEvent.state (Watcher.Event.KeeperState). */
export const KeeperState = {
  unknown: -1,
  disconnected: 0,
  noSyncConnected: 1,
  syncConnected: 3,
  authFailed: 4,
  connectedReadOnly: 5,
  saslAuthenticated: 6,
  expired: -112,
  closed: 7,
} as const;

/** AddWatchRequest.mode. */
export const AddWatchMode = {
  persistent: 0,
  persistentRecursive: 1,
} as const;
export type AddWatchModeValue = (typeof AddWatchMode)[keyof typeof AddWatchMode];

/** CheckWatchesRequest / RemoveWatchesRequest type (Watcher.WatcherType). */
export const WatcherType = {
  children: 1,
  data: 2,
  any: 3,
} as const;
export type WatcherTypeValue = (typeof WatcherType)[keyof typeof WatcherType];
