/**
 * The calls one connection made and waits for (connection.ts): each one's
 * promise and deadline, and what turns an ERROR back into an error. One
 * timer per connection watches every pending call's deadline.
 */
import { performance } from 'node:perf_hooks';
import type { Client } from '../client/index.js';
import { CancelledError, HerdError } from '../errors.js';
import { RemoteError, ValidationError } from './errors.js';
import type { CallScope } from './handles.js';
import type { CallMessage, WireError } from './protocol.js';

/** How one call is made. */
export interface CallOptions {
  /** The call's deadline, in ms from now: past it the call rejects with TimeoutError and the server's signal aborts. */
  timeout: number;
  /** Cancels the call: it rejects with CancelledError and the server's signal aborts. */
  signal?: AbortSignal | undefined;
  /** The client whose session holds the remote references this call returns (references.ts). */
  holder?: Client | undefined;
}

/** One call as {@link Connection.batch} takes it. */
export interface BatchCall {
  target: string;
  method: string;
  args: unknown[];
}


/** One call this side made, until its reply, its deadline, its signal or the connection's end settles it. */
export class OutgoingCall {
  resolve!: (value: unknown) => void;
  reject!: (error: unknown) => void;
  readonly promise: Promise<unknown>;
  /** The callbacks and streams lent with the arguments; undefined when none were. */
  scope: CallScope | undefined;
  onAbort: (() => void) | undefined;
  message!: CallMessage;

  constructor(
    readonly id: number,
    readonly target: string,
    readonly method: string,
    /** The deadline as sent, in ms. */
    readonly timeout: number,
    /** When it passes, on performance.now()'s clock. */
    readonly expiresAt: number,
    readonly signal: AbortSignal | undefined,
    readonly holder: Client | undefined,
  ) {
    this.promise = new Promise<unknown>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}


/**
 * The pending calls of one connection, by id. One timer watches all their
 * deadlines, set for the earliest: calls mostly share one timeout, so it
 * is rarely moved, and a call costs no timer of its own to set and clear.
 */
export class PendingCalls {
  private readonly calls = new Map<number, OutgoingCall>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Infinity;

  constructor(
    /** Runs for each call whose deadline passed, still pending (it must {@link remove} it). */
    private readonly onExpired: (c: OutgoingCall) => void,
  ) {}

  get size(): number {
    return this.calls.size;
  }

  get(id: number): OutgoingCall | undefined {
    return this.calls.get(id);
  }

  values(): IterableIterator<OutgoingCall> {
    return this.calls.values();
  }

  add(c: OutgoingCall): void {
    this.calls.set(c.id, c);
    this.watch(c.expiresAt);
  }

  /** The call is no longer pending: its signal is no longer watched. */
  remove(c: OutgoingCall): void {
    this.calls.delete(c.id);
    if (c.onAbort) c.signal!.removeEventListener('abort', c.onAbort);
  }

  /** No more deadlines to watch (the connection is gone). */
  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = -Infinity;
  }

  /** Arms the timer for `at` (performance.now() ms) unless it already fires earlier. */
  private watch(at: number): void {
    if (at >= this.timerAt) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = at;
    // Whole ms, never early: a timer that fires before the deadline finds nothing due and is set again.
    this.timer = setTimeout(this.expire, Math.max(1, Math.ceil(at - performance.now())));
  }

  /** Hands over the calls whose deadline passed; sets the timer for the next one. */
  private readonly expire = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const c of this.calls.values()) {
      if (c.expiresAt <= now) this.onExpired(c);
      else if (c.expiresAt < next) next = c.expiresAt;
    }
    if (next !== Infinity) this.watch(next);
  };
}

export function cancelled(target: string, method: string, signal: AbortSignal): HerdError {
  return signal.reason instanceof HerdError ? signal.reason : new CancelledError(`call ${target}.${method} cancelled`, { cause: signal.reason });
}

/** An error as ERROR carries it: class name, message, code and stack, nothing else. */
export function toWireError(error: unknown): WireError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const out: WireError = { name: error.name, message: error.message };
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') out.code = code;
  if (error.stack !== undefined) out.stack = error.stack;
  if (error instanceof ValidationError) out.issues = error.issues.map((i) => ({ ...i, ...(i.path ? { path: [...i.path] } : {}) }));
  return out;
}

export function remoteError(e: WireError): HerdError {
  const cause = new Error(`remote ${e.name}: ${e.message}`);
  cause.stack = e.stack ?? cause.stack;
  // The server's schema check: the caller gets the class itself, issues and all.
  if (e.name === 'ValidationError' && e.code === 'VALIDATION' && e.issues) return new ValidationError(e.message, e.issues, { cause });
  return new RemoteError(e.name, e.code ?? 'REMOTE', e.message, { cause });
}

/** `host:port` or `[v6]:port` → parts. */
export function splitAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(address.slice(at + 1)) };
}
