import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HerdServer } from '../server/server.js';
import type { ServerOptions } from '../server/options.js';

/**
 * A Herd server for your own tests, like Curator's TestingServer but with no
 * JVM: in-process, on a free loopback port, with a temporary data directory.
 *
 * @example
 * ```ts
 * const zk = await TestingServer.start();
 * const client = createClient(zk.connectionString);
 * // ...
 * await zk.close();
 * ```
 */
export class TestingServer {
  private constructor(
    private server: HerdServer,
    private readonly options: ServerOptions,
    /** The temporary data directory, removed by {@link close}. */
    readonly dataDir: string,
    private readonly ownsDataDir: boolean,
  ) {}

  /** Starts a server on 127.0.0.1 and a free port (unless `port` is given). */
  static async start(options: ServerOptions = {}): Promise<TestingServer> {
    const ownsDataDir = options.dataDir === undefined;
    const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'herd-test-')));
    // fsync off by default: a test's data need only survive a restart of the server, not of the machine.
    const resolved: ServerOptions = { host: '127.0.0.1', port: 0, logLevel: 'warn', forceSync: false, ...options, dataDir };
    const server = await HerdServer.open(resolved);
    await server.listen();
    return new TestingServer(server, { ...resolved, port: server.port }, dataDir, ownsDataDir);
  }

  get port(): number {
    return this.server.port;
  }

  /** `127.0.0.1:<port>`. */
  get connectionString(): string {
    return `${this.options.host ?? '127.0.0.1'}:${this.port}`;
  }

  /** The running server, for inspection. */
  get instance(): HerdServer {
    return this.server;
  }

  /**
   * Stops the server and starts a new one on the same port from the same
   * data directory (a real recovery from the log and snapshots): clients see
   * a connection loss and resume their sessions.
   */
  async restart(): Promise<void> {
    await this.server.close();
    this.server = await HerdServer.open(this.options);
    await this.server.listen();
  }

  /** Closes every client connection; sessions survive (clients reconnect). */
  dropConnections(): void {
    this.server.dropConnections();
  }

  /** Expires a session now, as if its timeout had passed: its ephemerals are deleted. */
  expireSession(sessionId: bigint): void {
    const session = this.server.sessions.get(sessionId);
    if (session) this.server.expire(session);
  }

  /** Stops answering requests (they are held, not lost) until {@link resume}. */
  pause(): void {
    this.server.pause();
  }

  resume(): void {
    this.server.resume();
  }

  async close(): Promise<void> {
    await this.server.close();
    if (this.ownsDataDir) await rm(this.dataDir, { recursive: true, force: true });
  }
}
