/**
 * What one connection passes by handle instead of by value (protocol.ts:
 * HANDLE, ITEM, END, CREDIT, STOP, RELEASE, HOLD, and CALL's handles):
 * callbacks and streams given as arguments, streams and remote references
 * returned. Everything here belongs to one connection and goes with it.
 */
import type { Client } from '../client/index.js';
import type { HerdError } from '../errors.js';
import { InvalidStateError } from '../errors.js';
import { NotExposedError, RpcConnectionError } from './errors.js';
import type { CallContext, Exposure, ServedCall } from './expose.js';
import type { ArgHandle, CallMessage, Message, WireError } from './protocol.js';
import { holderNode, makeRefProxy, remoteTarget, watchHolder } from './references.js';
import { IncomingStream, OutgoingStream, isAsyncIterable } from './stream.js';

/** What a connection lends its handles: how to reach the peer. */
export interface PeerLink {
  readonly address: string;
  send(m: Message): void;
  call(target: string, method: string, args: unknown[], options: { timeout: number; holder?: Client | undefined }): Promise<unknown>;
  toWire(error: unknown): WireError;
  toError(error: WireError): HerdError;
}

type Exported = { kind: 'fn'; fn: (...args: unknown[]) => unknown } | { kind: 'ref'; object: object; exposure: Exposure };

/** The handles this side exported for one outgoing call: released when it settles, or with the stream or reference it returned. */
export interface CallScope {
  readonly handles: number[];
}

/** The target of a CALL to handle `h` the receiver exported. */
export const handleTarget = (h: number): string => `#${h}`;

/** True when some top-level argument is lent by handle (a callback or a stream), not sent by value. */
export function lendsAny(args: readonly unknown[]): boolean {
  for (const arg of args) if (typeof arg === 'function' || isAsyncIterable(arg)) return true;
  return false;
}

export class Handles {
  private next = 1;
  private readonly exported = new Map<number, Exported>();
  private readonly producing = new Map<number, OutgoingStream>();
  private readonly consuming = new Map<number, IncomingStream>();
  /** Holder nodes watched for the references lent to them: node path → the handles and the watch's stop. */
  private readonly holders = new Map<string, { handles: Set<number>; stop: () => void }>();
  private failure: HerdError | undefined;

  constructor(
    private readonly peer: PeerLink,
    /** The client watching holder nodes (serving side); none on a pure caller. */
    private readonly watcher: Client | undefined,
  ) {}

  /** Remote references this side lends out now. */
  get references(): number {
    let n = 0;
    for (const e of this.exported.values()) if (e.kind === 'ref') n++;
    return n;
  }

  /** Callbacks this side lends out now (released when their call ends). */
  get callbacks(): number {
    let n = 0;
    for (const e of this.exported.values()) if (e.kind === 'fn') n++;
    return n;
  }

  /** Caller side: replaces top-level functions and async iterables of `args` by handles. */
  encodeArgs(args: unknown[], scope: CallScope): { args: unknown[]; handles: ArgHandle[] } {
    const handles: ArgHandle[] = [];
    const out = args.map((arg, index) => {
      if (typeof arg === 'function') {
        const h = this.next++;
        this.exported.set(h, { kind: 'fn', fn: arg as (...a: unknown[]) => unknown });
        handles.push([index, 'fn', h]);
        scope.handles.push(h);
        return null;
      }
      if (isAsyncIterable(arg)) {
        const h = this.produce(arg);
        handles.push([index, 'stream', h]);
        scope.handles.push(h);
        return null;
      }
      return arg;
    });
    return { args: out, handles };
  }

  /** Serving side: the arguments of `m`, its handles made into callback stubs and streams. */
  decodeArgs(m: CallMessage): unknown[] {
    if (m.handles === undefined) return m.args;
    const args = [...m.args];
    for (const [index, kind, h] of m.handles ?? []) {
      if (kind === 'fn') {
        args[index] = (...a: unknown[]) => this.peer.call(handleTarget(h), '', a, { timeout: m.timeout });
      } else {
        args[index] = this.consume(h);
      }
    }
    return args;
  }

  /** Serving side: the HANDLE message for a result that is a stream or a {@link remote} marker, or undefined for a value. */
  encodeResult(id: number, value: unknown, call: ServedCall): Message | undefined {
    const ref = remoteTarget(value);
    if (ref) {
      const h = this.next++;
      this.exported.set(h, { kind: 'ref', ...ref });
      return { kind: 'handle', id, type: 'ref', handle: h, methods: [...ref.exposure.methods] };
    }
    if (isAsyncIterable(value)) return { kind: 'handle', id, type: 'stream', handle: this.produce(value, call.controller), methods: [] };
    return undefined;
  }

  /**
   * Caller side: what a HANDLE reply resolves the call with. The call's
   * scope (its callbacks and argument streams) now lives as long as the
   * stream or the reference. A reference is tied to `holder`'s session.
   */
  async decodeResult(m: Message & { kind: 'handle' }, scope: CallScope, timeout: number, holder: Client | undefined, what: string): Promise<unknown> {
    if (m.type === 'stream') return this.consume(m.handle, () => this.releaseScope(scope));
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.releaseScope(scope);
      if (!this.failure) this.peer.send({ kind: 'release', handle: m.handle });
    };
    const proxy = makeRefProxy(
      {
        call: (method, args) =>
          released
            ? Promise.reject(new InvalidStateError(`${what}: the reference was released`))
            : this.peer.call(handleTarget(m.handle), method, args, { timeout, holder }),
        release,
      },
      what,
    );
    if (holder) {
      try {
        this.peer.send({ kind: 'hold', handle: m.handle, path: await holderNode(holder) });
      } catch (error) {
        // No holder node (the session is gone): the reference cannot be tied to it, so it is not kept.
        release();
        throw error;
      }
    }
    return proxy;
  }

  /** Caller side: the call settled with a plain value or an error: what it lent is taken back. */
  releaseScope(scope: CallScope): void {
    for (const h of scope.handles) {
      this.exported.delete(h);
      this.producing.get(h)?.stop(new InvalidStateError(`the call reading stream ${h} ended`), true);
    }
    scope.handles.length = 0;
  }

  /** Runs a call to a handle this side exported (`#<h>`). */
  async dispatch(target: string, method: string, args: unknown[], call: CallContext): Promise<unknown> {
    const e = this.exported.get(Number(target.slice(1)));
    if (!e) throw new NotExposedError(`${target}: no such callback or reference here (released, or never lent)`);
    if (e.kind === 'fn') {
      if (method !== '') throw new NotExposedError(`${target}: a callback has no method '${method}'`);
      return e.fn(...args);
    }
    return e.exposure.invoke(e.object, target, method, args, call);
  }

  /** ITEM, END, CREDIT, STOP, RELEASE and HOLD. */
  onMessage(m: Message & { kind: 'item' | 'end' | 'credit' | 'stop' | 'release' | 'hold' }): void {
    switch (m.kind) {
      case 'item':
      case 'end':
        return this.consuming.get(m.handle)?.receive(m);
      case 'credit':
        return this.producing.get(m.handle)?.grant(m.n);
      case 'stop':
        return this.producing.get(m.handle)?.stop(new RpcConnectionError(`stream ${m.handle} stopped by its consumer`));
      case 'release':
        return this.release(m.handle);
      case 'hold':
        return this.hold(m.handle, m.path);
    }
  }

  /** The connection is gone: streams fail or stop, everything lent is released. */
  fail(error: HerdError): void {
    this.failure = error;
    for (const s of [...this.consuming.values()]) s.fail(error);
    for (const s of [...this.producing.values()]) s.stop(error);
    this.exported.clear();
    for (const { stop } of this.holders.values()) stop();
    this.holders.clear();
  }

  /** RELEASE: the handle goes, and with its last reference the watch of its holder's node. */
  private release(handle: number): void {
    this.exported.delete(handle);
    for (const [path, holder] of this.holders) {
      if (holder.handles.delete(handle) && holder.handles.size === 0) {
        holder.stop();
        this.holders.delete(path);
      }
    }
  }

  private hold(handle: number, path: string): void {
    if (!this.watcher || this.exported.get(handle)?.kind !== 'ref') return;
    let holder = this.holders.get(path);
    if (!holder) {
      const handles = new Set<number>();
      const stop = watchHolder(this.watcher, path, () => {
        for (const h of handles) this.exported.delete(h);
        this.holders.delete(path);
      });
      holder = { handles, stop };
      this.holders.set(path, holder);
    }
    holder.handles.add(handle);
  }

  private produce(source: AsyncIterable<unknown>, controller?: AbortController): number {
    const h = this.next++;
    const stream = new OutgoingStream(h, source, this.send, this.peer.toWire, () => this.producing.delete(h), controller);
    this.producing.set(h, stream);
    if (this.failure) stream.stop(this.failure);
    return h;
  }

  private consume(h: number, onDone?: () => void): IncomingStream {
    const stream = new IncomingStream(h, this.send, this.peer.toError, () => {
      this.consuming.delete(h);
      onDone?.();
    });
    this.consuming.set(h, stream);
    return stream;
  }

  private readonly send = (m: Message): void => {
    if (!this.failure) this.peer.send(m);
  };
}
