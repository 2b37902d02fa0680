/**
 * Helpers of the storage-node tests: temporary data directories, a node on
 * a free loopback port, raw frames for the bad-input and fuzz tests, and a
 * raw connection that collects reply headers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JuteReader } from '../../../src/jute/reader.js';
import { JuteWriter } from '../../../src/jute/writer.js';
import { startLogNode, type LogEntry, type LogNodeHandle, type LogNodeOptions } from '../../../src/log/index.js';
import { ErrorBodyCodec, FrameDecoder, PROTOCOL_VERSION, readHeader, type FrameHeader } from '../../../src/log/protocol/index.js';

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
