import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { AuthOptions } from './acl.js';
import { Admission } from './admission.js';
import { AdminServer } from './admin/admin-server.js';
import { DEFAULT_TRACE_MASK } from './admin/commands.js';
import { ServerMetrics } from './admin/server-metrics.js';
import type { ServerConnection } from './connection.js';
import { ContainerCollector } from './containers.js';
import { DataTree } from './data-tree.js';
import { FourLetterWords } from './four-letter-words.js';
import { handlers } from './handlers/index.js';
import { createLogger, type Logger } from './logger.js';
import { resolveOptions, type ResolvedServerOptions, type ServerOptions } from './options.js';
import { setupPipeline, type Pipeline } from './pipeline/index.js';
import type { ServerView } from './server-view.js';
import { SessionTracker, type Session } from './session-tracker.js';
import { ensureDataDir, loadSecret } from './storage/data-dir.js';
import { FileTxnLog } from './storage/file-txn-log.js';
import { recover } from './storage/recovery.js';
import { Snapshotter } from './storage/snapshotter.js';
import { MemoryTxnLog, type TxnLog } from './txn-log.js';
import { WatchManager } from './watch-manager.js';

/** What a server starts from: a recovered tree and sessions, and where to log. */
export interface ServerStorage {
  tree: DataTree;
  /** Live sessions and their timeouts. */
  sessions: ReadonlyMap<bigint, number>;
  txnLog: TxnLog;
  secret?: Buffer;
  snapshotter?: Snapshotter;
}

/**
 * Herd's coordination server: the small handle that wires its units and
 * starts and stops them. The units:
 * - admission (admission.ts): listening, per-IP limits, connections
 *   (connection.ts: framing, reply queues) and backpressure;
 * - the request pipeline (pipeline/index.ts: intake → decode → prepare →
 *   log → apply → reply), which also builds the session service
 *   (session-service.ts: handshake, expiry) around the session tracker;
 * - metrics (admin/server-metrics.ts), and the observers that read the
 *   server through {@link ServerView}: four-letter words, the admin HTTP
 *   server, Prometheus.
 * No request state lives here: each request is a record the pipeline passes
 * from stage to stage.
 */
export class HerdServer implements ServerView {
  readonly options: ResolvedServerOptions;
  readonly log: Logger;
  readonly tree: DataTree;
  readonly watches = new WatchManager();
  readonly sessions: SessionTracker;
  readonly startedAt = Date.now();
  /** Counters and latency for the four-letter words, the admin server and /metrics. */
  readonly metrics = new ServerMetrics(handlers);
  /** Provider settings for ACL checks: x509 exists when the secure port is configured. */
  readonly authOptions: AuthOptions;
  /**
   * ZooKeeper's trace mask (ZooTrace), read by `gtmk` and set by `stmk`.
   * Kept so tools that set and read it work; Herd's own logging is chosen by
   * the log level.
   */
  traceMask: bigint = DEFAULT_TRACE_MASK;
  private readonly txnLog: TxnLog;
  private readonly snapshotter: Snapshotter | null;
  private readonly pipeline: Pipeline;
  private readonly admission: Admission;
  private readonly containers: ContainerCollector;
  private admin: AdminServer | null = null;

  constructor(options: ServerOptions = {}, storage?: ServerStorage) {
    this.options = resolveOptions(options);
    this.log = options.logger ?? createLogger(options.logLevel ?? 'info');
    this.tree = storage?.tree ?? new DataTree();
    this.txnLog = storage?.txnLog ?? new MemoryTxnLog();
    this.snapshotter = storage?.snapshotter ?? null;
    if (this.txnLog instanceof FileTxnLog) this.txnLog.onFsync = (ms) => this.metrics.fsync(ms);
    this.sessions = new SessionTracker(this.options.tickTime, (s) => this.expire(s), storage?.secret);
    // Restored sessions get a full timeout from now to reconnect, as in ZooKeeper.
    for (const [id, timeout] of storage?.sessions ?? []) this.sessions.add(id, timeout);
    const tls = this.options.tls;
    this.authOptions = {
      ...(this.options.superDigest !== undefined ? { superDigest: this.options.superDigest } : {}),
      ...(tls !== undefined ? { x509: true } : {}),
      ...(tls?.superUser !== undefined ? { x509SuperUser: tls.superUser } : {}),
    };
    this.pipeline = setupPipeline({
      state: { tree: this.tree, watches: this.watches, metrics: this.metrics, settings: { extendedTypes: this.options.extendedTypes, auth: this.authOptions } },
      tracker: this.sessions,
      txnLog: this.txnLog,
      snapshotter: this.snapshotter,
      metrics: this.metrics,
      log: this.log,
      minSessionTimeout: this.options.minSessionTimeout,
      maxSessionTimeout: this.options.maxSessionTimeout,
      connections: () => this.admission.connections,
    });
    const words = new FourLetterWords(this);
    this.admission = new Admission({
      options: this.options,
      log: this.log,
      authOptions: this.authOptions,
      intake: this.pipeline.intake,
      fourLetterWord: (conn, word, after) => words.answer(conn, word, after),
      durableZxid: () => this.txnLog.durableZxid,
      onClosed: (conn) => {
        this.metrics.connectionClosed(conn);
        this.pipeline.sessions.detach(conn);
      },
    });
    this.containers = new ContainerCollector(this.tree, this.pipeline.zxids, this.pipeline.commit, this.options.containerCheckInterval);
  }

  /**
   * Opens a server: with a dataDir, recovers the tree and sessions from the
   * newest snapshot and the log, and logs durably from then on.
   */
  static async open(options: ServerOptions = {}): Promise<HerdServer> {
    const dir = options.dataDir;
    if (dir === undefined) return new HerdServer(options);
    const resolved = resolveOptions(options);
    const log = options.logger ?? createLogger(options.logLevel ?? 'info');
    await ensureDataDir(dir);
    const started = performance.now();
    const recovered = await recover(dir, log);
    const secret = await loadSecret(dir);
    let server: HerdServer | null = null;
    const txnLog = new FileTxnLog(
      {
        dir,
        forceSync: resolved.forceSync,
        preallocateBytes: resolved.preallocateBytes,
        maxFileSize: resolved.preallocateBytes,
        log,
        onFatal: (err) => server?.fatal(err),
      },
      recovered.tree.lastZxid,
    );
    await txnLog.resume(recovered.resume);
    const snapshotter = new Snapshotter(dir, resolved.snapCount, resolved.snapRetainCount, resolved.forceSync, txnLog, log);
    server = new HerdServer({ ...options, logger: log }, { ...recovered, txnLog, secret, snapshotter });
    log.info(
      {
        dataDir: dir,
        zxid: `0x${recovered.tree.lastZxid.toString(16)}`,
        nodes: recovered.tree.nodeCount - 1,
        sessions: recovered.sessions.size,
        txnsReplayed: recovered.txnsReplayed,
        ms: Math.round(performance.now() - started),
      },
      'data directory loaded',
    );
    return server;
  }

  /** The log cannot write: stop serving rather than acknowledge what may not be durable. */
  fatal(err: Error): void {
    this.log.error({ err: err.message }, 'transaction log failed; server stopping');
    void this.stopListening();
  }

  /** Writes a snapshot now (tests and operators). */
  async snapshot(): Promise<void> {
    await this.snapshotter?.snapshot(this.tree, this.sessions.snapshotEntries());
  }

  /** The client port (the one the system chose when the options said 0). */
  get port(): number {
    return this.admission.port;
  }

  /** The TLS client port, or undefined when none is configured. */
  get securePort(): number | undefined {
    return this.admission.securePort;
  }

  /** Requests received and not yet answered, all connections. */
  get outstandingRequests(): number {
    return this.admission.outstandingRequests;
  }

  /** Connections not reading now because of backpressure (server overloaded, or replies unread). */
  get throttledConnectionCount(): number {
    return this.admission.throttledConnectionCount;
  }

  /** The HTTP admin server's port, while it runs. */
  get adminPort(): number | undefined {
    return this.admin?.port;
  }

  /** Open client connections, both ports. */
  get connectionCount(): number {
    return this.admission.connections.size;
  }

  /** Every open client connection (for the admin commands and tests). */
  allConnections(): ReadonlySet<ServerConnection> {
    return this.admission.connections;
  }

  /** The highest zxid the log has made durable. */
  durableZxid(): bigint {
    return this.txnLog.durableZxid;
  }

  /** Listens on the client ports (and the admin port), and starts expiry and container collection. */
  async listen(): Promise<void> {
    await this.admission.listen();
    this.sessions.start();
    this.containers.start();
    const { adminPort, adminHost } = this.options;
    if (adminPort !== undefined) {
      try {
        this.admin = await AdminServer.start(this, adminPort, adminHost);
      } catch (err) {
        await this.stopListening();
        throw err;
      }
    }
    this.log.info(
      { port: this.port, ...(this.admin ? { adminPort: this.admin.port } : {}), ...(this.options.securePort !== undefined ? { securePort: this.securePort } : {}), host: this.options.host },
      'herd server listening',
    );
  }

  /** Stops listening and drops every connection; sessions and data stay (for a restart). */
  async stopListening(): Promise<void> {
    this.sessions.stop();
    this.containers.stop();
    const admin = this.admin;
    this.admin = null;
    await Promise.all([this.admission.close(), admin?.close()]);
  }

  /** Stops listening, waits for a snapshot under way and closes the log. */
  async close(): Promise<void> {
    await this.stopListening();
    await this.snapshotter?.idle();
    await this.txnLog.close();
  }

  /** Closes every client connection; sessions stay until they expire (tests: a network cut). */
  dropConnections(): void {
    this.admission.dropConnections();
  }

  /** Stop answering (requests are held) until {@link resume}: lets tests exercise client timeouts. */
  pause(): void {
    this.pipeline.intake.pause();
  }

  /** Answers what {@link pause} held, in order, and answers again from then on. */
  resume(): void {
    this.pipeline.intake.resume();
  }

  /** Ends a session whose deadline passed: its ephemerals go, and its connection is closed. */
  expire(session: Session): void {
    this.pipeline.sessions.expire(session);
  }

  /** Deletes empty containers and expired TTL nodes now (as the periodic check does). */
  collectContainers(): void {
    this.containers.collect();
  }
}

/**
 * A running Herd server, as {@link startServer} (and, with test helpers,
 * `TestingServer` of `herd-zk/testing`) returns it.
 *
 * @example
 * ```ts
 * await using server = await startServer({ port: 2181, dataDir: '/var/lib/herd' });
 * const client = createClient(server.connectionString);
 * ```
 */
export interface ServerHandle extends AsyncDisposable {
  /** The host clients connect to: the listening host, or `127.0.0.1` when the server listens on every interface. */
  readonly host: string;
  /** The client port (the one chosen by the system when the options said 0). */
  readonly port: number;
  /** `host:port`, ready for `createClient`. */
  readonly connectionString: string;
  /** The TLS client port, or undefined when none is configured. */
  readonly securePort: number | undefined;
  /** The HTTP admin server's port (`/commands`, `/metrics`), or undefined when it is off. */
  readonly adminPort: number | undefined;
  /**
   * Stops the server: stops listening, drops every connection and flushes
   * the transaction log. Sessions and data stay in the data directory, so a
   * server started on it later resumes them. Idempotent.
   */
  close(): Promise<void>;
  /** {@link close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

const instances = new WeakMap<ServerHandle, () => HerdServer>();

/**
 * The server behind a handle, for Herd's own tests and tools (inspection,
 * faults). Internal: not exported from the package, whose users need only
 * the handle.
 */
export function serverInstance(handle: ServerHandle): HerdServer {
  const get = instances.get(handle);
  if (get === undefined) throw new Error('not a handle of a Herd server');
  return get();
}

/**
 * Registers `handle` as the public face of the server `current()` returns
 * (a TestingServer's instance changes when it restarts).
 */
export function registerHandle(handle: ServerHandle, current: () => HerdServer): void {
  instances.set(handle, current);
}

/** The host a client on this machine reaches a server listening on `host` by. */
export function connectHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

/**
 * Starts a Herd server and resolves once it is listening: with a
 * `dataDir`, it first recovers the tree and sessions from it.
 *
 * @throws when the port is taken, the options are invalid or the data
 * directory cannot be read (a corrupt log or snapshot)
 */
export async function startServer(options: ServerOptions = {}): Promise<ServerHandle> {
  // A start that cannot listen (a port in use) leaves no new data directory behind.
  const freshDir = options.dataDir !== undefined && !existsSync(options.dataDir);
  const server = await HerdServer.open(options);
  try {
    await server.listen();
  } catch (error) {
    await server.close().catch(() => undefined);
    if (freshDir) await rm(options.dataDir!, { recursive: true, force: true });
    throw error;
  }
  const host = connectHost(server.options.host);
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= server.close());
  const handle: ServerHandle = {
    host,
    port: server.port,
    connectionString: `${host}:${server.port}`,
    get securePort() {
      return server.securePort;
    },
    get adminPort() {
      return server.adminPort;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
  registerHandle(handle, () => server);
  return handle;
}
