import { OpCode } from '../../jute/op-codes.js';
import type { ServerConnection } from '../connection.js';

/**
 * The server's counters and latency figures, as ZooKeeper's ServerStats and
 * ServerCnxn keep them: packets in and out, request latency (min/avg/max, in
 * ms, reset by `srst`), per-connection figures for `cons` (reset by `crst`),
 * read and update latency summaries and fsync times for `mntr`, and per-op
 * latency for Prometheus.
 *
 * Latency runs from the request's arrival to the moment its reply may go
 * out, so for a write it includes the fsync that makes it durable, as in
 * ZooKeeper (whose FinalRequestProcessor runs after the sync stage). A reply
 * waiting for the log is queued here with its barrier zxid and counted when
 * {@link ServerMetrics.durable} reaches it; barriers only grow, so one FIFO
 * serves every connection.
 *
 * The frames of one socket read arrive together and the replies they get at
 * once go out together, at the flush after the read: so such a batch is
 * timed once, from its start ({@link ServerMetrics.beginBatch}) to its end
 * ({@link ServerMetrics.endBatch}), and its replies are counted then, each
 * with that latency (per request, those were two clock reads, a WeakMap
 * lookup and a handful of stores, a visible share of a pipelined read).
 *
 * Hot path: {@link ServerMetrics.replied} does a few additions, and for a
 * reply that must wait for the log, one small object.
 */

/** A running count, total, min and max, as ZooKeeper's AvgMinMaxCounter. */
export class AvgMinMax {
  count = 0;
  total = 0;
  min = Infinity;
  max = -Infinity;

  add(value: number): void {
    this.count++;
    this.total += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  /** {@link add} of the same value `n` times. */
  addMany(value: number, n: number): void {
    if (n <= 0) return;
    this.count += n;
    this.total += value * n;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  /** Mean rounded half up to 4 decimals (ZooKeeper's getAvg); 0 when empty. */
  get avg(): number {
    return this.count === 0 ? 0 : Math.round((this.total / this.count) * 10_000) / 10_000;
  }

  /** Whole ms as ZooKeeper reports them (it measures in whole ms); 0 when empty. */
  get minMs(): number {
    return this.count === 0 ? 0 : Math.round(this.min);
  }

  get maxMs(): number {
    return this.count === 0 ? 0 : Math.round(this.max);
  }

  reset(): void {
    this.count = 0;
    this.total = 0;
    this.min = Infinity;
    this.max = -Infinity;
  }
}

/** AvgMinMax plus a reservoir of the latest samples for percentiles (ZooKeeper's AvgMinMaxPercentileCounter). */
export class LatencySummary extends AvgMinMax {
  private readonly samples = new Float64Array(1024);
  private next = 0;

  override add(value: number): void {
    super.add(value);
    this.samples[this.next++ & 1023] = value;
  }

  override addMany(value: number, n: number): void {
    super.addMany(value, n);
    for (let i = Math.min(n, 1024); i > 0; i--) this.samples[this.next++ & 1023] = value;
  }

  /** The q-quantile (0..1) of the latest (up to 1024) samples; 0 when empty. */
  quantile(q: number): number {
    const n = Math.min(this.count, 1024);
    if (n === 0) return 0;
    const sorted = this.samples.slice(0, n).sort();
    return sorted[Math.min(n - 1, Math.floor(q * n))]!;
  }

  override reset(): void {
    super.reset();
    this.next = 0;
  }
}

/** ZooKeeper's `lop` names (FinalRequestProcessor), by op code; "NA" before the first request. */
const LAST_OP: Record<number, string> = {
  [OpCode.ping]: 'PING',
  [OpCode.createSession]: 'SESS',
  [OpCode.multi]: 'MULT',
  [OpCode.multiRead]: 'MLTR',
  [OpCode.create]: 'CREA',
  [OpCode.create2]: 'CREA',
  [OpCode.createTTL]: 'CREA',
  [OpCode.createContainer]: 'CREA',
  [OpCode.delete]: 'DELE',
  [OpCode.deleteContainer]: 'DELE',
  [OpCode.setData]: 'SETD',
  [OpCode.reconfig]: 'RECO',
  [OpCode.setACL]: 'SETA',
  [OpCode.closeSession]: 'CLOS',
  [OpCode.sync]: 'SYNC',
  [OpCode.check]: 'CHEC',
  [OpCode.exists]: 'EXIS',
  [OpCode.getData]: 'GETD',
  [OpCode.setWatches]: 'SETW',
  [OpCode.setWatches2]: 'STW2',
  [OpCode.addWatch]: 'ADDW',
  [OpCode.getACL]: 'GETA',
  [OpCode.getChildren]: 'GETC',
  [OpCode.getChildren2]: 'GETC',
  [OpCode.getAllChildrenNumber]: 'GETACN',
  [OpCode.checkWatches]: 'CHKW',
  [OpCode.removeWatches]: 'REMW',
  [OpCode.whoAmI]: 'HOMI',
  [OpCode.getEphemerals]: 'GETE',
};

const OP_NAME = new Map<number, string>(Object.entries(OpCode).map(([name, code]) => [code, name]));

/** The op's name for metric labels ("getData", "create2", ...), or "unknown". */
export function opName(type: number): string {
  return OP_NAME.get(type) ?? 'unknown';
}

/**
 * The part of the handler table (handlers/index.ts) metrics read: whether
 * each op is a read or a write. Passed in by the server rather than imported,
 * as the handlers report into these metrics.
 */
export type HandlerKinds = { readonly [name: string]: { readonly kind: 'read' | 'write' } | undefined };

/**
 * The txns the server makes itself, which no handler serves, but which
 * ZooKeeper counts as updates: a session's creation (the handshake's reply)
 * and a container's deletion (a client sending deleteContainer is answered
 * UNIMPLEMENTED and still counted as an update, as before).
 */
const SERVER_TXNS: readonly number[] = [OpCode.createSession, OpCode.deleteContainer];

/** Ops that change the tree (ZooKeeper counts them as update latency; everything else is a read): the handler table's writes. */
function updateOps(handlers: HandlerKinds): Set<number> {
  const updates = new Set<number>(SERVER_TXNS);
  for (const [name, handler] of Object.entries(handlers)) {
    if (handler?.kind === 'write' && Object.hasOwn(OpCode, name)) updates.add(OpCode[name as keyof typeof OpCode]);
  }
  return updates;
}

/** What `cons` shows per connection beyond its packet counts (ServerCnxn's stats). */
export class ConnectionStats {
  lastOp = 'NA';
  lastCxid = -1;
  lastZxid = -1n;
  /** Monotonic ms (ZooKeeper prints its elapsed-time clock here). */
  lastResponseTime = 0;
  lastLatency = 0;
  readonly latency = new AvgMinMax();

  reset(): void {
    this.lastOp = 'NA';
    this.lastCxid = -1;
    this.lastZxid = -1n;
    this.lastResponseTime = 0;
    this.lastLatency = 0;
    this.latency.reset();
  }
}

/** Receives each finished request, e.g. the Prometheus histograms. */
export type LatencyObserver = (type: number, ms: number) => void;

interface PendingReply {
  barrier: bigint;
  conn: ServerConnection;
  type: number;
  xid: number;
  zxid: bigint;
  started: number;
}

/**
 * The server's counters (see the module comment). `handlers` is the handler
 * table, from which the update ops are read.
 */
export class ServerMetrics {
  packetsReceived = 0;
  packetsSent = 0;
  authFailed = 0;
  readonly startedAt = Date.now();
  /** All requests: srvr's "Latency min/avg/max". */
  readonly latency = new AvgMinMax();
  readonly readLatency = new LatencySummary();
  readonly updateLatency = new LatencySummary();
  readonly fsyncTime = new LatencySummary();
  /** Socket bytes of connections already closed; live ones are read from their sockets. */
  closedBytesReceived = 0;
  closedBytesSent = 0;
  /** Prometheus (or any other) per-request hook; set by whoever exports them. */
  onLatency: LatencyObserver | null = null;
  onFsync: ((ms: number) => void) | null = null;

  private readonly connStats = new WeakMap<ServerConnection, ConnectionStats>();
  private readonly updates: Set<number>;
  private pending: PendingReply[] = [];
  private pendingHead = 0;
  /** The open batch (see the module comment): its connection, start, and the replies gathered so far. */
  private batchConn: ServerConnection | null = null;
  private batchStarted = 0;
  private batchReads = 0;
  private batchUpdates = 0;
  private batchXid = -1;
  private batchZxid = 0n;
  private batchOp: string | undefined = undefined;
  /** The gathered replies' op codes, for {@link onLatency} only. */
  private readonly batchTypes: number[] = [];

  constructor(handlers: HandlerKinds) {
    this.updates = updateOps(handlers);
  }

  /** The `cons` figures of a connection (created on first use). */
  connection(conn: ServerConnection): ConnectionStats {
    let stats = this.connStats.get(conn);
    if (stats === undefined) {
      stats = new ConnectionStats();
      this.connStats.set(conn, stats);
    }
    return stats;
  }

  /**
   * A reply was queued for a request that arrived at `started`
   * (performance.now()); `durable` says whether it may go out now or waits
   * for the log to reach `barrier`.
   */
  replied(conn: ServerConnection, type: number, xid: number, zxid: bigint, started: number, barrier: bigint, durable: boolean): void {
    this.packetsSent++;
    if (!durable) this.pending.push({ barrier, conn, type, xid, zxid, started });
    else if (conn === this.batchConn && started === this.batchStarted) this.gather(type, xid, zxid);
    else {
      this.settleBatch();
      this.finish(conn, type, xid, zxid, started, performance.now());
    }
  }

  /**
   * A socket read of `conn` starts: its requests arrived now. Returns that
   * time (performance.now()), the start of their latency; a reply that may go
   * out at once and started then is counted at {@link endBatch}.
   */
  beginBatch(conn: ServerConnection): number {
    this.endBatch();
    this.batchConn = conn;
    this.batchStarted = performance.now();
    return this.batchStarted;
  }

  /** The read {@link beginBatch} started is handled: its replies go out at the next flush, so their latency ends now. */
  endBatch(): void {
    this.settleBatch();
    this.batchConn = null;
  }

  private gather(type: number, xid: number, zxid: bigint): void {
    if (this.updates.has(type)) this.batchUpdates++;
    else this.batchReads++;
    // Like ZooKeeper, special xids (ping, auth) do not overwrite the last cxid.
    if (xid >= 0) this.batchXid = xid;
    this.batchZxid = zxid;
    this.batchOp = LAST_OP[type] ?? this.batchOp;
    if (this.onLatency !== null) this.batchTypes.push(type);
  }

  /** Counts the replies gathered so far, before any other reply is counted, so each connection's last op stays in order. */
  private settleBatch(): void {
    const conn = this.batchConn;
    const n = this.batchReads + this.batchUpdates;
    if (conn === null || n === 0) return;
    const now = performance.now();
    const ms = now - this.batchStarted;
    this.latency.addMany(ms, n);
    this.readLatency.addMany(ms, this.batchReads);
    this.updateLatency.addMany(ms, this.batchUpdates);
    const c = this.connection(conn);
    if (this.batchXid >= 0) c.lastCxid = this.batchXid;
    c.lastZxid = this.batchZxid;
    if (this.batchOp !== undefined) c.lastOp = this.batchOp;
    c.lastResponseTime = Math.round(now);
    c.lastLatency = Math.round(ms);
    c.latency.addMany(ms, n);
    const observe = this.onLatency;
    if (observe !== null) for (const type of this.batchTypes) observe(type, ms);
    this.batchTypes.length = 0;
    this.batchReads = 0;
    this.batchUpdates = 0;
    this.batchXid = -1;
    this.batchOp = undefined;
  }

  /** The log made everything up to `zxid` durable: replies waiting for it are done. */
  durable(zxid: bigint): void {
    this.settleBatch();
    const pending = this.pending;
    let i = this.pendingHead;
    if (i >= pending.length) return;
    const now = performance.now();
    while (i < pending.length && pending[i]!.barrier <= zxid) {
      const p = pending[i++]!;
      this.finish(p.conn, p.type, p.xid, p.zxid, p.started, now);
    }
    if (i === pending.length) {
      this.pending = [];
      this.pendingHead = 0;
    } else {
      this.pendingHead = i;
      if (i > 1024 && i * 2 > pending.length) {
        this.pending = pending.slice(i);
        this.pendingHead = 0;
      }
    }
  }

  private finish(conn: ServerConnection, type: number, xid: number, zxid: bigint, started: number, now: number): void {
    const ms = now - started;
    this.latency.add(ms);
    if (this.updates.has(type)) this.updateLatency.add(ms);
    else this.readLatency.add(ms);
    const c = this.connection(conn);
    // Like ZooKeeper, special xids (ping, auth) do not overwrite the last cxid.
    if (xid >= 0) c.lastCxid = xid;
    c.lastZxid = zxid;
    c.lastOp = LAST_OP[type] ?? c.lastOp;
    c.lastResponseTime = Math.round(now);
    c.lastLatency = Math.round(ms);
    c.latency.add(ms);
    this.onLatency?.(type, ms);
  }

  fsync(ms: number): void {
    this.fsyncTime.add(ms);
    this.onFsync?.(ms);
  }

  connectionClosed(conn: ServerConnection): void {
    this.closedBytesReceived += conn.socket.bytesRead;
    this.closedBytesSent += conn.socket.bytesWritten;
  }

  /** `srst`: ServerStats.reset (latency and packet counters). */
  reset(): void {
    this.latency.reset();
    this.readLatency.reset();
    this.updateLatency.reset();
    this.fsyncTime.reset();
    this.packetsReceived = 0;
    this.packetsSent = 0;
  }

  /** `crst`: every connection's counters and latency. */
  resetConnection(conn: ServerConnection): void {
    conn.received = 0;
    conn.sent = 0;
    this.connStats.get(conn)?.reset();
  }
}
