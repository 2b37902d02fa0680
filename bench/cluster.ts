/**
 * Bench suite `cluster`: failover time of `herd-zk/cluster`, from SIGKILL of
 * the primary's process to the successor's onPrimary, for clusters of 3, 10
 * and 30 members with default settings (session timeout 10 s), on Herd's
 * server and on ZooKeeper 3.8.
 *
 * Members run in child processes (bench/cluster-host.ts), each with its own
 * client and session: the primary alone in its process (it is killed), the
 * others spread over at most 9 more processes (30 members: 3 or 4 per
 * process), so one machine is not flooded with 30 Node.js processes.
 * Timestamps come from the same clock (one machine).
 *
 * The backend is a parameter ({@link FailoverTarget}), so the sharedFs
 * backend can be measured by the same code with `{ sharedFs: dir }`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { BackendSpec } from '../src/cluster/index.js';
import { log, Samples, type Row, type Section } from './stats.js';

/** What a failover is measured on: a backend every member can use. */
export interface FailoverTarget {
  readonly name: string;
  /** The backend option of one member (JSON-serializable: it is passed to child processes). */
  backend(member: string): BackendSpec;
}

export interface ClusterBenchOptions {
  sizes: number[];
  trials: number;
  /** Most processes for the members that are not killed. */
  maxHostProcesses: number;
}

export const DEFAULT_CLUSTER_BENCH: ClusterBenchOptions = { sizes: [3, 10, 30], trials: 3, maxHostProcesses: 9 };

export interface FailoverFigures {
  /** Members in the cluster → failover times, ms. */
  readonly bySize: Map<number, Samples>;
}

const HOST = join(dirname(fileURLToPath(import.meta.url)), 'cluster-host.js');

interface HostEvent {
  event: string;
  node: string;
  at: number;
  epoch?: number;
}

class Host {
  readonly events: HostEvent[] = [];
  readonly exited: Promise<void>;
  private waiters = new Set<() => void>();
  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as HostEvent);
      } catch {
        return;
      }
      for (const w of this.waiters) w();
    });
    child.stderr!.on('data', (d: Buffer) => process.stderr.write(d));
    this.exited = new Promise((resolve) => child.on('exit', () => resolve()));
  }

  static start(cluster: string, names: string[], target: FailoverTarget): Host {
    const backend = target.backend(names[0]!);
    const child = spawn(process.execPath, [HOST, JSON.stringify({ cluster, names, version: '1.0.0', backend })], { stdio: ['pipe', 'pipe', 'pipe'] });
    return new Host(child);
  }

  async waitFor(pred: (e: HostEvent) => boolean, ms: number, what: string): Promise<HostEvent> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.events.find(pred);
      if (found) return found;
      if (Date.now() >= deadline) throw new Error(`cluster bench: timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, Math.max(0, deadline - Date.now()));
        this.waiters.add(done);
      });
    }
  }

  /** Leaves gracefully (stdin closed), killed if it takes too long. */
  async stop(): Promise<void> {
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

let clusterCounter = 0;

/** One failover: a fresh cluster of `size` members, the primary's process killed. Resolves with ms. */
export async function measureOneFailover(target: FailoverTarget, size: number, o: ClusterBenchOptions): Promise<number> {
  const cluster = `bench-${process.pid}-${clusterCounter++}`;
  const victim = Host.start(cluster, ['m0'], target);
  const hosts: Host[] = [];
  try {
    await victim.waitFor((e) => e.event === 'primary', 60_000, 'the first primary');
    const others = Array.from({ length: size - 1 }, (_, i) => `m${i + 1}`);
    const processes = Math.min(others.length, o.maxHostProcesses);
    for (let p = 0; p < processes; p++) hosts.push(Host.start(cluster, others.filter((_, i) => i % processes === p), target));
    await Promise.all(
      hosts.map((h, p) => {
        const mine = others.filter((_, i) => i % processes === p);
        return h.waitFor((e) => e.event === 'joined' && e.node === mine.at(-1), 120_000, 'members joined');
      }),
    );
    // Let every member's candidacy reach the backend before the crash.
    await new Promise((r) => setTimeout(r, 1000));
    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    const promoted = await Promise.any(hosts.map((h) => h.waitFor((e) => e.event === 'primary', 120_000, 'a new primary')));
    return promoted.at - killedAt;
  } finally {
    await Promise.all([victim.exited, ...hosts.map((h) => h.stop())]);
  }
}

/** Failover times for every size, `trials` each. */
export async function measureFailover(target: FailoverTarget, o: ClusterBenchOptions = DEFAULT_CLUSTER_BENCH): Promise<FailoverFigures> {
  const bySize = new Map<number, Samples>();
  for (const size of o.sizes) {
    const samples = new Samples();
    for (let t = 0; t < o.trials; t++) {
      const ms = await measureOneFailover(target, size, o);
      samples.add(ms);
      log(`cluster ${target.name}: ${size} members, failover ${ms} ms`);
    }
    bySize.set(size, samples);
  }
  return { bySize };
}

/** Herd's server (candidate) against ZooKeeper (baseline), coordination backend on both. */
export function clusterSection(h: FailoverFigures, z: FailoverFigures, candidateName: string, baselineName: string, o: ClusterBenchOptions): Section {
  const rows: Row[] = [];
  for (const size of o.sizes) {
    const a = h.bySize.get(size)!;
    const b = z.bySize.get(size)!;
    rows.push({ metric: `failover, ${size} members: median`, candidate: a.percentile(0.5), baseline: b.percentile(0.5), unit: 'ms', better: 'lower' });
    rows.push({ metric: `failover, ${size} members: max`, candidate: a.percentile(1), baseline: b.percentile(1), unit: 'ms', better: 'lower' });
  }
  return {
    title: `Cluster failover (coordination backend, defaults): SIGKILL of the primary to the successor's onPrimary`,
    candidateName,
    baselineName,
    rows,
    notes: [
      `${o.trials} trials per size, each a fresh cluster; the primary alone in its process, the others in up to ${o.maxHostProcesses} processes, one session per member`,
      'anchor: the session timeout (10 s default): the server expires the dead session, then the next contender wins; the rest is election and notification',
    ],
  };
}
