import * as net from 'node:net';
import * as tls from 'node:tls';
import { ConnectionLossError, HerdError } from '../errors.js';
import { JuteWriter } from '../jute/writer.js';
import { FrameReader } from './frame-reader.js';

/** What a {@link Connection} reports to its owner. */
export interface ConnectionHandlers {
  /** The TCP connection is established; frames may be sent. */
  onConnect(): void;
  /**
   * One frame body from the server. Anything thrown here is treated as a
   * protocol error: the connection is closed and `onClose` is called.
   */
  onFrame(frame: Buffer): void;
  /**
   * The connection is gone (socket error, closed by the server, malformed
   * frame). Called at most once, never after the owner called
   * {@link Connection.destroy}.
   */
  onClose(error: HerdError): void;
}

/** Where and how to connect. */
export interface ConnectionOptions {
  host: string;
  port: number;
  /** The largest frame body accepted from the server. */
  maxFrameSize: number;
  /** Speak TLS: node:tls options (certificates, servername, ...); host and port come from above. */
  tls?: tls.ConnectionOptions;
}

/**
 * One TCP socket to one server: length-prefixed framing in both directions.
 * Outgoing frames are encoded straight into one buffer and written with a
 * single `socket.write` per microtask, so a burst of requests costs one
 * syscall. Nothing the network sends can throw out of a socket event
 * handler: every failure becomes one `onClose` call.
 */
export class Connection {
  private readonly socket: net.Socket;
  private readonly reader: FrameReader;
  private readonly out = new JuteWriter(4096);
  private flushScheduled = false;
  private closed = false;

  constructor(
    readonly options: ConnectionOptions,
    private readonly handlers: ConnectionHandlers,
  ) {
    this.reader = new FrameReader(options.maxFrameSize);
    const socket = options.tls
      ? tls.connect({ ...options.tls, host: options.host, port: options.port })
      : net.connect({ host: options.host, port: options.port });
    this.socket = socket;
    socket.setNoDelay(true);
    // Over TLS, frames may only be written once the handshake is done (a failed one is an 'error').
    socket.on(options.tls ? 'secureConnect' : 'connect', () => {
      if (!this.closed) this.guard(() => this.handlers.onConnect());
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err: Error) => this.fail(new ConnectionLossError(`socket error: ${err.message}`)));
    socket.on('close', () => this.fail(new ConnectionLossError('connection closed by the server')));
  }

  /** The remote address as `host:port`. */
  get address(): string {
    return this.options.host.includes(':')
      ? `[${this.options.host}]:${this.options.port}`
      : `${this.options.host}:${this.options.port}`;
  }

  /** True once closed, by either side. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Encodes one frame with `encode` (its length prefix is added here) and
   * queues it for the next flush. If `encode` throws, nothing of the frame is
   * kept and the error propagates to the caller. Frames sent after the
   * connection closed are dropped. `arg` is passed to `encode`, so a hot
   * caller can pass a shared function instead of a new closure per frame.
   */
  send<A = undefined>(encode: (w: JuteWriter, arg: A) => void, arg?: A): void {
    if (this.closed) return;
    const out = this.out;
    const at = out.beginFrame();
    try {
      encode(out, arg as A);
    } catch (err) {
      out.offset = at;
      throw err;
    }
    out.endFrame(at);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flush);
    }
  }

  /** Writes every queued frame now (normally done on the next microtask). */
  readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.closed || this.out.offset === 0) return;
    this.socket.write(this.out.take());
  };

  /** Closes the socket without calling `onClose`: the owner already knows. */
  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.out.reset();
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    const err = this.reader.push(chunk, (frame) => {
      this.guard(() => this.handlers.onFrame(frame));
      return !this.closed;
    });
    if (err) this.fail(err);
  }

  /** Runs an owner callback; a throw is a protocol error of this connection. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      this.fail(err instanceof HerdError ? err : new ConnectionLossError(`protocol error: ${why}`));
    }
  }

  private fail(error: HerdError): void {
    if (this.closed) return;
    this.closed = true;
    this.out.reset();
    this.socket.destroy();
    this.handlers.onClose(error);
  }
}
