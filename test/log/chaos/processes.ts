/**
 * The chaos tests' child processes: storage nodes (the `herd log-node`
 * command from the build, fsync on as in production) and log writers
 * (writer-worker.ts), each a real process that can be SIGKILLed,
 * SIGSTOPped and restarted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../node/support.js';
import { freePort } from '../../support/ports.js';
import type { WriterConfig } from './writer-worker.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CLI = join(HERE, '../../../src/cli/main.js');
const WORKER = join(HERE, 'writer-worker.js');
/** How long a child may take to start on a loaded machine, in ms. */
const START_TIMEOUT = 30_000;
/** The nodes' coordination session timeout, ms: how long a SIGKILLed node stays registered. */
const NODE_SESSION_TIMEOUT = 4000;
/** The nodes' auditor grace period (`--grace-period`), ms: short, so a killed node's copies are made elsewhere within the test. */
export const AUDITOR_GRACE_PERIOD = 2000;

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** A storage node process that keeps its data directory and port across restarts. */
export class NodeProcess {
  instanceId = '';
  address = '';
  private child: ChildProcess | undefined;
  private stderr = '';

  private constructor(
    private readonly coordination: string,
    readonly dataDir: string,
    readonly port: number,
  ) {}

  /** Starts a node on a fresh data directory and a free port. */
  static async start(coordination: string): Promise<NodeProcess> {
    const node = new NodeProcess(coordination, await tempDir('log-chaos'), await freePort());
    await node.restart();
    return node;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process again (same data directory, same port); resolves once it serves. */
  async restart(): Promise<void> {
    const args = [CLI, 'log-node', '--coordination', this.coordination, '--data-dir', this.dataDir, '--host', '127.0.0.1', '--port', String(this.port), '--session-timeout', String(NODE_SESSION_TIMEOUT), '--grace-period', String(AUDITOR_GRACE_PERIOD)];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.stderr = '';
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    let out = '';
    const { instanceId, address } = await new Promise<{ instanceId: string; address: string }>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`log-node on port ${this.port} did not start within ${START_TIMEOUT} ms: ${this.stderr}`));
      }, START_TIMEOUT);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /serving (\S+) as instance (\S+)\n/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve({ address: m[1]!, instanceId: m[2]! });
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`log-node on port ${this.port} exited (${code ?? signal}) before serving: ${this.stderr}`));
      });
    });
    if (this.instanceId !== '' && instanceId !== this.instanceId) throw new Error(`log-node on ${this.dataDir} came back as ${instanceId}, not ${this.instanceId}`);
    this.instanceId = instanceId;
    this.address = address;
  }

  /** SIGKILL, and wait for the exit. */
  async kill(): Promise<void> {
    if (!this.running) return;
    const done = exited(this.child!);
    this.child!.kill('SIGKILL');
    await done;
  }

  /** What the process printed on stderr (its log), for failure messages. */
  log(): string {
    return this.stderr;
  }
}

/** What a writer process reported so far. */
export interface WriterReport {
  segmentIds: number[];
  /** The highest seq in a SENT line. */
  sent: number;
  /** Entries acknowledged (and recorded). */
  acked: number;
  /** Rejections by error name, with the seq of the batch. */
  rejected: { name: string; seq: number; text: string }[];
  fenced: string | undefined;
  fatal: string | undefined;
  closed: boolean;
  /** `probe` batches answered. */
  probed: number;
}

/** A writer-worker.ts process. */
export class WriterProcess {
  readonly report: WriterReport = { segmentIds: [], sent: -1, acked: 0, rejected: [], fenced: undefined, fatal: undefined, closed: false, probed: 0 };
  private stderr = '';
  private listeners: (() => void)[] = [];

  private constructor(
    readonly config: WriterConfig,
    private readonly child: ChildProcess,
  ) {
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    let buffered = '';
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) this.line(line);
      for (const wake of this.listeners.splice(0)) wake();
    });
    child.once('exit', () => {
      for (const wake of this.listeners.splice(0)) wake();
    });
  }

  /** Starts a writer; resolves once its log is open. */
  static async start(config: Omit<WriterConfig, 'lanes' | 'batch' | 'maxSegmentEntries' | 'nodeTimeout' | 'pause'> & Partial<WriterConfig>): Promise<WriterProcess> {
    const full: WriterConfig = { lanes: 4, batch: 4, maxSegmentEntries: 400, nodeTimeout: 3000, pause: 2, ...config };
    const child = spawn(process.execPath, [WORKER, JSON.stringify(full)], { stdio: ['pipe', 'pipe', 'pipe'] });
    const writer = new WriterProcess(full, child);
    await writer.until(() => writer.report.segmentIds.length > 0, START_TIMEOUT, 'its log to open');
    return writer;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves once `done()` holds; rejects after `ms`, or when the process exits first. */
  until(done: () => boolean, ms: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(this.failure(`timed out after ${ms} ms waiting for ${what}`)), ms);
      const check = (): void => {
        if (done()) {
          clearTimeout(timer);
          resolve();
        } else if (!this.running) {
          clearTimeout(timer);
          reject(this.failure(`exited while waiting for ${what}`));
        } else this.listeners.push(check);
      };
      check();
    });
  }

  /** Waits until `count` more entries are acknowledged than now. */
  progress(count: number, ms: number, what: string): Promise<void> {
    const target = this.report.acked + count;
    return this.until(() => this.report.acked >= target, ms, `${count} more acknowledgements (${what})`);
  }

  signal(signal: 'SIGKILL' | 'SIGSTOP' | 'SIGCONT'): void {
    this.child.kill(signal);
  }

  /** SIGKILL, and wait for the exit. */
  async kill(): Promise<void> {
    if (!this.running) return;
    const done = exited(this.child);
    this.child.kill('SIGKILL');
    await done;
  }

  /** Has the writer append one more batch; resolves once it was acknowledged or refused (see the report). */
  async probe(ms: number): Promise<void> {
    const target = this.report.probed + 1;
    this.child.stdin!.write('probe\n');
    await this.until(() => this.report.probed >= target, ms, 'a probe batch');
  }

  /** Asks the writer to stop appending and close its log; resolves once it exited 0. */
  async stop(ms: number): Promise<void> {
    this.child.stdin!.write('stop\n');
    await this.until(() => this.report.closed || this.report.fatal !== undefined, ms, 'the log to close');
    if (this.report.fatal !== undefined) throw this.failure('closing failed');
    await exited(this.child);
  }

  private line(line: string): void {
    const [kind, a, b] = line.split(' ');
    const rest = (n: number): string => line.split(' ').slice(n).join(' ');
    if (kind === 'OPEN') this.report.segmentIds.push(Number(a));
    else if (kind === 'SENT') this.report.sent = Math.max(this.report.sent, Number(a));
    else if (kind === 'ACK') this.report.acked = Number(b);
    else if (kind === 'REJECTED') this.report.rejected.push({ name: a!, seq: Number(b), text: rest(3) });
    else if (kind === 'FENCED') this.report.fenced = rest(1);
    else if (kind === 'FATAL') this.report.fatal = rest(1);
    else if (kind === 'CLOSED') this.report.closed = true;
    else if (kind === 'PROBED') this.report.probed++;
  }

  private failure(what: string): Error {
    const r = this.report;
    const rejected = r.rejected.slice(-5).map((x) => `${x.name} at ${x.seq}: ${x.text}`);
    return new Error(`writer ${this.config.writer}: ${what}; acked ${r.acked}, sent up to ${r.sent}, fenced ${r.fenced ?? 'no'}, fatal ${r.fatal ?? 'no'}, last rejections [${rejected.join(' | ')}]; stderr: ${this.stderr.slice(-2000)}`);
  }
}
