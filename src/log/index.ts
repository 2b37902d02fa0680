/**
 * `herd-zk/log`: a replicated, time-indexed log on storage nodes (issue 13;
 * BookKeeper's model): the storage node (with its `/metrics`), the client
 * that talks to one node, the log's writer and reader (`openLog`), a
 * reader that needs no writer (`readLog`), tailing subscriptions
 * (`Log.subscribe`, `subscribeLog`; an idle writer's explicit
 * last-add-confirmed wakes them), and the auditor (`startAuditor`:
 * re-replication of lost nodes' segments, retention). See docs/log.md.
 *
 * ```ts
 * import { startLogNode, connectLogNode, openLog } from 'herd-zk/log';
 * await using node = await startLogNode({ coordination: 'localhost:2181', dataDir: './log-node-1', port: 0 });
 * await using log = await openLog(client, 'app-events', { ensembleSize: 1, writeQuorum: 1, ackQuorum: 1 });
 * const position = await log.append(Buffer.from('hello'));
 * for await (const e of log.read({ from: new Date(Date.now() - 60_000) })) console.log(e.position, e.data);
 * await using c = await connectLogNode(node.address);
 * await c.addEntry({ segmentId: 1, entryId: 0, timestamp: Date.now(), lastAddConfirmed: -1, data: Buffer.from('hello') });
 * ```
 */
export { openLog } from './writer/log.js';
export type { AppendItem, AppendOptions, Log, LogEvents, ReadBound, ReadOptions } from './writer/log.js';
export type { OpenLogOptions } from './writer/options.js';
export { comparePositions } from './writer/position.js';
export type { LogPosition } from './writer/position.js';
export type { EnsembleChange } from './writer/segment-writer.js';
export type { LogRecord } from './reader/read-log.js';
export { readLog } from './reader/read-only.js';
export type { ReadLogOptions } from './reader/read-only.js';
export { subscribeLog } from './reader/subscribe.js';
export type { SubscribeFrom, SubscribeLogOptions, SubscribeOptions } from './reader/subscribe.js';
export { startLogNode } from './node/log-node.js';
export type { LogNodeHandle } from './node/log-node.js';
export { DEFAULT_LOG_NODE_PORT } from './node/options.js';
export type { LogNodeOptions } from './node/options.js';
export { connectLogNode } from './node/node-client.js';
export type { LogNodeClient, LogNodeClientOptions, RangeRead, ReadRangeBounds } from './node/node-client.js';
export { NodeAuthenticationError } from './node/tls.js';
export type { LogNodeTlsOptions, LogTlsOptions } from './node/tls.js';
export type { Pem, TlsServerOptions, TlsClientOptions } from '../base/tls.js';
export { COOKIES_PATH, LOG_ROOT, NODES_PATH } from './metadata/layout.js';
export { AUDITOR_PATH } from './metadata/layout.js';
export type { Retention } from './metadata/records.js';
export { startAuditor } from './repair/auditor.js';
export type { Auditor, AuditorEvents, AuditorOptions, AuditorStats } from './repair/auditor.js';
export type { RepairResult } from './repair/repair.js';
export type { RefillResult } from './repair/replicas-check.js';
export type { RecoveredResult } from './repair/abandoned.js';
export { setRetention } from './retention/retention.js';
export type { RetentionResult } from './retention/retention.js';
export { truncateLog } from './retention/truncate.js';
export type { TruncateLogOptions, TruncateResult } from './retention/truncate.js';
export type { GarbageCollectorStats } from './retention/garbage-collector.js';
export type { NodeGarbageCollector } from './node/log-node.js';
export type { NodeAuditorOptions } from './node/options.js';
export type { CookieRecord, NodeRecord } from './node/registration.js';
export { DEFAULT_MAX_FRAME_SIZE, PROTOCOL_VERSION } from './protocol/frame.js';
export type { LogEntry } from './protocol/messages/entry.js';
export type { EntryMaker, ReadRangeRequest } from './protocol/messages/read-range.js';
export type { FenceReply } from './protocol/messages/fence.js';
export type { LastEntryReply } from './protocol/messages/read-last-entry.js';
export type { WaitConfirmedReply } from './protocol/messages/wait-confirmed.js';
export type { InfoReply } from './protocol/messages/info.js';
export type { EntryRange } from './protocol/messages/held-entries.js';
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
  MetadataConflictError,
  NoEntryError,
  NodeClosingError,
  NodeDisconnectedError,
  NodeError,
  NoSuchLogError,
  NoSuchSegmentError,
  NotEnoughNodesError,
  SegmentFencedError,
  StorageFailedError,
  TimeoutError,
  UnsupportedVersionError,
  WriterFencedError,
} from './errors.js';
// Thrown by the writer after its session is lost, and by subscriptions as every wait does.
export { CancelledError, SessionExpiredError, SessionLostError } from '../errors.js';
