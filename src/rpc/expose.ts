/**
 * Exposure, deny by default: which methods of a served object a peer may
 * call, and the object each call runs on.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { BadArgumentsError } from '../errors.js';
import { NotExposedError } from './errors.js';
import type { CallerInfo } from './security.js';
import { isAsyncIterable } from './stream.js';

/** What a serving method can learn about the call it is running. */
export interface CallContext {
  /** Aborts when the caller's deadline passes, the caller cancels, or its connection is lost. */
  readonly signal: AbortSignal;
  /** The caller's deadline, epoch ms (`Infinity` for a oneway call). */
  readonly deadlineAt: number;
  /**
   * Who made the call: its identifier and address, the certificate it
   * presented over mutual TLS (serve's `tls.requestCert`), whether it
   * proved it knows serve's `secret`. Undefined when the call did not come
   * through a Herd connection's handshake.
   */
  readonly caller?: CallerInfo | undefined;
}

const context = new AsyncLocalStorage<CallContext>();

/**
 * The context of one call being served, whose AbortController and deadline
 * timer exist only once something asks for them (the method reads
 * `callContext().signal`, or a returned stream needs them): most methods
 * never do, and creating an AbortSignal per call was a measurable share of
 * the server's time. Until then, "aborted" is a flag and a deadline check.
 */
export class ServedCall implements CallContext {
  private made: AbortController | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private reason: unknown;
  private cancelled = false;

  constructor(
    readonly deadlineAt: number,
    /** Why the call aborts when its deadline passes. */
    private readonly onDeadline: () => unknown,
    readonly caller?: CallerInfo | undefined,
  ) {}

  /** Aborts when the deadline passes or {@link abort} is called; created on first read. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The controller behind {@link signal} (a returned stream aborts it when it stops); created on first use. */
  get controller(): AbortController {
    if (this.made) return this.made;
    const made = (this.made = new AbortController());
    if (this.cancelled) made.abort(this.reason);
    else if (this.deadlineAt !== Infinity) {
      // setTimeout cannot keep more than 2^31-1 ms (it would fire at once): a peer's larger deadline is that.
      const delay = Math.min(Math.max(0, this.deadlineAt - Date.now()), MAX_TIMEOUT);
      this.timer = setTimeout(() => this.abort(this.onDeadline()), delay);
    }
    return made;
  }

  /** True once aborted, or once the deadline has passed (whether or not a timer watched it). */
  get aborted(): boolean {
    return this.cancelled || (this.made?.signal.aborted ?? false) || Date.now() >= this.deadlineAt;
  }

  abort(reason: unknown): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.reason = reason;
    this.done();
    this.made?.abort(reason);
  }

  /** The call ended: its deadline timer, if any, goes. */
  done(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** The largest delay setTimeout keeps, in ms. */
export const MAX_TIMEOUT = 2 ** 31 - 1;

/**
 * The context of the remote call being served, inside a served method
 * (and whatever it awaits); undefined outside one. The method's deadline
 * and cancellation arrive as `callContext()!.signal`:
 *
 * ```ts
 * async slow() { await setTimeout(60000, undefined, { signal: callContext()?.signal }); }
 * ```
 */
export function callContext(): CallContext | undefined {
  return context.getStore();
}

/** Names never callable, whatever `expose` says. */
const FORBIDDEN = new Set([...Object.getOwnPropertyNames(Object.prototype), 'constructor', 'then']);

/** Why `name` can never be exposed, or undefined when it can. */
function forbiddenReason(name: string): string | undefined {
  if (name.length === 0) return 'an empty name';
  if (name.startsWith('_')) return 'a _-prefixed name';
  if (FORBIDDEN.has(name)) return `a name of Object.prototype (or a thenable's 'then')`;
  return undefined;
}

/** True when `name` is an accessor with a getter on `object` or its prototype chain (a data property is not). */
function isGetter(object: object, name: string): boolean {
  for (let o: object | null = object; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    const d = Object.getOwnPropertyDescriptor(o, name);
    if (d) return d.get !== undefined;
  }
  return false;
}

/**
 * The methods one served object (or every instance a factory makes) exposes,
 * checked once at `serve` or `remote`. A getter may be exposed too: calling
 * its name returns its value. A data property never is.
 */
export class Exposure {
  /** The exposed names (methods and getters), sorted. */
  readonly methods: readonly string[];
  /** A hash of the sorted method names: instances serving the same interface share it. */
  readonly interfaceHash: string;
  private readonly allowed: ReadonlySet<string>;
  /** The exposed getters of the object given at construction. */
  private readonly getters = new Set<string>();
  /** No object was given (a factory makes one per session or call): whether a name is a getter is found at each call. */
  private readonly findGetters: boolean;

  /**
   * Throws BadArgumentsError when a name is forbidden or, given `object`,
   * is not a function of it (an instance made later by a factory is checked
   * at each call instead).
   */
  constructor(expose: readonly string[], object: object | undefined, what = 'serve') {
    if (!Array.isArray(expose) || expose.length === 0) throw new BadArgumentsError(`${what}: \`expose\` must list at least one method`);
    for (const name of expose) {
      if (typeof name !== 'string') throw new BadArgumentsError(`${what}: expose: ${String(name)} is not a method name`);
      const why = forbiddenReason(name);
      if (why !== undefined) throw new BadArgumentsError(`${what}: cannot expose '${name}': ${why}`);
      if (object === undefined) continue;
      // A getter is classified before anything reads it: reading runs it.
      if (isGetter(object, name)) this.getters.add(name);
      else if (typeof (object as Record<string, unknown>)[name] !== 'function') {
        throw new BadArgumentsError(`${what}: '${name}' is not a method or getter of the object`);
      }
    }
    this.findGetters = object === undefined;
    this.methods = [...new Set(expose)].sort();
    this.allowed = new Set(this.methods);
    this.interfaceHash = createHash('sha256').update(this.methods.join('\n')).digest('hex').slice(0, 16);
  }

  /**
   * Runs an exposed method of `object` (or reads an exposed getter) with the
   * call's context; rejects with NotExposedError for any other name. An
   * async iterable it returns runs its steps in the same context (a
   * generator's body sees `callContext()`).
   */
  async invoke(object: object, target: string, method: string, args: unknown[], ctx: CallContext): Promise<unknown> {
    return this.apply(object, target, method, args, ctx);
  }

  /**
   * {@link invoke} without its promise: returns what the method returned
   * (a promise only when the method returned one) and throws what it threw
   * (or NotExposedError). A synchronous method's reply then needs no
   * promise and no microtask on the server's dispatch path.
   */
  apply(object: object, target: string, method: string, args: unknown[], ctx: CallContext): unknown {
    let value: unknown;
    if (this.getters.has(method) || (this.findGetters && this.allowed.has(method) && isGetter(object, method))) {
      value = context.run(ctx, () => (object as Record<string, unknown>)[method]);
    } else {
      const fn = (object as Record<string, unknown>)[method];
      if (!this.allowed.has(method) || typeof fn !== 'function') throw new NotExposedError(`${target}: method '${method}' is not exposed`);
      value = context.run(ctx, () => fn.apply(object, args));
    }
    if (isThenable(value)) return Promise.resolve(value).then((v) => (isAsyncIterable(v) ? inContext(v, ctx) : v));
    return isAsyncIterable(value) ? inContext(value, ctx) : value;
  }
}

/** True for a promise or any other thenable (whose result a reply waits for). */
export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/** `source` whose next/return/throw run inside `ctx`. */
function inContext(source: AsyncIterable<unknown>, ctx: CallContext): AsyncIterable<unknown> {
  return {
    [Symbol.asyncIterator]() {
      const it = context.run(ctx, () => source[Symbol.asyncIterator]());
      return {
        next: () => context.run(ctx, () => it.next()),
        return: async (v?: unknown) => (it.return ? context.run(ctx, () => it.return!(v)) : { value: v, done: true }),
      };
    },
  };
}
