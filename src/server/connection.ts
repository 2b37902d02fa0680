import type { Socket } from 'node:net';
import { JuteDecodeError } from '../jute/decode-error.js';
import { JuteReader } from '../jute/reader.js';
import { ConnectRequestCodec, type ConnectRequest } from '../jute/records/connect.js';
import { SocketOutput } from '../jute/socket-output.js';
import type { JuteWriter } from '../jute/writer.js';
import { HeldReplies } from './held-replies.js';
import type { AuthId } from './acl.js';
import { normalizeClientIp } from './ip-address.js';
import type { Logger } from './logger.js';

/**
 * The network stage: one client socket. It cuts length-prefixed frames out
 * of the byte stream, hands the first (the ConnectRequest) and every later
 * request to its host in arrival order, and writes replies in the order they
 * were queued. A reply may wait on a zxid barrier until the log has made it
 * durable; later replies wait behind it, which keeps per-session FIFO order.
 * Any framing or decoding fault closes this connection only.
 *
 * Backpressure: the connection stops reading its socket (socket.pause, so
 * TCP flow control pushes back on the client) while the server has too many
 * requests unanswered ({@link ConnectionHost.overloaded}), and while more
 * than {@link ConnectionHost.sendBufferHighWaterMark} bytes of its own
 * replies wait to be written (a client that does not read). Frames already
 * read stay in the buffer and are handled when reading resumes. Watch
 * notifications cannot be held back that way (they come from other clients'
 * writes), so a connection whose unsent bytes pass
 * {@link ConnectionHost.maxSendBuffer} is closed with a warning; its session
 * survives until its timeout, as after any disconnect.
 */

export interface ConnectionHost {
  readonly maxFrameSize: number;
  readonly log: Logger;
  /** The last zxid the log has made durable; replies wait until it covers their barrier. */
  durableZxid(): bigint;
  handshake(conn: ServerConnection, req: ConnectRequest): void;
  /** A request: its header's xid and op code, and where its undecoded body lies in the socket chunk `buf`. */
  request(conn: ServerConnection, xid: number, type: number, buf: Buffer, start: number, end: number): void;
  /**
   * The reply text of a four-letter word (or its promise), null when the bytes
   * are not one, or NEED_MORE_BYTES when the word's argument (in `after`) is
   * not complete yet.
   */
  fourLetterWord(conn: ServerConnection, word: string, after: Buffer): string | Promise<string> | null | typeof NEED_MORE_BYTES;
  closed(conn: ServerConnection): void;
  /** Reply bytes a connection may have unwritten before it stops reading. */
  readonly sendBufferHighWaterMark: number;
  /** Unsent bytes (replies and notifications) past which a connection is closed: a client that does not read. */
  readonly maxSendBuffer: number;
  /**
   * The frames of one socket read are about to be handed over ({@link request}
   * and {@link handshake} calls follow, then {@link batchEnded}): they arrived
   * together, so the host may time them and check their session once.
   */
  batchStarted(conn: ServerConnection): void;
  /** The frames {@link batchStarted} announced have been handed over (or the connection stopped cutting them). */
  batchEnded(conn: ServerConnection): void;
  /** Requests handed to the host and not yet answered, as counted by connections: +n received, -n answered or dropped. */
  unanswered(delta: number): void;
  /** Whether the server has too many requests unanswered to read more. */
  overloaded(): boolean;
  /** This connection stopped reading because the server is overloaded: call {@link ServerConnection.resumeReading} later. */
  throttled(conn: ServerConnection): void;
}

/** {@link ConnectionHost.fourLetterWord}'s "wait": the word needs bytes that have not arrived yet. */
export const NEED_MORE_BYTES = Symbol('need more bytes');

type ConnectionState = 'handshake' | 'open' | 'closing' | 'closed';

const EMPTY = Buffer.alloc(0);

/**
 * A connection must complete its handshake (send a whole ConnectRequest)
 * within this many ms, or it is closed: ZooKeeper's sessionlessCnxnTimeout.
 * Without it a client that sends half a frame holds its slot forever.
 */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

export class ServerConnection {
  state: ConnectionState = 'handshake';
  sessionId = 0n;
  /** Identities of this connection: its ip, plus those added by auth packets. */
  authIds: AuthId[];
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly connectedAt = Date.now();
  received = 0;
  sent = 0;
  lastZxid = -1n;

  private pending: Buffer | null = null;
  /** Reads each frame's header (and the ConnectRequest) in place: one reader for every frame. */
  private readonly reader = new JuteReader(EMPTY);
  /** Frames that may go out, encoded in place; one socket write per turn of the event loop, without a copy. */
  private readonly output = new SocketOutput();
  /** Frames waiting for their zxid barrier to be durable (held-replies.ts). */
  private readonly held = new HeldReplies();
  /** The frame between {@link startFrame} and {@link endFrame}. */
  private frameWriter: JuteWriter = this.output.writer;
  private frameAt = 0;
  private frameBarrier = 0n;
  private flushScheduled = false;
  /** Stop reading frames once closing; a closeSession reply is the last thing sent. */
  private paused = false;
  /**
   * Requests (and the ConnectRequest) handed to the host whose reply has not
   * gone to the socket yet: the one count of unanswered requests (`cons`
   * shows it as queued; admission sums it over connections for backpressure).
   */
  private unansweredCount = 0;
  /** Reading is suspended for backpressure: 'server' (host overloaded) or 'send' (our replies unread). */
  private throttle: 'server' | 'send' | null = null;
  private resumeOnRelease = false;
  private handshakeTimer: NodeJS.Timeout | null;

  constructor(
    readonly socket: Socket,
    private readonly host: ConnectionHost,
  ) {
    this.remoteAddress = normalizeClientIp(socket.remoteAddress ?? '');
    this.remotePort = socket.remotePort ?? 0;
    this.authIds = [{ scheme: 'ip', id: this.remoteAddress }];
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => host.log.debug({ err: err.message, client: this.describe() }, 'socket error'));
    socket.on('close', () => this.onClose());
    this.handshakeTimer = setTimeout(() => {
      if (this.state === 'handshake') this.abort(`no handshake within ${HANDSHAKE_TIMEOUT_MS} ms`);
    }, HANDSHAKE_TIMEOUT_MS);
    this.handshakeTimer.unref();
  }

  describe(): string {
    return `${this.remoteAddress}:${this.remotePort}`;
  }

  get unanswered(): number {
    return this.unansweredCount;
  }

  /** True while reading is suspended for backpressure. */
  get readingPaused(): boolean {
    return this.throttle !== null;
  }

  private onData(chunk: Buffer): void {
    if (this.paused) return;
    let buf = this.pending ? (chunk.length === 0 ? this.pending : Buffer.concat([this.pending, chunk])) : chunk;
    this.pending = null;
    let offset = 0;
    this.host.batchStarted(this);
    try {
      while (!this.paused && buf.length - offset >= 4) {
        if (this.state === 'open' && this.mustWait()) break;
        if (this.state === 'handshake' && offset === 0) {
          const word = buf.toString('latin1', 0, 4);
          const reply = this.host.fourLetterWord(this, word, buf.subarray(4));
          if (reply === NEED_MORE_BYTES) break;
          if (reply !== null) {
            this.paused = true;
            // nc and friends half-close after the word: keep our side open until the answer is written.
            this.socket.allowHalfOpen = true;
            const answer = (text: string) => {
              this.socket.end(text);
              // ZooKeeper closes after answering: a peer that keeps its side open is cut off after a grace period.
              setTimeout(() => this.socket.destroy(), 5_000).unref();
            };
            if (typeof reply === 'string') answer(reply);
            else reply.then(answer, (err: unknown) => this.abort(`four-letter word ${word} failed: ${String(err)}`));
            return;
          }
        }
        const len = buf.readInt32BE(offset);
        if (len < 0 || len > this.host.maxFrameSize) {
          this.abort(`frame length ${len} outside 0..${this.host.maxFrameSize}`);
          return;
        }
        if (buf.length - offset - 4 < len) break;
        const start = offset + 4;
        offset = start + len;
        this.onFrame(buf, start, offset);
      }
    } catch (err) {
      const reason = err instanceof JuteDecodeError ? err.message : String(err);
      this.abort(`malformed frame: ${reason}`);
      if (!(err instanceof JuteDecodeError)) this.host.log.error({ err, client: this.describe() }, 'request failed');
      return;
    } finally {
      this.host.batchEnded(this);
    }
    if (offset < buf.length) this.pending = buf.subarray(offset);
  }

  private onFrame(buf: Buffer, start: number, end: number): void {
    this.received++;
    const r = this.reader.reset(buf, start, end);
    if (this.state === 'handshake') {
      this.state = 'open';
      this.clearHandshakeTimer();
      const req = ConnectRequestCodec.read(r);
      this.countRequest();
      this.host.handshake(this, req);
      return;
    }
    if (this.state !== 'open') return;
    // The request header (xid, type), read in place rather than as a record.
    const xid = r.int();
    const type = r.int();
    this.countRequest();
    this.host.request(this, xid, type, buf, r.offset, end);
  }

  private countRequest(): void {
    this.unansweredCount++;
    this.host.unanswered(1);
  }

  private countAnswer(): void {
    if (this.unansweredCount === 0) return;
    this.unansweredCount--;
    this.host.unanswered(-1);
  }

  /** No more replies will be sent: whatever is still unanswered stops counting against the server. */
  private settle(): void {
    if (this.unansweredCount === 0) return;
    this.host.unanswered(-this.unansweredCount);
    this.unansweredCount = 0;
  }

  /** Reply and notification bytes queued for this socket and not yet taken by the kernel, including replies waiting for fsync. */
  get sendBacklog(): number {
    return this.held.bytes + this.output.writer.offset + this.socket.writableLength;
  }

  /**
   * Whether the next frame must wait: if so, stops reading the socket and
   * arranges for {@link resumeReading} to run when the reason is gone.
   */
  private mustWait(): boolean {
    if (this.throttle !== null) return true;
    if (this.sendBacklog > this.host.sendBufferHighWaterMark) {
      this.throttle = 'send';
      this.socket.pause();
      // Over the mark means the socket's own buffer is full too, so 'drain' will come.
      this.flush();
      if (this.socket.writableNeedDrain) this.socket.once('drain', () => this.resumeReading());
      else if (this.hasWaitingReplies) this.resumeOnRelease = true;
      // Under the socket's own mark no 'drain' comes: look again shortly.
      else setTimeout(() => this.resumeReading(), 5);
      return true;
    }
    if (this.host.overloaded()) {
      this.throttle = 'server';
      this.socket.pause();
      this.host.throttled(this);
      return true;
    }
    return false;
  }

  /** Reads again after backpressure, first the frames already buffered (unless it must wait again). */
  resumeReading(): void {
    if (this.throttle === null) return;
    this.throttle = null;
    this.resumeOnRelease = false;
    if (this.state === 'closed' || this.paused) return;
    if (this.pending) this.onData(EMPTY);
    // onData may have closed the connection or throttled it again.
    if (this.canRead()) this.socket.resume();
  }

  private canRead(): boolean {
    return this.throttle === null && !this.paused && this.state !== 'closed';
  }

  /**
   * Queues one frame. `write` fills the frame body; `barrier` is the zxid
   * that must be durable before it may go out; `answers` when it is the reply
   * to a request (or the ConnectResponse), which counts as answered once it
   * goes to the socket.
   */
  send(barrier: bigint, write: (w: JuteWriter) => void, answers = false): void {
    const w = this.startFrame(barrier);
    if (w === null) return;
    write(w);
    this.endFrame(answers);
  }

  /**
   * Starts a frame that may go out once `barrier` is durable, for the caller
   * to encode in place (no closure, no buffer of its own); null when the
   * connection is closed. Finish it with {@link endFrame} before anything
   * else is sent on this connection.
   */
  startFrame(barrier: bigint): JuteWriter | null {
    if (this.state === 'closed') return null;
    const w = !this.hasWaitingReplies && barrier <= this.host.durableZxid() ? this.output.writer : this.held.writer;
    this.frameWriter = w;
    this.frameBarrier = barrier;
    this.frameAt = w.beginFrame();
    return w;
  }

  /** Ends the frame {@link startFrame} began; `answers` as in {@link send}. */
  endFrame(answers: boolean): void {
    const w = this.frameWriter;
    w.endFrame(this.frameAt);
    if (w !== this.held.writer) {
      if (answers) this.countAnswer();
      this.scheduleFlush();
    } else {
      this.held.add(this.frameBarrier, answers);
    }
    this.checkSendBuffer();
  }

  /** Closes a connection whose peer has stopped reading while its output keeps growing. */
  private checkSendBuffer(): void {
    const backlog = this.sendBacklog;
    if (backlog <= this.host.maxSendBuffer) return;
    this.host.log.warn(
      { client: this.describe(), sessionId: this.sessionId, unsentBytes: backlog, max: this.host.maxSendBuffer },
      'client is not reading: unsent output over the limit; closing connection',
    );
    this.close();
  }

  /** Queues the reply to a request (or the ConnectResponse): it counts as answered once it goes to the socket. */
  reply(barrier: bigint, write: (w: JuteWriter) => void): void {
    this.send(barrier, write, true);
  }

  /** Moves replies whose barrier is now durable to the socket, in order. */
  release(durable: bigint): void {
    const answered = this.held.release(durable, this.output.writer);
    if (answered < 0) return;
    for (let i = 0; i < answered; i++) this.countAnswer();
    this.scheduleFlush();
    if (this.state === 'closing' && !this.hasWaitingReplies) this.endSoon();
    // Throttled on replies that waited for fsync: look again once they are written.
    else if (this.throttle === 'send' && this.resumeOnRelease) {
      this.resumeOnRelease = false;
      queueMicrotask(() => this.resumeReading());
    }
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // One socket write per turn of the event loop, however many replies were queued.
    queueMicrotask(() => this.flush());
  }

  flush(): void {
    this.flushScheduled = false;
    if (this.state !== 'closed') this.output.flush(this.socket);
  }

  get hasWaitingReplies(): boolean {
    return !this.held.isEmpty;
  }

  /** Sends what is queued and then closes (closeSession, auth failure, unknown op). */
  closeAfterReplies(): void {
    this.paused = true;
    this.state = 'closing';
    if (!this.hasWaitingReplies) this.endSoon();
  }

  private endSoon(): void {
    queueMicrotask(() => {
      this.settle();
      this.flush();
      this.socket.end();
      this.state = 'closed';
    });
  }

  /** Protocol violation: log it and drop this connection at once. */
  abort(reason: string): void {
    if (this.state === 'closed') return;
    this.host.log.warn({ client: this.describe(), sessionId: this.sessionId, reason }, 'closing connection');
    this.close();
  }

  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.paused = true;
    this.settle();
    this.socket.destroy();
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
  }

  private onClose(): void {
    this.state = 'closed';
    this.clearHandshakeTimer();
    this.settle();
    this.host.closed(this);
  }
}
