/**
 * The chaos test's handle on one worker.ts process: starts it (and again on
 * the same data directory and port after a SIGKILL), sends commands and
 * matches the answers. A command in flight when the process dies resolves
 * `{ ok: false, lost: true }`: its outcome is unknown.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sigkill } from '../../support/processes.js';
import type { WorkerConfig } from './worker.js';

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'worker.js');
/** How long a worker may take to open on a loaded machine, ms. */
const START_TIMEOUT = 60_000;

/** One answer of a worker. */
export type Answer =
  | { ok: true; value: unknown }
  | { ok: false; lost?: boolean; error?: string; code?: string; conflict?: boolean; message?: string };

/** A worker process that keeps its identifier, data directory and port across restarts. */
export class TablesNodeProcess {
  private child: ChildProcess | undefined;
  private nextId = 0;
  private readonly waiting = new Map<number, (a: Answer) => void>();
  private stderr = '';
  /** How many times it was started. */
  starts = 0;
  /** Exits the test did not cause (no kill, no stop), with the end of stderr: a crash of the tables node. */
  readonly crashes: string[] = [];
  private exitExpected = false;

  constructor(readonly config: WorkerConfig) {}

  get identifier(): string {
    return this.config.identifier;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process; resolves once its tables node is open. */
  async start(): Promise<void> {
    const child = spawn(process.execPath, [WORKER, JSON.stringify(this.config)], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.starts++;
    this.exitExpected = false;
    // A write racing the child's death: the exit handler settles what was in flight.
    child.stdin!.on('error', () => {});
    child.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-20_000)));
    let buffered = '';
    let opened = false;
    let ready!: () => void;
    const isReady = new Promise<void>((resolve) => (ready = resolve));
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line === 'READY') {
          opened = true;
          ready();
        }
        else if (line.startsWith('R ')) {
          const { id, ...answer } = JSON.parse(line.slice(2)) as Answer & { id: number };
          this.waiting.get(id)?.(answer);
          this.waiting.delete(id);
        }
      }
    });
    child.once('exit', (code, signal) => {
      if (opened && !this.exitExpected) this.crashes.push(`${this.identifier} exited (${code ?? signal}) on its own: ${this.stderr.slice(-3000)}`);
      for (const settle of this.waiting.values()) settle({ ok: false, lost: true });
      this.waiting.clear();
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        isReady,
        new Promise<never>((_, reject) => child.once('exit', (code, signal) => reject(new Error(`${this.identifier} exited (${code ?? signal}) before opening: ${this.stderr}`)))),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${this.identifier} did not open within ${START_TIMEOUT} ms: ${this.stderr}`)), START_TIMEOUT))),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends one command; resolves with its answer, or `lost` when the process died first (or is not running). */
  send(command: Record<string, unknown>): Promise<Answer> {
    if (!this.running) return Promise.resolve({ ok: false, lost: true });
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child!.stdin!.write(`${JSON.stringify({ id, ...command })}\n`);
    });
  }

  /** SIGKILL, and wait for the exit. */
  async kill(): Promise<void> {
    this.exitExpected = true;
    if (this.child) await sigkill(this.child);
  }

  /** Closes stdin (the worker closes its node and exits); SIGKILL after `ms`. */
  async stop(ms: number): Promise<void> {
    if (!this.running) return;
    const child = this.child!;
    this.exitExpected = true;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.stdin!.end();
    const timer = setTimeout(() => void sigkill(child), ms);
    await exited;
    clearTimeout(timer);
  }

  /** The end of what it printed on stderr, for failure messages. */
  log(): string {
    return this.stderr.slice(-4000);
  }
}
