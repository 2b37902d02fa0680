/**
 * A minimal raw ZooKeeper protocol driver over node:net, for exact
 * comparisons between servers. It is deliberately NOT the Herd client: it
 * sends exactly what it is told (jute codecs from src/jute only), matches
 * replies to requests in order, and collects notifications (xid -1).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { Ops } from '../../src/jute/ops/index.js';
import { JuteReader } from '../../src/jute/reader.js';
import { JuteWriter } from '../../src/jute/writer.js';
import { ConnectRequestCodec, ConnectResponseCodec, type ConnectResponse } from '../../src/jute/records/connect.js';
import { ReplyHeaderCodec, RequestHeaderCodec, type ReplyHeader } from '../../src/jute/records/headers.js';
import { WatcherEventCodec, type WatcherEvent } from '../../src/jute/records/watcher-event.js';

export type OpName = keyof typeof Ops;
type OpTable = typeof Ops;
export type RequestBody<N extends OpName> = Parameters<OpTable[N]['request']['write']>[1];
export type ResponseBody<N extends OpName> = ReturnType<OpTable[N]['response']['read']>;

export interface RawReply<B = unknown> {
  header: ReplyHeader;
  body?: B;
  /** Set when the body could not be decoded with the op's response codec. */
  decodeError?: string;
  /** The undecoded reply body bytes (after the header). */
  raw: Buffer;
}

export interface ConnectOptions {
  /** Session timeout asked for, ms. Default 30000. */
  timeout?: number;
  /** undefined: the optional readOnly byte is omitted. */
  readOnly?: boolean | undefined;
  sessionId?: bigint;
  passwd?: Buffer;
  lastZxidSeen?: bigint;
  /** How long to wait for the ConnectResponse, ms. Default 10000. */
  handshakeTimeout?: number;
}

interface Pending {
  timer: NodeJS.Timeout;
  xid: number;
  decode: ((r: JuteReader) => unknown) | null;
  resolve: (reply: RawReply) => void;
  reject: (err: Error) => void;
}

export class RawSession {
  readonly events: WatcherEvent[] = [];
  /** Resolves when the server closes the socket (or it errors). */
  readonly closed: Promise<void>;
  connectResponse!: ConnectResponse;
  isClosed = false;

  private buf: Buffer = Buffer.alloc(0);
  private handshakeDone = false;
  private handshakeWaiter: { resolve: (r: ConnectResponse) => void; reject: (e: Error) => void } | null = null;
  private readonly pending: Pending[] = [];
  private eventWaiters: Array<() => void> = [];
  private nextXid = 1;
  /** Replies that arrived with an xid that matched no pending request (kept for assertions). */
  readonly unmatched: RawReply[] = [];
  /** How long a request waits for its reply before failing, ms. */
  requestTimeout = 5000;
  /** Every frame received after the handshake, in arrival order: replies and notifications. */
  readonly frames: Array<{ xid: number; zxid: bigint; err: number; event?: WatcherEvent }> = [];

  private constructor(readonly socket: Socket) {
    let resolveClosed!: () => void;
    this.closed = new Promise<void>((r) => (resolveClosed = r));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.isClosed = true;
      const err = new Error('connection closed');
      this.handshakeWaiter?.reject(err);
      this.handshakeWaiter = null;
      for (const p of this.pending.splice(0)) p.reject(err);
      for (const w of this.eventWaiters.splice(0)) w();
      resolveClosed();
    });
  }

  get sessionId(): bigint {
    return this.connectResponse.sessionId;
  }

  get passwd(): Buffer {
    return this.connectResponse.passwd;
  }

  /** Opens a socket only (no handshake): for malformed-input tests. */
  static async open(hostPort: string): Promise<RawSession> {
    const [host, portText] = splitHostPort(hostPort);
    const socket = netConnect({ host, port: Number(portText) });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawSession(socket);
  }

  /** Connects and performs the handshake. */
  static async connect(hostPort: string, options: ConnectOptions = {}): Promise<RawSession> {
    const s = await RawSession.open(hostPort);
    try {
      await s.handshake(options);
    } catch (err) {
      s.socket.destroy();
      throw err;
    }
    return s;
  }

  /** Sends a ConnectRequest and waits for the ConnectResponse. */
  handshake(options: ConnectOptions = {}): Promise<ConnectResponse> {
    const w = new JuteWriter();
    const at = w.beginFrame();
    ConnectRequestCodec.write(w, {
      protocolVersion: 0,
      lastZxidSeen: options.lastZxidSeen ?? 0n,
      timeOut: options.timeout ?? 30000,
      sessionId: options.sessionId ?? 0n,
      passwd: options.passwd ?? Buffer.alloc(16),
      ...(options.readOnly === undefined ? {} : { readOnly: options.readOnly }),
    });
    w.endFrame(at);
    const promise = new Promise<ConnectResponse>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('handshake timed out')), options.handshakeTimeout ?? 10000);
      this.handshakeWaiter = {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
    this.socket.write(w.take());
    return promise;
  }

  /** Sends a request with the op's codec; the reply promise resolves with the decoded body (when err is 0). */
  send<N extends OpName>(opName: N, body: RequestBody<N>, opts: { xid?: number } = {}): Promise<RawReply<ResponseBody<N>>> {
    const op = Ops[opName];
    const xid = opts.xid ?? this.nextXid++;
    const w = new JuteWriter();
    const at = w.beginFrame();
    RequestHeaderCodec.write(w, { xid, type: op.code });
    (op.request.write as (w: JuteWriter, v: unknown) => void)(w, body);
    w.endFrame(at);
    return this.sendFrame(w.take(), xid, (r) => op.response.read(r)) as Promise<RawReply<ResponseBody<N>>>;
  }

  /** Sends a header with any type code and raw body bytes; the reply body is left undecoded. */
  sendType(type: number, body: Uint8Array = Buffer.alloc(0), opts: { xid?: number } = {}): Promise<RawReply> {
    const xid = opts.xid ?? this.nextXid++;
    const w = new JuteWriter();
    const at = w.beginFrame();
    RequestHeaderCodec.write(w, { xid, type });
    w.raw(body);
    w.endFrame(at);
    return this.sendFrame(w.take(), xid, null);
  }

  /** Writes bytes as they are (no framing added). */
  sendRaw(bytes: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  private sendFrame(bytes: Buffer, xid: number, decode: Pending['decode']): Promise<RawReply> {
    if (this.isClosed) return Promise.reject(new Error('connection closed'));
    return new Promise<RawReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.pending.indexOf(entry);
        if (i >= 0) this.pending.splice(i, 1);
        reject(new Error(`no reply to xid ${xid} within ${this.requestTimeout} ms`));
      }, this.requestTimeout);
      const entry: Pending = {
        timer,
        xid,
        decode,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.pending.push(entry);
      this.socket.write(bytes);
    });
  }

  /** The next notification not yet taken, or null after timeoutMs. */
  async nextEvent(timeoutMs = 2000): Promise<WatcherEvent | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ev = this.events.shift();
      if (ev) return ev;
      const left = deadline - Date.now();
      if (left <= 0 || this.isClosed) return null;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.eventWaiters.push(done);
      });
    }
  }

  /** Closes the socket without closeSession. */
  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 4) {
      const len = this.buf.readInt32BE(0);
      if (this.buf.length < 4 + len) break;
      const frame = this.buf.subarray(4, 4 + len);
      this.buf = this.buf.subarray(4 + len);
      this.onFrame(frame);
    }
  }

  private onFrame(frame: Buffer): void {
    const r = new JuteReader(frame);
    if (!this.handshakeDone) {
      this.handshakeDone = true;
      const res = ConnectResponseCodec.read(r);
      this.connectResponse = res;
      this.handshakeWaiter?.resolve(res);
      this.handshakeWaiter = null;
      return;
    }
    const header = ReplyHeaderCodec.read(r);
    if (header.xid === -1) {
      const event = WatcherEventCodec.read(r);
      this.frames.push({ ...header, event });
      this.events.push(event);
      for (const w of this.eventWaiters.splice(0)) w();
      return;
    }
    this.frames.push({ ...header });
    const raw = Buffer.from(frame.subarray(r.offset));
    const idx = this.pending.findIndex((p) => p.xid === header.xid);
    // Replies are matched in order; a special xid (ping, auth) is matched by value.
    const p = idx >= 0 ? this.pending.splice(idx, 1)[0]! : this.pending.shift();
    const reply: RawReply = { header, raw };
    if (!p) {
      this.unmatched.push(reply);
      return;
    }
    if (header.err === 0 && p.decode && raw.length > 0) {
      try {
        reply.body = p.decode(new JuteReader(raw));
      } catch (err) {
        reply.decodeError = (err as Error).message;
      }
    }
    p.resolve(reply);
  }
}

function splitHostPort(hostPort: string): [string, string] {
  const first = hostPort.split(',')[0]!;
  const i = first.lastIndexOf(':');
  return [first.slice(0, i), first.slice(i + 1)];
}
