/**
 * A storage node of the Herd log (BookKeeper's bookie): it stores segment
 * entries on local disk (src/log/storage), serves them over the node
 * protocol (src/log/protocol), and registers itself in the coordination
 * store (./registration.ts).
 *
 * ```ts
 * await using node = await startLogNode({ coordination: 'localhost:2181', dataDir: './log-node-1', port: 0 });
 * console.log(node.address, node.instanceId);
 * ```
 *
 * A request flows one way through four stages, wired in {@link startLogNode}
 * and nowhere else:
 *
 *   network (./connection.ts: socket -> frames)
 *   -> decode (./decode.ts: frame -> typed request, or a BAD_REQUEST /
 *      TOO_LARGE / UNSUPPORTED_VERSION reply)
 *   -> storage (./handlers.ts: request -> NodeStorage call; an add is
 *      answered after its fsync)
 *   -> reply (./reply.ts: outcome -> reply frame, written by the network
 *      stage once per tick).
 *
 * Beside serving, a node runs (options `auditor`, `gcInterval`) an auditor
 * candidate (src/log/repair/auditor.ts: one elected auditor re-replicates
 * the segments of lost nodes and applies retention) and a garbage
 * collector (src/log/retention/garbage-collector.ts: deletes local
 * segments whose records retention deleted).
 *
 * With `tls`, connections go through ./tls.ts first (the handshake, or an
 * error reply to a client that speaks the plain protocol).
 *
 * With `metricsPort`, it also serves Prometheus metrics at `GET /metrics`
 * (./metrics.ts): the connections report each request to its observer.
 *
 * Closing: the auditor candidate and the collector stop, then the
 * registration goes (writers stop picking this node), then the listener;
 * new requests are answered NODE_CLOSING, long polls (WAIT_CONFIRMED)
 * are answered at once with where the node is, other requests in progress
 * get up to `closeTimeout` ms to finish, then connections, the metrics listener and
 * storage close.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createClient, type Client } from '../../client/index.js';
import { NodeStorage } from '../storage/index.js';
import { PROTOCOL_VERSION } from '../protocol/frame.js';
import { NodeConnection } from './connection.js';
import { decodeStage } from './decode.js';
import { storageStage, type NodeStore } from './handlers.js';
import { publishedHost, resolveOptions, type LogNodeOptions } from './options.js';
import { NodeRegistration } from './registration.js';
import { startAuditor, type Auditor } from '../repair/auditor.js';
import { GarbageCollector, type GarbageCollectorStats } from '../retention/garbage-collector.js';
import { startNodeMetrics, type NodeMetrics } from './metrics.js';
import { ConfirmHints } from './confirm-hints.js';
import { clientTlsOf, tlsAcceptor } from './tls.js';

/** A node's garbage collector, as its handle shows it. */
export interface NodeGarbageCollector {
  /** Its counters as of now. */
  readonly stats: GarbageCollectorStats;
  /** Runs a pass now; resolves with the segment ids it deleted (a segment goes at its second pass without a record). */
  collect(): Promise<number[]>;
}

/** A running storage node: what {@link startLogNode} resolves to. */
export interface LogNodeHandle extends AsyncDisposable {
  /** The node's identity: kept in its data directory; a wiped directory gets a new one. */
  readonly instanceId: string;
  /** The published host (see `advertisedHost`). */
  readonly host: string;
  /** The port it listens on (the chosen one when `port` was 0). */
  readonly port: number;
  /** `host:port`: what a node client connects to. */
  readonly address: string;
  /** The instance id this node replaced at its address (its cookie named another one): that instance's data is not here. */
  readonly replacedInstanceId: string | undefined;
  /** The node's auditor candidate (its `stats` are the auditor's counters while it leads); undefined with `auditor: false`. */
  readonly auditor: Auditor | undefined;
  /** The node's garbage collector; undefined with `gcInterval: 0`. */
  readonly garbageCollector: NodeGarbageCollector | undefined;
  /** The port of the node's `GET /metrics` listener (the chosen one when `metricsPort` was 0); undefined without one. */
  readonly metricsPort: number | undefined;
  /** Deregisters, stops serving, and closes the storage. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a storage node: opens the storage in `dataDir`, listens, connects
 * to the coordination service and registers; resolves once it is
 * registered and serving. Throws BadArgumentsError for invalid options,
 * CookieMismatchError when the address's cookie names another instance and
 * this data directory holds segments (or the cookie cannot be read),
 * InstanceInUseError when this instance is registered by a live node at
 * another address, and whatever opening the storage, listening or
 * registering throws (the node is closed again first).
 */
export async function startLogNode(options: LogNodeOptions): Promise<LogNodeHandle> {
  const resolved = resolveOptions(options);
  const log = resolved.logger;
  const startedAt = Date.now();
  const storage = await NodeStorage.open({
    dataDir: options.dataDir,
    logger: log,
    ...(options.clock !== undefined ? { clock: options.clock } : {}),
    ...(options.fsync !== undefined ? { fsync: options.fsync } : {}),
    ...(options.maxBatchDelay !== undefined ? { maxBatchDelay: options.maxBatchDelay } : {}),
    ...(options.maxBatchBytes !== undefined ? { maxBatchBytes: options.maxBatchBytes } : {}),
    ...(options.maxEntrySize !== undefined ? { maxEntrySize: options.maxEntrySize } : {}),
  });
  const store: NodeStore = storage;
  let closing = false;
  const closingSignal = new AbortController();
  const connections = new Set<NodeConnection>();
  let auditor: Auditor | undefined;
  let metrics: NodeMetrics;
  try {
    // The auditor starts later (it needs the registered client); the gauge reads whichever runs when scraped.
    const underReplicated = resolved.auditor === undefined ? undefined : { underReplicatedSegments: () => auditor?.stats.underReplicatedSegments ?? 0 };
    metrics = await startNodeMetrics({ port: resolved.metricsPort, host: resolved.host }, { storage, connections, underReplicated });
  } catch (error) {
    await storage.close().catch(() => {});
    throw error;
  }

  // The pipeline: network -> decode -> storage -> reply.
  const execute = storageStage({
    storage: store,
    log,
    closing: closingSignal.signal,
    confirmed: new ConfirmHints(storage),
    info: () => {
      const stats = storage.stats();
      return { instanceId: storage.instanceId, protocolVersion: PROTOCOL_VERSION, startedAt, bytesStored: stats.bytesStored, segments: stats.segments };
    },
  });
  const decode = decodeStage({ maxFrameSize: resolved.maxFrameSize, closing: () => closing, next: execute });
  const accept = (socket: Socket): void => {
    const conn = new NodeConnection(socket, {
      maxFrameSize: resolved.maxFrameSize,
      maxInFlight: resolved.maxInFlight,
      frame: decode,
      closed: (c) => connections.delete(c),
      log,
      observer: metrics.observer,
    });
    connections.add(conn);
  };
  const server = createServer(resolved.tls === undefined ? accept : tlsAcceptor(resolved.tls, accept, log));

  let client: Client | undefined;
  let registration: NodeRegistration | undefined;
  let collector: GarbageCollector | undefined;
  const ownsClient = typeof options.coordination === 'string';
  const shutdown = async (): Promise<void> => {
    closing = true;
    closingSignal.abort();
    await auditor?.close().catch(() => {});
    await collector?.close();
    await registration?.close().catch(() => {});
    if (ownsClient) await client?.close().catch(() => {});
    // server.close() stops accepting at once but calls back only when every
    // connection has ended, which only the drain does: wait for it after.
    const stopped = new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
    await drain(connections, resolved.closeTimeout);
    await stopped;
    await metrics.close();
    await storage.close();
  };

  try {
    await listen(server, resolved.port, resolved.host);
    const port = (server.address() as { port: number }).port;
    const host = publishedHost(resolved);
    client =
      typeof options.coordination === 'string'
        ? createClient(options.coordination, { sessionTimeout: 10_000, reconnectOnExpiry: true, ...options.clientOptions })
        : options.coordination;
    if (client.state !== 'connected') await client.connect();
    const empty = storage.stats().segments === 0;
    const record = { instanceId: storage.instanceId, host, port, version: PROTOCOL_VERSION, startedAt, ...(resolved.tls !== undefined ? { tls: true } : {}) };
    registration = new NodeRegistration(client, record, empty, log);
    await registration.start();
    if (resolved.gcInterval > 0) {
      collector = new GarbageCollector(client, storage, resolved.gcInterval, log);
      collector.start();
    }
    // The auditor copies entries between nodes as their client: over TLS with this node's own key, cert and ca.
    const auditorTls = resolved.tls === undefined ? {} : { tls: clientTlsOf(resolved.tls) };
    if (resolved.auditor !== undefined) auditor = await startAuditor(client, { ...auditorTls, ...resolved.auditor, identifier: storage.instanceId, logger: log });
    let closed: Promise<void> | undefined;
    const close = (): Promise<void> => (closed ??= shutdown());
    return {
      instanceId: storage.instanceId,
      host,
      port,
      address: `${host}:${port}`,
      replacedInstanceId: registration.replaced,
      auditor,
      garbageCollector: collector,
      metricsPort: metrics.port,
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (error) {
    await shutdown().catch(() => {});
    throw error;
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Waits until every connection has answered what it was asked (at most
 * `timeout` ms), ends them, and gives them a moment to flush before they
 * are cut.
 */
async function drain(connections: ReadonlySet<NodeConnection>, timeout: number): Promise<void> {
  const all = [...connections];
  await within(timeout, Promise.all(all.map((c) => c.idle())));
  for (const conn of all) conn.end();
  await within(1000, Promise.all(all.map((c) => c.whenClosed())));
  for (const conn of all) conn.destroy();
}

/** Waits for `promise`, or `ms` milliseconds, whichever is first. */
async function within(ms: number, promise: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([promise, elapsed]);
  clearTimeout(timer);
}
