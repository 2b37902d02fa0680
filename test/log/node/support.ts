/**
 * Helpers of the storage-node tests: temporary data directories, a node on
 * a free loopback port, a `herd log-node` child process (to SIGKILL), raw
 * frames for the bad-input and fuzz tests, and a raw connection that
 * collects reply headers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JuteReader } from '../../../src/jute/reader.js';
import { JuteWriter } from '../../../src/jute/writer.js';
import { startLogNode, type LogEntry, type LogNodeHandle, type LogNodeOptions } from '../../../src/log/index.js';
import { ErrorBodyCodec, FrameDecoder, PROTOCOL_VERSION, readHeader, type FrameHeader } from '../../../src/log/protocol/index.js';
import { sigkill } from '../../support/processes.js';

const dirs: string[] = [];

/** A fresh temporary directory, removed by {@link removeDirs}. */
export async function tempDir(name = 'log-node'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `herd-${name}-`));
  dirs.push(dir);
  return dir;
}

export async function removeDirs(): Promise<void> {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** A node on 127.0.0.1 and a free port (unless given), fsync off: these tests need restarts, not power loss. */
export function startTestNode(coordination: LogNodeOptions['coordination'], dataDir: string, options: Partial<LogNodeOptions> = {}): Promise<LogNodeHandle> {
  return startLogNode({ coordination, dataDir, host: '127.0.0.1', port: 0, fsync: false, closeTimeout: 1000, ...options });
}

const CLI = join(dirname(fileURLToPath(import.meta.url)), '../../../src/cli/main.js');

/** A running `herd log-node` child. */
export interface NodeProcess {
  readonly child: ChildProcess;
  readonly instanceId: string;
  readonly address: string;
  /** The URL it printed for its metrics (with `--metrics-port`). */
  readonly metricsUrl: string | undefined;
  /** What it printed on stderr, for failure messages. */
  readonly stderr: () => string;
  /** SIGKILL, resolving once it exited (at once when it already has). */
  kill(): Promise<void>;
}

/** Options of {@link startNodeProcess}. */
export interface NodeProcessOptions {
  /** Default 0 (a free port). */
  readonly port?: number;
  /** `--session-timeout`: how soon a killed node's registration goes, in ms. Default 2000. */
  readonly sessionTimeout?: number;
  /** More `herd log-node` arguments. */
  readonly args?: readonly string[];
}

/** Starts `herd log-node` on 127.0.0.1 and resolves once it printed that it serves (and its metrics URL, when asked for metrics). */
export function startNodeProcess(coordination: string, dataDir: string, options: NodeProcessOptions = {}): Promise<NodeProcess> {
  const { port = 0, sessionTimeout = 2000, args = [] } = options;
  const argv = [CLI, 'log-node', '--coordination', coordination, '--data-dir', dataDir, '--host', '127.0.0.1', '--port', String(port), '--session-timeout', String(sessionTimeout), ...args];
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  const wantsMetrics = args.includes('--metrics-port');
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const kill = (): Promise<void> => sigkill(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`log-node did not start within 20 s: ${err}`));
    }, 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /serving (\S+) as instance (\S+)\n/.exec(out);
      const metrics = /metrics at (\S+)\n/.exec(out);
      if (m && (!wantsMetrics || metrics)) {
        clearTimeout(timer);
        resolve({ child, address: m[1]!, instanceId: m[2]!, metricsUrl: metrics?.[1], stderr: () => err, kill });
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`log-node exited (${code ?? signal}) before serving: ${err}`));
    });
  });
}

/** A frame with any header fields and body bytes (the length prefix is right unless `length` says otherwise). */
export function rawFrame(fields: Partial<FrameHeader> & { body?: Buffer; length?: number }): Buffer {
  const w = new JuteWriter();
  w.int(0).int(fields.version ?? PROTOCOL_VERSION).int(fields.kind ?? 6).int(fields.requestId ?? 1).int(fields.status ?? 0);
  w.raw(fields.body ?? Buffer.alloc(0));
  const out = w.take();
  out.writeInt32BE(fields.length ?? out.length - 4, 0);
  return out;
}

/** A reply as the raw connection saw it. */
export interface RawReply {
  readonly header: FrameHeader;
  /** The body after the header. */
  readonly body: Buffer;
  /** The node's message when the status is not OK. */
  readonly message?: string;
}

/** A plain socket to a node that sends raw bytes and collects decoded replies. */
export class RawConnection {
  readonly replies: RawReply[] = [];
  closed = false;
  private readonly decoder = new FrameDecoder(64 * 1024 * 1024);
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.decoder.push(chunk, (event) => {
        if (event.type !== 'frame') throw new Error('oversized reply');
        const r = new JuteReader(event.frame);
        const header = readHeader(r);
        const body = event.frame.subarray(r.offset);
        const message = header.status === 0 ? undefined : ErrorBodyCodec.read(new JuteReader(body));
        this.replies.push({ header, body, ...(message !== undefined ? { message } : {}) });
      });
      this.wake();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  static connect(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: '127.0.0.1', port }, () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Waits until `count` replies have arrived (or the socket closed, or `ms` passed). */
  async waitReplies(count: number, ms = 5000): Promise<RawReply[]> {
    const deadline = Date.now() + ms;
    while (this.replies.length < count && !this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, Math.max(1, deadline - Date.now()));
      });
    }
    return this.replies;
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

/** An entry's fields for a test. */
export function entry(segmentId: number, entryId: number, text = `entry ${segmentId}/${entryId}`, timestamp = 1_700_000_000_000 + entryId) {
  return { segmentId, entryId, timestamp, lastAddConfirmed: entryId - 1, data: Buffer.from(text) };
}

/** Every entry of a stream, in order. */
export async function collect(iterable: AsyncIterable<LogEntry>): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of iterable) out.push(e);
  return out;
}
