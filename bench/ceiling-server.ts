/**
 * The ceiling: the fastest a Node server on this machine can answer the load
 * generator's frames. A plain TCP server that decodes nothing and keeps no
 * tree: it cuts frames, copies each request's xid into a reply encoded once at
 * start-up (getData: header + 100-byte value + Stat; setData: header + Stat;
 * anything else, create and closeSession included: a bare header), and
 * writes one socket batch per turn, through the same output as Herd's
 * connections (src/jute/socket-output.ts: replies copied in place into the
 * turn's buffer, which goes to the socket without another copy), so the two
 * pay the same per-reply output cost. Writes follow Herd's fsync policy (its
 * FileTxnLog): the frames of a turn go to a preallocated log file in one
 * write and one fdatasync (group commit, the next batch filling while one is
 * on its way), and no reply leaves before the writes it follows are durable;
 * a read waits behind the writes of its connection, as in Herd.
 *
 * Usage (by bench/servers.ts): node ceiling-server.js <port> <dataDir>
 */
import { open, type FileHandle } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { OpCode } from '../src/jute/op-codes.js';
import { ConnectResponseCodec } from '../src/jute/records/connect.js';
import { ReplyHeaderCodec } from '../src/jute/records/headers.js';
import { StatCodec } from '../src/jute/records/stat.js';
import { SocketOutput } from '../src/jute/socket-output.js';
import { JuteWriter } from '../src/jute/writer.js';
import type { ChildMessage, ChildRequest } from './herd-server-child.js';

/** Log file growth step, as Herd's default preallocation. */
const PREALLOCATE = 64 * 1024 * 1024;
const VALUE_SIZE = 100;

function frame(write: (w: JuteWriter) => void): Buffer {
  const w = new JuteWriter(256);
  const at = w.beginFrame();
  write(w);
  w.endFrame(at);
  return w.take();
}

const STAT = { czxid: 1n, mzxid: 2n, ctime: 0, mtime: 0, version: 1, cversion: 0, aversion: 0, ephemeralOwner: 0n, dataLength: VALUE_SIZE, numChildren: 0, pzxid: 1n };
const header = (w: JuteWriter): void => void ReplyHeaderCodec.write(w, { xid: 0, zxid: 2n, err: 0 });
const REPLIES = new Map<number, Buffer>([
  [OpCode.getData, frame((w) => (header(w), w.buffer(Buffer.alloc(VALUE_SIZE, 7)), StatCodec.write(w, STAT)))],
  [OpCode.setData, frame((w) => (header(w), StatCodec.write(w, STAT)))],
]);
const BARE = frame(header);
/** Each reply after its length and xid, sliced once. */
const TAILS = new Map<number, Buffer>([...REPLIES].map(([type, bytes]) => [type, bytes.subarray(8)]));
const BARE_TAIL = BARE.subarray(8);
const CONNECT = frame((w) => ConnectResponseCodec.write(w, { protocolVersion: 0, timeOut: 30_000, sessionId: 1n, passwd: Buffer.alloc(16, 1), readOnly: false }));
const READS = new Set<number>([OpCode.getData, OpCode.exists, OpCode.getChildren, OpCode.getChildren2, OpCode.ping]);

/** The log: one file, preallocated, a batch per write + fdatasync. */
class CeilingLog {
  private pending: Buffer[] = [];
  private flushing = false;
  private position = 0;
  private allocated = 0;
  /** Batches appended (assigned) and made durable, counted. */
  appended = 0;
  durable = 0;
  onDurable: () => void = () => {};

  constructor(private readonly fh: FileHandle) {}

  /** The batch of the newest write: a read waits for it, as a read in Herd waits for every applied write. */
  get lastAssigned(): number {
    return this.pending.length > 0 ? this.appended + 1 : this.appended;
  }

  /** Adds a write frame to the current batch; returns the batch number it becomes durable with. */
  append(bytes: Buffer): number {
    this.pending.push(bytes);
    if (!this.flushing) {
      this.flushing = true;
      // Everything appended during this turn goes in one batch.
      setImmediate(() => void this.flush());
    }
    return this.appended + 1;
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = Buffer.concat(this.pending);
      this.pending = [];
      const number = ++this.appended;
      if (this.position + batch.length > this.allocated) {
        this.allocated = Math.ceil((this.position + batch.length) / PREALLOCATE) * PREALLOCATE;
        await this.fh.truncate(this.allocated);
        await this.fh.sync();
      }
      await this.fh.write(batch, 0, batch.length, this.position);
      this.position += batch.length;
      await this.fh.datasync();
      this.durable = number;
      this.onDurable();
    }
    this.flushing = false;
  }
}

class CeilingConnection {
  private rest: Buffer | null = null;
  private handshaken = false;
  /** Replies waiting for a log batch, in order: [batch, bytes]. */
  private readonly held: Array<[number, Buffer]> = [];
  private readonly output = new SocketOutput();
  private flushQueued = false;

  constructor(
    private readonly socket: Socket,
    private readonly log: CeilingLog,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined);
  }

  private onData(chunk: Buffer): void {
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    this.rest = null;
    let off = 0;
    while (buf.length - off >= 4) {
      const len = buf.readInt32BE(off);
      if (buf.length - off - 4 < len) break;
      this.onFrame(buf, off, len);
      off += 4 + len;
    }
    if (off < buf.length) this.rest = buf.subarray(off);
  }

  private onFrame(buf: Buffer, off: number, len: number): void {
    if (!this.handshaken) {
      this.handshaken = true;
      this.queue(0, CONNECT);
      return;
    }
    const type = buf.readInt32BE(off + 8);
    const template = REPLIES.get(type) ?? BARE;
    // A write waits for its own batch.
    const barrier = READS.has(type) ? this.log.lastAssigned : this.log.append(buf.subarray(off, off + 4 + len));
    if (this.held.length === 0 && barrier <= this.log.durable) {
      // Encoded in place into the turn's output, as Herd's replies are (no buffer per reply): length, xid, the rest.
      this.output.writer.int(template.length - 4).int(buf.readInt32BE(off + 4)).raw(TAILS.get(type) ?? BARE_TAIL);
      this.scheduleFlush();
    } else {
      const reply = Buffer.from(template);
      buf.copy(reply, 4, off + 4, off + 8);
      this.held.push([barrier, reply]);
    }
    if (type === OpCode.closeSession) this.socket.end();
  }

  private queue(barrier: number, bytes: Buffer): void {
    if (this.held.length === 0 && barrier <= this.log.durable) this.send(bytes);
    else this.held.push([barrier, bytes]);
  }

  /** Sends the held replies whose batch is durable now. */
  release(): void {
    let n = 0;
    while (n < this.held.length && this.held[n]![0] <= this.log.durable) this.send(this.held[n++]![1]);
    if (n > 0) this.held.splice(0, n);
  }

  get holding(): boolean {
    return this.held.length > 0;
  }

  private send(bytes: Buffer): void {
    this.output.writer.raw(bytes);
    this.scheduleFlush();
  }

  /** One socket write per turn, handed over without a copy: the same output path as Herd's connections (SocketOutput). */
  private scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      this.output.flush(this.socket);
    });
  }
}

async function main(): Promise<void> {
  const [portText, dataDir] = process.argv.slice(2);
  if (portText === undefined || dataDir === undefined) throw new Error('usage: ceiling-server <port> <dataDir>');
  const log = new CeilingLog(await open(join(dataDir, 'ceiling.log'), 'w'));
  const conns = new Set<CeilingConnection>();
  log.onDurable = () => {
    for (const c of conns) if (c.holding) c.release();
  };
  const server = createServer((socket) => {
    const conn = new CeilingConnection(socket, log);
    conns.add(conn);
    socket.on('close', () => conns.delete(conn));
  });
  await new Promise<void>((resolve) => server.listen(Number(portText), '127.0.0.1', resolve));
  const send = (m: ChildMessage): void => void process.send?.(m);
  process.on('message', (m: ChildRequest) => {
    if (m.type === 'memory') {
      const u = process.memoryUsage();
      send({ type: 'memory', rss: u.rss, heapUsed: u.heapUsed, external: u.external, arrayBuffers: u.arrayBuffers });
    } else if (m.type === 'stop') process.exit(0);
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', port: Number(portText), ms: 0 });
}

main().catch((err: unknown) => {
  process.stderr.write(`ceiling-server: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
