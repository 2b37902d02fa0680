/**
 * Real Apache ZooKeeper 3.8 for tests, run from the jars of Debian's `zookeeper`
 * package as child JVMs on free loopback ports, each in its own temp directory.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { javaAvailable, javaCommand } from './interop.js';
import { freePort, freePorts } from './ports.js';

/** Where Debian installs Java libraries; `$HERD_JAVA_LIB_DIR` overrides it for other layouts. */
export const JAVA_LIB_DIR = process.env.HERD_JAVA_LIB_DIR ?? '/usr/share/java';

/**
 * ZooKeeper's own jar. Debian's build lists every runtime dependency (netty,
 * jute, slf4j-api, jetty, ...) in its manifest `Class-Path`, so it is the only
 * ZooKeeper entry a classpath needs.
 */
export const ZOOKEEPER_JAR = join(JAVA_LIB_DIR, 'zookeeper.jar');

/**
 * The manifest brings slf4j-api but no binding, so without one of these the
 * server logs nothing at all. log4j 1.2 is what Debian's own
 * /etc/zookeeper/conf/log4j.properties targets; both jars are hard
 * dependencies of libzookeeper-java.
 */
const SERVER_LOG_JARS = [join(JAVA_LIB_DIR, 'slf4j-log4j12.jar'), join(JAVA_LIB_DIR, 'log4j-1.2.jar')];

/** zkCli output is asserted on, so SLF4J's "no binding" warnings must not reach stderr. */
const CLI_LOG_JARS = [join(JAVA_LIB_DIR, 'slf4j-nop.jar')];

/**
 * JVM flags that cut a ZooKeeper JVM's start-up to well under a second:
 * C1 only (no C2 warm-up), the single-threaded collector, a small heap, and
 * no hsperfdata file in /tmp.
 */
export const FAST_JVM_FLAGS: readonly string[] = [
  '-Xmx256m',
  '-XX:+UseSerialGC',
  '-XX:TieredStopAtLevel=1',
  '-XX:-UsePerfData',
];

const QUORUM_MAIN = 'org.apache.zookeeper.server.quorum.QuorumPeerMain';
const CLI_MAIN = 'org.apache.zookeeper.ZooKeeperMain';
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

export interface ZooKeeperOptions {
  /** Milliseconds per tick; session timeouts are bounded by 2 and 20 ticks unless overridden. Default 2000. */
  tickTime?: number;
  /** Pass `-Dzookeeper.extendedTypesEnabled=true` (TTL nodes). Default true. */
  extendedTypes?: boolean;
  /** `4lw.commands.whitelist`. Default `'*'`. */
  fourLetterWords?: string;
  /** `maxSessionTimeout` in ms. */
  maxSessionTimeout?: number;
  /** `minSessionTimeout` in ms. */
  minSessionTimeout?: number;
  /**
   * fsync the transaction log on every commit (`forceSync`). Default true, so
   * durability tests see real ZooKeeper semantics; set false only for speed.
   */
  forceSync?: boolean;
  /** Extra zoo.cfg lines, written after the harness's own (later keys win in ZooKeeper's parser). */
  extraConfig?: Record<string, string | number | boolean>;
  /**
   * Also serve TLS on a `securePort` (Netty's server connection factory, x509
   * auth provider on): key and trust stores as files, PEM by default.
   */
  tls?: {
    keyStore: string;
    trustStore: string;
    /** `PEM` (default), `PKCS12` or `JKS`. */
    type?: string;
    password?: string;
    /** `ssl.clientAuth`: `need` (default), `want` or `none`. */
    clientAuth?: 'need' | 'want' | 'none';
  };
  /** Extra JVM arguments, e.g. `-Dzookeeper.DigestAuthenticationProvider.superDigest=...`. */
  jvmArgs?: string[];
}

export interface ZooKeeperServer {
  readonly host: string;
  readonly port: number;
  /** `'127.0.0.1:port'`. */
  readonly connectionString: string;
  /** The TLS client port, when started with the `tls` option. */
  readonly securePort: number | undefined;
  /** ZooKeeper's `dataDir` (snapshots, transaction logs, `myid`). */
  readonly dataDir: string;
  /** Temp directory holding zoo.cfg, the logs and `dataDir`. */
  readonly dir: string;
  /** Path of the server's log file (log4j output). */
  readonly logFile: string;
  /** Whether the JVM is currently alive. */
  readonly running: boolean;
  /** Process id of the running JVM, or undefined. */
  readonly pid: number | undefined;
  /** SIGTERM the JVM and wait until it has exited; the data directory is kept. */
  stop(): Promise<void>;
  /** SIGKILL the JVM (a crash) and wait until it has exited; the data directory is kept. */
  kill(): Promise<void>;
  /**
   * (Re)start on the same port and data. Resolves once the server serves
   * clients; pass `{ waitForServing: false }` to resolve as soon as it answers
   * `srvr` at all (an ensemble member cannot serve before a quorum is up).
   */
  start(options?: { waitForServing?: boolean }): Promise<void>;
  /** Stop the JVM and delete the temp directory. */
  destroy(): Promise<void>;
  /** The last lines of the server log and of the JVM's stdout/stderr, for failure messages. */
  logTail(lines?: number): string;
  /** The argv the JVM is (or would be) started with. */
  commandLine(): string[];
}

export interface Ensemble {
  readonly servers: ZooKeeperServer[];
  /** Every member's `host:port`, comma-separated. */
  readonly connectionString: string;
  /** Resolve once every running member reports Mode leader or follower. */
  waitForQuorum(timeoutMs?: number): Promise<void>;
  /** The running member that currently reports Mode leader, if any. */
  leader(): Promise<ZooKeeperServer | undefined>;
  destroy(): Promise<void>;
}

/** True when a Java launcher and the ZooKeeper jars (with a log binding) are installed. */
export function zookeeperAvailable(): boolean {
  return javaAvailable() && [ZOOKEEPER_JAR, ...SERVER_LOG_JARS, ...CLI_LOG_JARS].every((jar) => existsSync(jar));
}

/** Classpath for a ZooKeeper server JVM. */
export function zookeeperServerClasspath(): string {
  return [ZOOKEEPER_JAR, ...SERVER_LOG_JARS].join(':');
}

/** Classpath for a ZooKeeper client JVM (zkCli, Curator drivers) with logging silenced. */
export function zookeeperClientClasspath(): string {
  return [ZOOKEEPER_JAR, ...CLI_LOG_JARS].join(':');
}

/**
 * Send a four-letter word (`srvr`, `ruok`, `mntr`, ...) and return the full answer.
 * Rejects on connection errors or when the server has not closed the
 * connection within `timeoutMs`.
 */
export function fourLetterWord(host: string, port: number, word: string, timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${word} to ${host}:${port} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', () => socket.end(word));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', (hadError) => {
      clearTimeout(timer);
      if (!hadError) resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/** The `Mode:` a server reports in `srvr` (standalone, leader, follower, observer), or undefined if not serving. */
export async function serverMode(server: Pick<ZooKeeperServer, 'host' | 'port'>): Promise<string | undefined> {
  try {
    const answer = await fourLetterWord(server.host, server.port, 'srvr');
    return /^Mode: (\S+)/m.exec(answer)?.[1];
  } catch {
    return undefined;
  }
}

// `setpriv --pdeathsig` makes the kernel SIGKILL a JVM when the test process
// dies without running exit handlers (kill -9, a runner timeout), so no
// orphaned ZooKeeper keeps holding ports and temp files. The signal follows
// the spawning *thread*, so servers started from a worker_thread die with it.
let pdeathsig: string[] | undefined;
function pdeathsigPrefix(): string[] {
  if (pdeathsig === undefined) {
    try {
      const help = spawnSync('setpriv', ['--help'], { encoding: 'utf8', timeout: 5_000 });
      pdeathsig = help.status === 0 && help.stdout.includes('--pdeathsig') ? ['setpriv', '--pdeathsig', 'KILL', '--'] : [];
    } catch {
      pdeathsig = [];
    }
  }
  return pdeathsig;
}

/** Servers not yet destroyed, and ensemble root dirs not yet removed: cleaned up at process exit. */
const owned = new Set<JvmZooKeeper>();
const ownedRoots = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    // HERD_KEEP_ZK=1 keeps the temp dirs of servers a test forgot to destroy, for post-mortems.
    const removeDirs = process.env.HERD_KEEP_ZK !== '1';
    for (const server of owned) server.killSync(removeDirs);
    if (!removeDirs) return;
    for (const root of ownedRoots) {
      try {
        rmSync(root, { recursive: true, force: true, maxRetries: 3 });
      } catch {
        // Best effort, as in killSync.
      }
    }
  });
}

interface MemberConfig {
  myid: number;
  /** `server.N=...` lines of the whole ensemble. */
  serverLines: string[];
}

class JvmZooKeeper implements ZooKeeperServer {
  readonly host = '127.0.0.1';
  readonly connectionString: string;
  readonly dataDir: string;
  readonly logFile: string;
  private readonly outFile: string;
  private readonly configFile: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private destroyed = false;
  securePort: number | undefined;

  constructor(
    readonly dir: string,
    readonly port: number,
    private readonly options: ZooKeeperOptions,
    private readonly member?: MemberConfig,
  ) {
    this.connectionString = `${this.host}:${port}`;
    this.dataDir = join(dir, 'data');
    this.logFile = join(dir, 'zookeeper.log');
    this.outFile = join(dir, 'jvm.out');
    this.configFile = join(dir, 'zoo.cfg');
    installExitHook();
    owned.add(this);
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async writeConfig(): Promise<void> {
    const o = this.options;
    await mkdir(this.dataDir, { recursive: true });
    const lines = [
      `tickTime=${o.tickTime ?? 2000}`,
      `dataDir=${this.dataDir}`,
      `clientPort=${this.port}`,
      `clientPortAddress=${this.host}`,
      'admin.enableServer=false',
      `4lw.commands.whitelist=${o.fourLetterWords ?? '*'}`,
      // Idle test clients must not be cut off by the per-host limit (default 60) in connection-storm tests.
      'maxClientCnxns=0',
    ];
    if (o.minSessionTimeout !== undefined) lines.push(`minSessionTimeout=${o.minSessionTimeout}`);
    if (o.maxSessionTimeout !== undefined) lines.push(`maxSessionTimeout=${o.maxSessionTimeout}`);
    if (o.forceSync === false) lines.push('forceSync=no');
    if (this.member) {
      lines.push('initLimit=10', 'syncLimit=5', 'standaloneEnabled=false', ...this.member.serverLines);
      await writeFile(join(this.dataDir, 'myid'), `${this.member.myid}\n`);
    } else {
      lines.push('standaloneEnabled=true');
    }
    if (o.tls) {
      this.securePort ??= await freePort();
      const type = o.tls.type ?? 'PEM';
      lines.push(
        `secureClientPort=${this.securePort}`,
        'serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory',
        'authProvider.x509=org.apache.zookeeper.server.auth.X509AuthenticationProvider',
        `ssl.keyStore.location=${o.tls.keyStore}`,
        `ssl.keyStore.type=${type}`,
        `ssl.trustStore.location=${o.tls.trustStore}`,
        `ssl.trustStore.type=${type}`,
        `ssl.clientAuth=${o.tls.clientAuth ?? 'need'}`,
      );
      if (o.tls.password !== undefined) {
        lines.push(`ssl.keyStore.password=${o.tls.password}`, `ssl.trustStore.password=${o.tls.password}`);
      }
    }
    for (const [key, value] of Object.entries(o.extraConfig ?? {})) lines.push(`${key}=${String(value)}`);
    await writeFile(this.configFile, lines.join('\n') + '\n');
    await writeFile(
      join(this.dir, 'log4j.properties'),
      [
        'log4j.rootLogger=INFO, FILE',
        'log4j.appender.FILE=org.apache.log4j.FileAppender',
        `log4j.appender.FILE.File=${this.logFile}`,
        'log4j.appender.FILE.Append=true',
        'log4j.appender.FILE.layout=org.apache.log4j.PatternLayout',
        'log4j.appender.FILE.layout.ConversionPattern=%d{ISO8601} %-5p [%t:%C{1}@%L] - %m%n',
        '',
      ].join('\n'),
    );
  }

  commandLine(): string[] {
    return [
      ...pdeathsigPrefix(),
      javaCommand(),
      ...FAST_JVM_FLAGS,
      `-Dzookeeper.extendedTypesEnabled=${this.options.extendedTypes ?? true}`,
      '-Dzookeeper.admin.enableServer=false',
      // log4j 1.2's JMX integration registers MBeans per appender: pure start-up cost here.
      '-Dzookeeper.jmx.log4j.disable=true',
      `-Dlog4j.configuration=file:${join(this.dir, 'log4j.properties')}`,
      ...(this.options.jvmArgs ?? []),
      '-cp',
      // Netty's TLS handler needs netty's codec and resolver jars, which zookeeper.jar's manifest does not list.
      this.options.tls
        ? [zookeeperServerClasspath(), join(JAVA_LIB_DIR, 'netty-resolver.jar'), join(JAVA_LIB_DIR, 'netty-codec.jar')].join(':')
        : zookeeperServerClasspath(),
      QUORUM_MAIN,
      this.configFile,
    ];
  }

  async start(options: { waitForServing?: boolean } = {}): Promise<void> {
    if (this.destroyed) throw new Error(`ZooKeeper ${this.connectionString} was destroyed`);
    if (!this.child) this.spawnJvm();
    await this.waitReady(options.waitForServing ?? true);
  }

  private spawnJvm(): void {
    const [command, ...args] = this.commandLine();
    const out = openSync(this.outFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(command!, args, { cwd: this.dir, stdio: ['ignore', out, out] });
    } finally {
      closeSync(out);
    }
    this.child = child;
    this.exited = new Promise((resolve) => {
      const done = (): void => {
        if (this.child === child) this.child = undefined;
        resolve();
      };
      child.once('exit', done);
      child.once('error', (err) => {
        // spawn failures (ENOENT) never emit 'exit'.
        void writeFile(this.outFile, `spawn failed: ${err.message}\n`, { flag: 'a' }).catch(() => undefined);
        done();
      });
    });
  }

  /**
   * Whether the server on this port is this one: a free port can be taken
   * by another test's server before this JVM binds it (this one then exits
   * a moment later), and `srvr` alone cannot tell them apart; `conf` names
   * the data dir. True when `conf` is not allowed (nothing to check by).
   */
  private async answersAsItself(): Promise<boolean> {
    const allowed = this.options.fourLetterWords ?? '*';
    if (allowed !== '*' && !allowed.split(',').map((w) => w.trim()).includes('conf')) return true;
    return (await fourLetterWord(this.host, this.port, 'conf', 1_000)).includes(`dataDir=${this.dataDir}`);
  }

  private async waitReady(serving: boolean): Promise<void> {
    const started = Date.now();
    let last = '(no answer)';
    while (Date.now() - started < READY_TIMEOUT_MS) {
      if (!this.child) {
        throw new Error(
          `ZooKeeper ${this.connectionString} exited during start-up ` +
            `(files in ${this.dir}, deleted unless HERD_KEEP_ZK=1).\n${this.logTail()}`,
        );
      }
      try {
        last = await fourLetterWord(this.host, this.port, 'srvr', 1_000);
        const mode = /^Mode: (\S+)/m.exec(last)?.[1];
        if ((!serving || (this.member ? mode === 'leader' || mode === 'follower' : mode === 'standalone')) && (await this.answersAsItself())) return;
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(100);
    }
    throw new Error(
      `ZooKeeper ${this.connectionString} not ready within ${READY_TIMEOUT_MS} ms ` +
        `(last srvr answer: ${last.trim()}); files in ${this.dir}, deleted unless HERD_KEEP_ZK=1.\n${this.logTail()}`,
    );
  }

  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(signal);
    // A JVM wedged in shutdown hooks must not hang the test: escalate to SIGKILL.
    const escalate = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    try {
      await this.exited;
    } finally {
      clearTimeout(escalate);
    }
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    // The data is about to be deleted, so a graceful shutdown would buy nothing.
    await this.kill();
    this.destroyed = true;
    owned.delete(this);
    await rm(this.dir, { recursive: true, force: true, maxRetries: 3 });
  }

  /** Synchronous kill for the process 'exit' hook, where no more I/O callbacks run. */
  killSync(removeDir: boolean): void {
    try {
      this.child?.kill('SIGKILL');
    } catch {
      // Already gone.
    }
    if (removeDir) {
      try {
        rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
      } catch {
        // Best effort: a leftover temp dir must not mask the test's own exit status.
      }
    }
  }

  logTail(lines = 40): string {
    const tail = (file: string): string => {
      try {
        return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return '(missing)';
      }
    };
    return `--- ${this.logFile} (tail) ---\n${tail(this.logFile)}\n--- ${this.outFile} (tail) ---\n${tail(this.outFile)}`;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function assertAvailable(): void {
  if (!zookeeperAvailable()) {
    throw new Error(
      `ZooKeeper is not installed: need java and ${ZOOKEEPER_JAR} with ${SERVER_LOG_JARS.join(', ')} ` +
        '(apt-get install zookeeper, or run .ci/run)',
    );
  }
}

/**
 * Start a standalone ZooKeeper on a free loopback port with a fresh data directory.
 * Resolves once it answers `srvr` with `Mode: standalone`.
 */
export async function startZooKeeper(options: ZooKeeperOptions = {}): Promise<ZooKeeperServer> {
  assertAvailable();
  const dir = await mkdtemp(join(tmpdir(), 'herd-zk-'));
  const server = new JvmZooKeeper(dir, await freePort(), options);
  try {
    await server.writeConfig();
    await server.start();
  } catch (err) {
    // HERD_KEEP_ZK=1 keeps the files the error message points at.
    if (process.env.HERD_KEEP_ZK === '1') await server.kill();
    else await server.destroy();
    throw err;
  }
  return server;
}

/**
 * Start a ZooKeeper ensemble of `size` members on loopback, each with its own
 * client, quorum and election port and its own data directory and `myid`.
 * Resolves once every member reports Mode leader or follower.
 */
export async function startEnsemble(size = 3, options: ZooKeeperOptions = {}): Promise<Ensemble> {
  assertAvailable();
  if (!Number.isInteger(size) || size < 1) throw new Error(`ensemble size must be a positive integer, got ${size}`);
  const root = await mkdtemp(join(tmpdir(), 'herd-zk-ensemble-'));
  ownedRoots.add(root);
  const ports = await freePorts(size * 3);
  const serverLines = Array.from(
    { length: size },
    (_, i) => `server.${i + 1}=127.0.0.1:${ports[i * 3 + 1]}:${ports[i * 3 + 2]}`,
  );
  const servers = Array.from(
    { length: size },
    (_, i) => new JvmZooKeeper(join(root, `member-${i + 1}`), ports[i * 3]!, options, { myid: i + 1, serverLines }),
  );

  const ensemble: Ensemble = {
    servers,
    connectionString: servers.map((s) => s.connectionString).join(','),
    async waitForQuorum(timeoutMs = READY_TIMEOUT_MS): Promise<void> {
      const started = Date.now();
      for (;;) {
        const running = servers.filter((s) => s.running);
        const modes = await Promise.all(running.map((s) => serverMode(s)));
        if (modes.every((m) => m === 'leader' || m === 'follower') && modes.includes('leader')) return;
        if (Date.now() - started > timeoutMs) {
          const report = running.map((s, i) => `${s.connectionString}: ${modes[i] ?? 'not serving'}`).join(', ');
          throw new Error(
            `ensemble did not form within ${timeoutMs} ms (${report}).\n` + running.map((s) => s.logTail(20)).join('\n'),
          );
        }
        await sleep(100);
      }
    },
    async leader(): Promise<ZooKeeperServer | undefined> {
      const running = servers.filter((s) => s.running);
      const modes = await Promise.all(running.map((s) => serverMode(s)));
      return running[modes.indexOf('leader')];
    },
    async destroy(): Promise<void> {
      await Promise.all(servers.map((s) => s.destroy()));
      ownedRoots.delete(root);
      await rm(root, { recursive: true, force: true, maxRetries: 3 });
    },
  };

  try {
    await Promise.all(servers.map((s) => s.writeConfig()));
    // All members must run before any can serve, so wait for quorum only after every JVM is up.
    await Promise.all(servers.map((s) => s.start({ waitForServing: false })));
    await ensemble.waitForQuorum();
  } catch (err) {
    if (process.env.HERD_KEEP_ZK === '1') await Promise.all(servers.map((s) => s.kill()));
    else await ensemble.destroy();
    throw err;
  }
  return ensemble;
}

/** Debian's zkCli wrapper script, for humans; {@link runZkCli} runs the JVM directly. */
export function zkCliPath(): string {
  return '/usr/share/zookeeper/bin/zkCli.sh';
}

/** Command line that runs zkCli (`org.apache.zookeeper.ZooKeeperMain`) against `connectionString`. */
export function zkCliCommand(connectionString: string, args: readonly string[] = []): string[] {
  return [
    javaCommand(),
    ...FAST_JVM_FLAGS,
    '-cp',
    zookeeperClientClasspath(),
    CLI_MAIN,
    '-server',
    connectionString,
    // Without this the command races the session handshake and fails with ConnectionLoss.
    '-waitforconnection',
    ...args,
  ];
}

export interface ZkCliResult {
  stdout: string;
  stderr: string;
  /** Exit code; null if the JVM died from a signal (e.g. the timeout). */
  code: number | null;
}

/**
 * Run zkCli from the same jars as the test servers.
 *
 * An array runs one command (`['create', '/a', 'hello']`); a string is fed as
 * a script on stdin, one command per line, and `quit` is appended. Note that
 * ZooKeeper 3.8's zkCli prints some results (e.g. `Created /a`, `Node does not
 * exist: /x`) on stderr, and that in script mode the exit code reflects only
 * the last command.
 */
export function runZkCli(
  connectionString: string,
  commandOrScript: readonly string[] | string,
  options: { timeoutMs?: number } = {},
): Promise<ZkCliResult> {
  const script = typeof commandOrScript === 'string' ? commandOrScript : undefined;
  const [command, ...args] = zkCliCommand(connectionString, script === undefined ? (commandOrScript as readonly string[]) : []);
  return new Promise((resolve, reject) => {
    const child = spawn(command!, args, { stdio: [script === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout!.on('data', (c: Buffer) => stdout.push(c));
    child.stderr!.on('data', (c: Buffer) => stderr.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        code,
      });
    });
    if (script !== undefined) {
      const body = script.endsWith('\n') ? script : script + '\n';
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(/^\s*quit\s*$/m.test(body) ? body : body + 'quit\n');
    }
  });
}
