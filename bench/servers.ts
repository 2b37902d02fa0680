/**
 * The two servers under test, each in its own process with a fresh temp data
 * directory and fsync on: Herd's server (a Node child running the same
 * `startServer` as `herd server`) and Apache ZooKeeper 3.8 standalone (a JVM
 * started from Debian's jars by test/support/zookeeper.ts, with its usual JIT
 * and GC rather than the tests' fast-start flags).
 */
import { execFile, fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '../test/support/ports.js';
import { fourLetterWord, startZooKeeper, type ZooKeeperServer } from '../test/support/zookeeper.js';
import type { ChildMessage, ChildRequest } from './herd-server-child.js';
import { cpuTimeOf, rssOf, type Section } from './stats.js';

const execFileAsync = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));

export interface MemoryFigures {
  /** Resident set size, bytes. */
  rss: number;
  /** Live heap after a full GC, bytes (V8 heap + external buffers for Herd; Java heap for ZooKeeper). */
  heapUsed: number;
}

export interface BenchServer {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly pid: number | undefined;
  /** Figures after a full garbage collection. */
  memory(): Promise<MemoryFigures>;
  /** CPU time the server process has used so far, ms. */
  cpuTime(): number;
  /** SIGKILL (a crash); data stays. */
  kill(): Promise<void>;
  /** Starts the process again on the same data; resolves once it is spawned (not serving). */
  respawn(): Promise<void>;
  /** Waits until the respawned process has finished starting. */
  started(): Promise<void>;
  /** Stops the process and deletes its data. */
  destroy(): Promise<void>;
}

export interface HerdServerOptions {
  /** Extra node flags for the server child (`--cpu-prof`, `--prof`, ...). */
  nodeArgs?: string[];
  /**
   * The child script, default this build's herd-server-child.js: another
   * build's (`<dir>/bench/herd-server-child.js`) measures that build's server
   * in the same run, or ceiling-server.js the ceiling.
   */
  script?: string;
  /** The name in logs and tables, default 'Herd'. */
  name?: string;
}

class HerdChild implements BenchServer {
  readonly host = '127.0.0.1';
  private child: ChildProcess | undefined;
  private ready: Promise<void> = Promise.resolve();
  private memoryWaiters: Array<(m: MemoryFigures) => void> = [];

  constructor(
    readonly port: number,
    readonly dataDir: string,
    private readonly options: HerdServerOptions,
  ) {}

  get name(): string {
    return this.options.name ?? 'Herd';
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  spawn(): void {
    const child = fork(this.options.script ?? join(HERE, 'herd-server-child.js'), [String(this.port), this.dataDir], {
      execArgv: ['--expose-gc', ...(this.options.nodeArgs ?? [])],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child = child;
    this.ready = new Promise<void>((resolve, reject) => {
      child.once('exit', (code, signal) => {
        if (this.child === child) this.child = undefined;
        reject(new Error(`${this.name} server exited during start-up (code ${code}, signal ${signal})`));
      });
      child.on('message', (m: ChildMessage) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'memory') {
          this.memoryWaiters.shift()?.({ rss: m.rss, heapUsed: m.heapUsed + m.external });
        }
      });
    });
    // A late exit after start-up must not be an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  started(): Promise<void> {
    return this.ready;
  }

  memory(): Promise<MemoryFigures> {
    const child = this.child;
    if (!child) return Promise.reject(new Error('Herd server is not running'));
    return new Promise((resolve) => {
      this.memoryWaiters.push(resolve);
      child.send({ type: 'memory' } satisfies ChildRequest);
    });
  }

  cpuTime(): number {
    return this.child?.pid === undefined ? NaN : cpuTimeOf(this.child.pid);
  }

  async kill(): Promise<void> {
    await this.signal((c) => c.kill('SIGKILL'));
  }

  /** A clean stop (lets `--cpu-prof` write its file). */
  async stop(): Promise<void> {
    await this.signal((c) => c.send({ type: 'stop' } satisfies ChildRequest));
  }

  private async signal(how: (c: ChildProcess) => void): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    how(child);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
    this.child = undefined;
  }

  async respawn(): Promise<void> {
    this.spawn();
  }

  async destroy(): Promise<void> {
    await this.stop();
    await rm(this.dataDir, { recursive: true, force: true, maxRetries: 3 });
  }
}

export async function startHerd(options: HerdServerOptions = {}): Promise<BenchServer & { stop(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'herd-bench-'));
  const server = new HerdChild(await freePort(), dataDir, options);
  server.spawn();
  await server.started();
  return server;
}

/** The name of the --baseline build (bench/baseline.sh) in logs and tables. */
export const BASELINE_NAME = 'Herd (baseline)';

/** The tsc output root of a --baseline directory: the checkout's build/, or the directory itself. */
export function baselineBuild(dir: string): string {
  for (const root of [join(resolve(dir), 'build'), resolve(dir)]) {
    if (existsSync(join(root, 'bench', 'herd-server-child.js')) && existsSync(join(root, 'src', 'client', 'index.js'))) return root;
  }
  throw new Error(`--baseline ${dir}: no bench/herd-server-child.js and src/client/index.js under it or its build/ (build it with bench/baseline.sh <commit>)`);
}

/** The --baseline build's server (`build` from {@link baselineBuild}), with the given node flags. */
export function startBaseline(build: string, options: HerdServerOptions = {}): Promise<BenchServer & { stop(): Promise<void> }> {
  return startHerd({ ...options, script: join(build, 'bench', 'herd-server-child.js'), name: BASELINE_NAME });
}

/** The rule for a before/after run: no row worse by more than 5%. */
const NO_WORSE_THAN = 0.95;

/** A section of Herd against the --baseline build: each row's target is "no more than 5% worse". */
export function versusBaseline(section: Section, title: string): Section {
  return {
    ...section,
    title,
    baselineName: BASELINE_NAME,
    rows: section.rows.map((r) => ({ ...r, target: NO_WORSE_THAN })),
    notes: [...(section.notes ?? []), `target ${NO_WORSE_THAN}x: no row more than 5% worse than the baseline (ratio = new / baseline)`],
  };
}

/**
 * The ceiling (bench/ceiling-server.ts): a plain Node TCP server answering
 * each frame with a reply encoded once, with Herd's fsync policy for
 * writes. How far each Herd figure is from it is what a Node server could
 * still gain.
 */
export function startCeiling(): Promise<BenchServer & { stop(): Promise<void> }> {
  return startHerd({ script: join(HERE, 'ceiling-server.js'), name: 'ceiling' });
}

/**
 * ZooKeeper's own launch script runs the server with -Xmx1000m and the JVM's
 * default collector (G1 here) and full JIT; the test harness's fast-start
 * flags (C1 only, serial GC, 256 MiB, no perf data) are overridden, since
 * later flags win.
 */
const ZK_BENCH_JVM_ARGS = ['-Xmx1000m', '-XX:-UseSerialGC', '-XX:+UseG1GC', '-XX:TieredStopAtLevel=4', '-XX:+UsePerfData'];

class ZooKeeperProcess implements BenchServer {
  readonly name = 'ZooKeeper';
  private starting: Promise<void> = Promise.resolve();

  constructor(private readonly zk: ZooKeeperServer) {}

  get host(): string {
    return this.zk.host;
  }
  get port(): number {
    return this.zk.port;
  }
  get pid(): number | undefined {
    return this.zk.pid;
  }

  async memory(): Promise<MemoryFigures> {
    const pid = this.zk.pid;
    if (pid === undefined) throw new Error('ZooKeeper is not running');
    await execFileAsync('jcmd', [String(pid), 'GC.run']);
    const { stdout } = await execFileAsync('jcmd', [String(pid), 'GC.heap_info']);
    const used = /used (\d+)K/.exec(stdout)?.[1];
    return { rss: rssOf(pid), heapUsed: used === undefined ? NaN : Number(used) * 1024 };
  }

  /** `zk_approximate_data_size` from mntr: ZooKeeper's own estimate of paths + data bytes. */
  async approximateDataSize(): Promise<number> {
    const mntr = await fourLetterWord(this.host, this.port, 'mntr');
    return Number(/zk_approximate_data_size\s+(\d+)/.exec(mntr)?.[1] ?? NaN);
  }

  cpuTime(): number {
    const pid = this.zk.pid;
    return pid === undefined ? NaN : cpuTimeOf(pid);
  }

  kill(): Promise<void> {
    return this.zk.kill();
  }

  async respawn(): Promise<void> {
    // start() spawns synchronously before it first awaits. Its own readiness
    // wait gives up after 30 s, which a large tree can exceed; the caller
    // times serving itself, so that give-up is not an error here.
    this.starting = this.zk.start().catch(() => undefined);
  }

  started(): Promise<void> {
    return this.starting;
  }

  destroy(): Promise<void> {
    return this.zk.destroy();
  }
}

export async function startZk(): Promise<ZooKeeperProcess> {
  const zk = await startZooKeeper({ forceSync: true, jvmArgs: ZK_BENCH_JVM_ARGS });
  return new ZooKeeperProcess(zk);
}

export type { ZooKeeperProcess };
