import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectHost, HerdServer, registerHandle, type ServerHandle } from '../server/server.js';
import type { ServerOptions } from '../server/options.js';
import { InvalidStateError } from '../errors.js';

/**
 * A Herd server for your own tests, like Curator's TestingServer but with no
 * JVM: in-process, on a free loopback port, with a temporary data directory.
 * It is a {@link ServerHandle} (the same shape `startServer` returns) with
 * helpers that inject faults: drop connections, expire a session, restart,
 * pause.
 *
 * @example
 * ```ts
 * await using zk = await TestingServer.start();
 * const client = createClient(zk.connectionString);
 * // ...
 * await client.close();
 * ```
 */
export class TestingServer implements ServerHandle {
  private closing: Promise<void> | undefined;
  /** False between {@link stop} and {@link start}. */
  private running = true;

  private constructor(
    private server: HerdServer,
    private readonly options: ServerOptions,
    /** The data directory: a temporary one (removed by {@link close}) unless the options gave one. */
    readonly dataDir: string,
    private readonly ownsDataDir: boolean,
  ) {
    registerHandle(this, () => this.server);
  }

  /**
   * Starts a server and resolves once it listens. Defaults differ from
   * `startServer`'s for tests: host `127.0.0.1`, port 0 (a free one), a new
   * temporary `dataDir`, `forceSync: false` and `logLevel: 'warn'`; any
   * option given wins.
   *
   * @throws when the port is taken or the options are invalid
   */
  static async start(options: ServerOptions = {}): Promise<TestingServer> {
    const ownsDataDir = options.dataDir === undefined;
    const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'herd-test-')));
    // fsync off by default: a test's data need only survive a restart of the server, not of the machine.
    const resolved: ServerOptions = { host: '127.0.0.1', port: 0, logLevel: 'warn', forceSync: false, ...options, dataDir };
    try {
      const server = await HerdServer.open(resolved);
      await server.listen();
      // A restart reuses the port the system chose.
      return new TestingServer(server, { ...resolved, port: server.port }, dataDir, ownsDataDir);
    } catch (error) {
      if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** The host clients connect to (`127.0.0.1` unless the options said otherwise). */
  get host(): string {
    return connectHost(this.server.options.host);
  }

  /** The client port; the same after {@link restart}. */
  get port(): number {
    return this.server.port;
  }

  /** `127.0.0.1:<port>`. */
  get connectionString(): string {
    return `${this.host}:${this.port}`;
  }

  /** The TLS client port, when `securePort` and `tls` were given. */
  get securePort(): number | undefined {
    return this.server.securePort;
  }

  /** The HTTP admin server's port, when `adminPort` was given. */
  get adminPort(): number | undefined {
    return this.server.adminPort;
  }

  /**
   * Stops the server (unless {@link stop} did) and starts a new one on the same port from the same
   * data directory (a real recovery from the log and snapshots): clients see
   * a connection loss and resume their sessions.
   */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /**
   * Stops the server (as a crash would, for clients: every connection
   * drops and nothing answers on the port) without removing its data, until
   * {@link start}. Sessions whose timeout passes meanwhile are expired when
   * the server starts again.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.server.close();
  }

  /** Starts the server stopped by {@link stop} again, on the same port and data directory. */
  async start(): Promise<void> {
    if (this.running) return;
    if (this.closing !== undefined) throw new InvalidStateError('TestingServer.start: the server is closed');
    const server = await HerdServer.open(this.options);
    await server.listen();
    this.server = server;
    this.running = true;
  }

  /** Closes every client connection; sessions survive (clients reconnect). */
  dropConnections(): void {
    this.server.dropConnections();
  }

  /**
   * Expires a session now, as if its timeout had passed: its ephemerals are
   * deleted and its client sees `expired` when it next hears from the server.
   *
   * @returns false when the server has no such session
   */
  expireSession(sessionId: bigint): boolean {
    const session = this.server.sessions.get(sessionId);
    if (session === undefined) return false;
    this.server.expire(session);
    return true;
  }

  /** Stops answering requests (they are held, not lost) until {@link resume}: lets tests exercise client timeouts. */
  pause(): void {
    this.server.pause();
  }

  /** Answers the requests held since {@link pause}, and those to come. */
  resume(): void {
    this.server.resume();
  }

  /** Stops the server and removes its temporary data directory. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.stop();
      if (this.ownsDataDir) await rm(this.dataDir, { recursive: true, force: true });
    })();
    return this.closing;
  }

  /** {@link close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
