/**
 * The network stage: one client socket of a storage node. It consumes the
 * socket's bytes, cuts them into frames (FrameDecoder) and passes each
 * {@link FrameEvent} to the decode stage (./decode.ts) through its host, in
 * arrival order. Replies come back through {@link NodeConnection.write}:
 * frames written during one tick go out as one socket write.
 *
 * Backpressure: while `maxInFlight` requests of this connection are
 * unanswered, or its unsent replies pass the socket's high-water mark, the
 * connection stops reading (TCP pushes back on the client). A negative
 * length prefix (no frame boundary to skip to) closes this connection
 * only; everything else is answered and the connection kept.
 */
import type { Socket } from 'node:net';
import { JuteWriter } from '../../jute/writer.js';
import { FrameDecoder, type FrameEvent } from '../protocol/frame-decoder.js';

/** Told about every request a node answered (the node's metrics). */
export interface RequestObserver {
  /**
   * A request ended: its kind, final status, and milliseconds from its
   * arrival to its final reply, and the entries it stored (an add's, when
   * OK; else 0).
   */
  requestDone(kind: number, status: number, duration: number, entries: number): void;
}

/** What the connection needs from the node. */
export interface ConnectionHost {
  readonly maxFrameSize: number;
  /** Unanswered requests of one connection before it stops reading. */
  readonly maxInFlight: number;
  /** The decode stage: one frame, in arrival order. */
  frame(conn: NodeConnection, event: FrameEvent): void;
  closed(conn: NodeConnection): void;
  log(message: string): void;
  /** Told about every request answered on this connection (the node's metrics); none by default. */
  readonly observer?: RequestObserver | undefined;
}

export class NodeConnection {
  private readonly decoder: FrameDecoder;
  private readonly out = new JuteWriter(4096);
  private flushScheduled = false;
  private inFlight = 0;
  private readingPaused = false;
  private isOpen = true;
  private ending = false;
  private idleWaiters: (() => void)[] = [];
  /** Callbacks of {@link onClosed} and {@link writable}: the socket has one listener for all of them, however many requests wait. */
  private readonly closeWaiters = new Set<() => void>();
  private drainWaiters: (() => void)[] = [];
  private readonly closedPromise: Promise<void>;
  private markClosed!: () => void;

  constructor(
    private readonly socket: Socket,
    private readonly host: ConnectionHost,
  ) {
    this.decoder = new FrameDecoder(host.maxFrameSize);
    this.closedPromise = new Promise((resolve) => (this.markClosed = resolve));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => {
      this.updateReading();
      for (const wake of this.drainWaiters.splice(0)) wake();
    });
    socket.on('error', (err) => host.log(`connection ${this.describe()}: ${err.message}`));
    socket.on('close', () => this.onClose());
  }

  /** `address:port` of the client. */
  describe(): string {
    return `${this.socket.remoteAddress ?? '?'}:${this.socket.remotePort ?? '?'}`;
  }

  /** False once the socket has closed: replies are dropped. */
  get open(): boolean {
    return this.isOpen;
  }

  /** Who is told about each request answered here (the node's metrics), if anyone. */
  get observer(): RequestObserver | undefined {
    return this.host.observer;
  }

  /** Requests handed on and not yet answered. */
  get unanswered(): number {
    return this.inFlight;
  }

  /** A request was handed on: counts against `maxInFlight` until {@link requestDone}. */
  requestStarted(): void {
    this.inFlight++;
    this.updateReading();
  }

  /** A request's last reply was written. */
  requestDone(): void {
    this.inFlight--;
    this.updateReading();
    if (this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /** Appends reply frames (written by `fill` into the tick's buffer); sent at the end of the tick. */
  write(fill: (w: JuteWriter) => void): void {
    if (!this.isOpen || this.ending) return;
    fill(this.out);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    process.nextTick(() => this.flush());
  }

  /**
   * Resolves when the socket can take more (a streamed reply waits on it),
   * or the connection closed. A listener each on the socket would pass
   * its limit of 10 with as many streams waiting (MaxListenersExceededWarning):
   * the waits share the connection's own drain and close listeners.
   */
  writable(): Promise<void> {
    if (!this.isOpen || !this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /**
   * Calls `callback` once when the connection closes, until the returned
   * function is called: a request that waits (a long poll) stops waiting
   * for a client that is gone, so nothing of it is left on the node.
   */
  onClosed(callback: () => void): () => void {
    if (!this.isOpen) {
      queueMicrotask(callback);
      return () => {};
    }
    // A wrapper per call, so the same callback registered twice is removed once per registration.
    const entry = (): void => callback();
    this.closeWaiters.add(entry);
    return () => {
      this.closeWaiters.delete(entry);
    };
  }

  /** Resolves once no request of this connection is unanswered (or it closed). */
  idle(): Promise<void> {
    if (this.inFlight === 0 || !this.isOpen) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Ends the connection after the replies written so far; later replies are dropped. */
  end(): void {
    if (this.ending) return;
    this.flush();
    this.ending = true;
    this.socket.pause();
    this.socket.end();
  }

  /** Resolves once the socket has closed. */
  whenClosed(): Promise<void> {
    return this.closedPromise;
  }

  /** Closes at once. */
  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    const fault = this.decoder.push(chunk, (event) => {
      if (this.isOpen) this.host.frame(this, event);
    });
    if (fault !== undefined) {
      this.host.log(`connection ${this.describe()} closed: ${fault}`);
      this.flush();
      this.socket.destroy();
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.out.offset === 0 || !this.isOpen || this.ending) return;
    this.socket.write(this.out.take());
    this.updateReading();
  }

  private updateReading(): void {
    if (!this.isOpen || this.ending) return;
    const pause = this.inFlight >= this.host.maxInFlight || this.socket.writableNeedDrain;
    if (pause === this.readingPaused) return;
    this.readingPaused = pause;
    if (pause) this.socket.pause();
    else this.socket.resume();
  }

  private onClose(): void {
    if (!this.isOpen) return;
    this.isOpen = false;
    this.markClosed();
    for (const wake of this.idleWaiters.splice(0)) wake();
    for (const wake of this.drainWaiters.splice(0)) wake();
    for (const wake of [...this.closeWaiters]) wake();
    this.closeWaiters.clear();
    this.host.closed(this);
  }
}
