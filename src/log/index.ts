/**
 * `herd-zk/log`: a replicated, time-indexed log on storage nodes (issue 13;
 * BookKeeper's model). What exists so far is the storage node and the
 * client that talks to one node; the log's writer and readers (`openLog`),
 * the auditor and retention are to come. See docs/log.md.
 *
 * ```ts
 * import { startLogNode, connectLogNode } from 'herd-zk/log';
 * await using node = await startLogNode({ coordination: 'localhost:2181', dataDir: './log-node-1', port: 0 });
 * await using c = await connectLogNode(node.address);
 * await c.addEntry({ segmentId: 1, entryId: 0, timestamp: Date.now(), lastAddConfirmed: -1, data: Buffer.from('hello') });
 * ```
 */
export { startLogNode } from './node/log-node.js';
export type { LogNodeHandle } from './node/log-node.js';
export { DEFAULT_LOG_NODE_PORT } from './node/options.js';
export type { LogNodeOptions } from './node/options.js';
export { connectLogNode } from './node/node-client.js';
export type { LogNodeClient, LogNodeClientOptions, ReadRangeBounds } from './node/node-client.js';
export { COOKIES_PATH, LOG_ROOT, NODES_PATH } from './node/registration.js';
export type { CookieRecord, NodeRecord } from './node/registration.js';
export { DEFAULT_MAX_FRAME_SIZE, PROTOCOL_VERSION } from './protocol/frame.js';
export type { LogEntry } from './protocol/messages/entry.js';
export type { FenceReply } from './protocol/messages/fence.js';
export type { LastEntryReply } from './protocol/messages/read-last-entry.js';
export type { InfoReply } from './protocol/messages/info.js';
export {
  BadArgumentsError,
  BadRequestError,
  ClientClosedError,
  CookieMismatchError,
  CorruptEntryError,
  CorruptStorageError,
  DiskFullError,
  EntryConflictError,
  FrameTooLargeError,
  HerdError,
  InstanceInUseError,
  InvalidStateError,
  LogProtocolError,
  NoEntryError,
  NodeClosingError,
  NodeDisconnectedError,
  NodeError,
  SegmentFencedError,
  StorageFailedError,
  TimeoutError,
  UnsupportedVersionError,
} from './errors.js';
