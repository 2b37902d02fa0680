/**
 * Helpers of the cluster tests: nodes that record what they were told, and
 * child-process members (worker.ts) whose JSON event lines are collected.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { joinCluster, type ClusterNode, type JoinClusterOptions } from '../../src/cluster/index.js';
import type { Target } from '../support/targets.js';

export interface Recorded {
  node: ClusterNode;
  /** What the callbacks saw, in order: 'primary:<epoch>', 'secondary:<epoch>', 'exit:<by>'. */
  log: string[];
  epochs: number[];
  degraded: number;
  recovered: number;
}

let clusters = 0;

/** A cluster name no other test (or earlier run on the same server) uses. */
export function clusterName(): string {
  return `c-${process.pid}-${Date.now().toString(36)}-${clusters++}`;
}

/** Options of {@link CoordinationMembers.join}: the backend defaults to the target's server. */
export type JoinOptions = Omit<JoinClusterOptions, 'backend'> & { backend?: JoinClusterOptions['backend'] };

/**
 * The nodes a coordination-backend suite joined on one target, all closed
 * by `leaveAll` (call it after each test).
 */
export class CoordinationMembers {
  private readonly running: Recorded[] = [];

  constructor(
    private readonly target: () => Target,
    private readonly sessionTimeout: number,
  ) {}

  async join(options: JoinOptions, shared?: string[]): Promise<Recorded> {
    const backend = { coordination: this.target().connectionString, sessionTimeout: this.sessionTimeout };
    const rec = await joinRecorded({ backend, ...options }, shared);
    this.running.push(rec);
    return rec;
  }

  async leaveAll(): Promise<void> {
    await Promise.all(this.running.splice(0).map((r) => r.node.close({ timeout: 5000 })));
  }
}

/** The recorded nodes that are primary now. */
export function primaries(recs: readonly Recorded[]): Recorded[] {
  return recs.filter((r) => r.node.isPrimary);
}

/** Joins with callbacks that record into the returned log. */
export async function joinRecorded(options: JoinClusterOptions, shared?: string[]): Promise<Recorded> {
  const rec = { log: [] as string[], epochs: [] as number[], degraded: 0, recovered: 0 } as Recorded;
  const name = options.identifier ?? '?';
  const push = (s: string): void => {
    rec.log.push(s);
    shared?.push(`${name}:${s}`);
  };
  rec.node = await joinCluster({
    ...options,
    onPrimary: async (ctx) => {
      rec.epochs.push(ctx.epoch);
      push(`primary:${ctx.epoch}`);
      await options.onPrimary?.(ctx);
    },
    onSecondary: async (ctx) => {
      push(`secondary:${ctx.epoch}`);
      await options.onSecondary?.(ctx);
    },
    onExit: async (info) => {
      push(`exit:${info.by.identifier}`);
      await options.onExit?.(info);
    },
  });
  rec.node.on('degraded', () => rec.degraded++);
  rec.node.on('recovered', () => rec.recovered++);
  return rec;
}

const here = dirname(fileURLToPath(import.meta.url));
export const WORKER = join(here, 'worker.js');

export interface WorkerEvent {
  event: string;
  identifier: string;
  at: number;
  epoch?: number;
  members?: string[];
  left?: string[];
}

/** A member in a child process. */
export class Worker {
  readonly events: WorkerEvent[] = [];
  readonly exited: Promise<number | null>;
  private waiters = new Set<() => void>();

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as WorkerEvent);
      } catch {
        return;
      }
      for (const w of this.waiters) w();
    });
    child.stderr!.on('data', (d: Buffer) => process.stderr.write(`[${name}] ${d.toString()}`));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  static start(options: JoinClusterOptions): Worker {
    const child = spawn(process.execPath, [WORKER, JSON.stringify(options)], { stdio: ['pipe', 'pipe', 'pipe'] });
    return new Worker(options.identifier!, child);
  }

  /** The first event matching `pred`, waiting up to `ms`. */
  async waitFor(pred: (e: WorkerEvent) => boolean, ms = 20_000, what = 'event'): Promise<WorkerEvent> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.events.find(pred);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: timed out waiting for ${what}; got ${JSON.stringify(this.events.map((e) => e.event))}`);
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.waiters.add(done);
      });
    }
  }

  /** True while its last primary/secondary event was 'primary'. */
  get isPrimary(): boolean {
    const last = this.events.filter((e) => e.event === 'primary' || e.event === 'secondary').at(-1);
    return last?.event === 'primary';
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.child.kill(signal);
  }
}
