/**
 * The load generator's wire layer: one lean ZooKeeper protocol connection.
 *
 * Requests are encoded once with the src/jute codecs into template frames;
 * sending one copies its template into the outgoing batch and patches the
 * xid. Replies are cut out of the byte stream and only their header is read
 * (xid, err): no body is decoded and nothing but a number is allocated per
 * reply. Replies come back in request order, so a FIFO of send times gives
 * each reply its latency. Every frame queued during one `data` event goes out
 * in one socket write.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { Ops } from '../src/jute/ops/index.js';
import { JuteReader } from '../src/jute/reader.js';
import { JuteWriter } from '../src/jute/writer.js';
import { ConnectRequestCodec, ConnectResponseCodec } from '../src/jute/records/connect.js';
import { RequestHeaderCodec } from '../src/jute/records/headers.js';

type OpName = keyof typeof Ops;
type RequestOf<N extends OpName> = Parameters<(typeof Ops)[N]['request']['write']>[1];

/** world:anyone with every permission, as ZooKeeper's OPEN_ACL_UNSAFE. */
export const OPEN_ACL = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

/** A complete request frame (length prefix included) whose xid is patched at send time. */
export interface Template {
  readonly bytes: Buffer;
}

export function template<N extends OpName>(opName: N, body: RequestOf<N>): Template {
  const op = Ops[opName];
  const w = new JuteWriter(256);
  const at = w.beginFrame();
  RequestHeaderCodec.write(w, { xid: 0, type: op.code });
  (op.request.write as (w: JuteWriter, v: unknown) => void)(w, body);
  w.endFrame(at);
  return { bytes: w.take() };
}

/** Called for each reply: its error code (0 = ok) and the latency in ms. */
export type ReplyHandler = (err: number, latencyMs: number) => void;

export class WireConnection {
  private buf: Buffer | null = null;
  private nextXid = 1;
  /** Send times of outstanding requests, oldest first (a ring). */
  private sentAt: Float64Array = new Float64Array(1024);
  private head = 0;
  private count = 0;
  private batch: Template[] = [];
  private batchBytes = 0;
  private inData = false;
  /** Fires for every reply after the handshake. */
  onReply: ReplyHandler = () => {};
  /** Fires once per `data` event, after its replies: the place to queue follow-ups. */
  afterReplies: () => void = () => {};
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }

  get outstanding(): number {
    return this.count;
  }

  /** Connects and completes the session handshake. */
  static async open(host: string, port: number, timeoutMs = 10_000): Promise<WireConnection> {
    const socket = netConnect({ host, port });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', reject);
        resolve();
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    const conn = new WireConnection(socket);
    await conn.handshake(timeoutMs);
    return conn;
  }

  private handshake(timeoutMs: number): Promise<void> {
    const w = new JuteWriter(64);
    const at = w.beginFrame();
    ConnectRequestCodec.write(w, {
      protocolVersion: 0,
      lastZxidSeen: 0n,
      timeOut: 30_000,
      sessionId: 0n,
      passwd: Buffer.alloc(16),
      readOnly: false,
    });
    w.endFrame(at);
    return new Promise<void>((resolve, reject) => {
      let pending = Buffer.alloc(0);
      const timer = setTimeout(() => fail(new Error('handshake timed out')), timeoutMs);
      const onData = (chunk: Buffer): void => {
        pending = Buffer.concat([pending, chunk]);
        if (pending.length < 4) return;
        const len = pending.readInt32BE(0);
        if (pending.length < 4 + len) return;
        this.socket.off('data', onData);
        this.socket.off('close', onClose);
        clearTimeout(timer);
        const res = ConnectResponseCodec.read(new JuteReader(pending, 4, 4 + len));
        if (res.timeOut <= 0) return fail(new Error('session refused'));
        const rest = pending.subarray(4 + len);
        this.socket.on('data', (c: Buffer) => this.onData(c));
        if (rest.length > 0) this.onData(rest);
        resolve();
      };
      const onClose = (): void => fail(new Error('connection closed during handshake'));
      const fail = (err: Error): void => {
        clearTimeout(timer);
        this.socket.destroy();
        reject(err);
      };
      this.socket.on('data', onData);
      this.socket.once('close', onClose);
      this.socket.write(w.take());
    });
  }

  /** Queues a request; it is written with the others queued in the same turn. */
  send(t: Template): void {
    if (this.count === this.sentAt.length) {
      const grown = new Float64Array(this.sentAt.length * 2);
      for (let i = 0; i < this.count; i++) grown[i] = this.sentAt[(this.head + i) % this.sentAt.length]!;
      this.sentAt = grown;
      this.head = 0;
    }
    this.sentAt[(this.head + this.count) % this.sentAt.length] = performance.now();
    this.count++;
    this.batch.push(t);
    this.batchBytes += t.bytes.length;
    if (!this.inData) this.flush();
  }

  private flush(): void {
    if (this.batch.length === 0) return;
    const out = Buffer.allocUnsafe(this.batchBytes);
    let at = 0;
    for (const t of this.batch) {
      t.bytes.copy(out, at);
      out.writeInt32BE(this.nextXid, at + 4);
      this.nextXid = this.nextXid === 0x7fff_ffff ? 1 : this.nextXid + 1;
      at += t.bytes.length;
    }
    this.batch = [];
    this.batchBytes = 0;
    this.socket.write(out);
  }

  private onData(chunk: Buffer): void {
    const buf = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
    this.buf = null;
    let off = 0;
    this.inData = true;
    const now = performance.now();
    while (buf.length - off >= 4) {
      const len = buf.readInt32BE(off);
      if (buf.length - off - 4 < len) break;
      const xid = buf.readInt32BE(off + 4);
      const err = buf.readInt32BE(off + 16);
      off += 4 + len;
      // Notifications (-1) and pings (-2) are not ours to time.
      if (xid < 0) continue;
      const t = this.sentAt[this.head]!;
      this.head = (this.head + 1) % this.sentAt.length;
      this.count--;
      this.onReply(err, now - t);
    }
    if (off < buf.length) this.buf = buf.subarray(off);
    this.afterReplies();
    this.inData = false;
    this.flush();
  }

  /** Resolves once every outstanding request has been answered (or the socket closed). */
  async drain(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.count > 0 && !this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  }

  close(): void {
    this.socket.destroy();
  }

  /** Ends the session (closeSession) so the server need not wait for it to time out, then closes. */
  async closeSession(timeoutMs = 2_000): Promise<void> {
    if (!this.closed) {
      await Promise.race([request(this, CLOSE_SESSION), new Promise((r) => setTimeout(r, timeoutMs))]);
    }
    this.close();
  }
}

const CLOSE_SESSION = template('closeSession', {} as never);

/** Sends one request and waits for its reply: for setup and readiness probes. */
export function request(conn: WireConnection, t: Template): Promise<number> {
  return new Promise((resolve) => {
    const previous = conn.onReply;
    conn.onReply = (err) => {
      conn.onReply = previous;
      resolve(err);
    };
    conn.send(t);
  });
}
