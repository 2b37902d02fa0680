/**
 * Runs sharedFs cluster nodes as child processes (shared-fs-worker.ts) and
 * waits on the events they report. Every node's heartbeats can go through a
 * UDP relay, so a test can cut them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { PrimaryInfo } from '../../src/cluster/backend.js';
import type { SharedFsOptions } from '../../src/cluster/shared-fs/index.js';
import { freeUdpPorts, startUdpRelay, type UdpRelay } from '../support/udp-relay.js';

const here = dirname(fileURLToPath(import.meta.url));

/** One event a worker reported. */
export interface WorkerEvent {
  readonly ev: string;
  readonly at: number;
  readonly members?: string[];
  readonly data?: Record<string, unknown>;
  readonly primary?: PrimaryInfo | null;
  readonly epoch?: number;
  readonly reason?: string;
  readonly [key: string]: unknown;
}

/** Options every test node gets unless a test overrides them: the defaults, on loopback. */
export type NodeOptions = Omit<SharedFsOptions, 'dir' | 'cluster'>;

export class WorkerNode {
  readonly events: WorkerEvent[] = [];
  readonly exited: Promise<number | null>;
  private stderr = '';
  private waiters = new Set<() => void>();

  constructor(
    readonly name: string,
    readonly proc: ChildProcess,
  ) {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as WorkerEvent);
      } catch {
        this.stderr += `stdout: ${line}\n`;
      }
      for (const w of this.waiters) w();
    });
    proc.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
    void this.exited.then(() => {
      for (const w of this.waiters) w();
    });
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** The last view this node reported. */
  get view(): WorkerEvent | undefined {
    return this.events.filter((e) => e.ev === 'view').at(-1);
  }

  /** Whether this node holds the role now (its last elected/deposed was elected). */
  get isPrimary(): boolean {
    const last = this.events.filter((e) => e.ev === 'elected' || e.ev === 'deposed').at(-1);
    return last?.ev === 'elected';
  }

  all(ev: string): WorkerEvent[] {
    return this.events.filter((e) => e.ev === ev);
  }

  /** Resolves with the first event from index `from` on that satisfies `pred`. */
  async waitFor(pred: (e: WorkerEvent) => boolean, what: string, timeoutMs = 20_000, from = 0): Promise<WorkerEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.slice(from).find(pred);
      if (found !== undefined) return found;
      if (!this.alive && this.proc.exitCode !== null) throw new Error(`${this.name} exited (${this.proc.exitCode}) before ${what}\n${this.stderr}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: timed out waiting for ${what}; events:\n${this.events.map((e) => JSON.stringify(e)).join('\n')}\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, 500));
        const waiters = this.waiters;
        function done(): void {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        }
        waiters.add(done);
      });
    }
  }

  /** Waits until this node's latest view satisfies `pred`. */
  async waitForView(pred: (v: WorkerEvent) => boolean, what: string, timeoutMs = 20_000): Promise<WorkerEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = this.view;
      if (v !== undefined && pred(v)) return v;
      if (Date.now() > deadline) throw new Error(`${this.name}: timed out waiting for view ${what}; last: ${JSON.stringify(v)}\n${this.stderr}`);
      await this.waitFor(() => false, 'a change', 200, this.events.length).catch(() => undefined);
    }
  }

  send(line: string): void {
    this.proc.stdin!.write(`${line}\n`);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.alive) this.proc.kill(signal);
  }

  get stderrText(): string {
    return this.stderr;
  }
}

/** Names sorted as the backend orders members. */
export const sorted = (names: readonly string[]): string[] => [...names].sort();

export interface Cluster {
  readonly dir: string;
  readonly cluster: string;
  readonly relay: UdpRelay;
  readonly nodes: Map<string, WorkerNode>;
  /** Starts node `name` (heartbeats through the relay) and waits for its `started`. */
  start(name: string, extra?: { data?: unknown; candidate?: boolean; options?: NodeOptions }): Promise<WorkerNode>;
  node(name: string): WorkerNode;
  /** Kills every node, closes the relay, deletes the directory. */
  close(): Promise<void>;
}

/** A fresh shared directory and relay for one test. */
export async function createCluster(defaults: NodeOptions = {}): Promise<Cluster> {
  const dir = await mkdtemp(join(tmpdir(), 'herd-shared-fs-'));
  const relay = await startUdpRelay();
  const nodes = new Map<string, WorkerNode>();
  const cluster = 'test';
  return {
    dir,
    cluster,
    relay,
    nodes,
    async start(name, extra = {}) {
      const [port] = await freeUdpPorts(1);
      const front = await relay.add(name, port!);
      const options: SharedFsOptions = {
        dir,
        cluster,
        heartbeatPort: port,
        heartbeatBindHost: '127.0.0.1',
        heartbeatHost: '127.0.0.1',
        heartbeatAdvertisePort: front,
        ...defaults,
        ...extra.options,
      };
      const config = { identifier: name, data: extra.data ?? { name }, candidate: extra.candidate ?? true, options };
      const proc = spawn(process.execPath, [join(here, 'shared-fs-worker.js'), JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'pipe'] });
      const node = new WorkerNode(name, proc);
      nodes.set(name, node);
      await node.waitFor((e) => e.ev === 'started', 'start', 30_000);
      return node;
    },
    node(name) {
      const n = nodes.get(name);
      if (n === undefined) throw new Error(`no node ${name}`);
      return n;
    },
    async close() {
      for (const n of nodes.values()) n.kill();
      await Promise.all([...nodes.values()].map((n) => n.exited));
      await relay.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The nodes that currently hold the role, by their own account. */
export function primaries(nodes: Iterable<WorkerNode>): WorkerNode[] {
  return [...nodes].filter((n) => n.alive && n.isPrimary);
}

/** Every elected event of every node, in time order. */
export function elections(nodes: Iterable<WorkerNode>): { name: string; at: number; epoch: number }[] {
  return [...nodes]
    .flatMap((n) => n.all('elected').map((e) => ({ name: n.name, at: e.at, epoch: e.epoch ?? 0 })))
    .sort((a, b) => a.at - b.at);
}
