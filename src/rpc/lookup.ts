/**
 * Calling served objects: {@link lookup} returns a typed proxy bound to one
 * live instance of a service, rebound when that instance goes.
 *
 * Connections are shared per process: one per serving address (peer pair),
 * whatever the number of proxies using it, closed when the last proxy
 * using it is closed.
 */
import { checkClientTls } from '../base/tls.js';
import { Deadline, throwIfAborted, type WaitOptions } from '../base/wait.js';
import type { Client } from '../client/index.js';
import { BadArgumentsError, InvalidStateError } from '../errors.js';
import { defaultIdentifier } from '../recipes/internal/index.js';
import { Connection, GoingAwayError, MAX_TIMEOUT, type ConnectionSecurity } from './connection.js';
import { RpcConnectionError } from './errors.js';
import { checkCompatible, checkSecret, secretKey, type LookupTlsOptions } from './security.js';
import { PROTOCOL_NAME, PROTOCOL_VERSION, type FrameLimits } from './protocol.js';
import { ServiceView, checkServiceName, type InstanceInfo } from './registry.js';
import { streamable } from './stream.js';
import type { RemoteMethods } from './types.js';

/** The default deadline of a call, in ms. */
export const DEFAULT_CALL_TIMEOUT = 30000;

/**
 * The caller's view of a served `T`: each method of `T` (string keys) takes
 * the same arguments and returns a Promise of its awaited result (but `then`:
 * a proxy is not a thenable). Closing
 * the proxy is `await remote[Symbol.asyncDispose]()` or {@link closeRemote}.
 */
export type Remote<T> = RemoteMethods<T> & AsyncDisposable;

/** Options of {@link lookup}. */
export interface LookupOptions extends FrameLimits, WaitOptions {
  /** Only instances whose tags include all of these. Default: any instance. */
  tags?: Readonly<Record<string, string>>;
  /** How long `lookup` waits for a live instance, in ms (WaitOptions). Default for ever. */
  timeout?: number | undefined;
  /** The deadline of each call through the proxy, in ms. Default {@link DEFAULT_CALL_TIMEOUT}. */
  callTimeout?: number;
  /** This process's identifier, sent in the handshake. Default `<hostname>-<pid>`. */
  identifier?: string;
  /**
   * Connect over TLS with these options: the CA that signs the servers'
   * certificates, and this caller's key and certificate for servers that
   * require one (mutual TLS). A caller with `tls` only talks to instances
   * registered with TLS, one without it only to those without: a mismatch
   * rejects the call with AuthenticationError. Default plain TCP.
   */
  tls?: LookupTlsOptions;
  /**
   * The shared secret of serve's `secret` (a non-empty string or bytes):
   * proven, and the server's knowledge of it checked, at each connection's
   * start. A wrong one rejects calls with AuthenticationError. Required
   * exactly when the instances have one. Default none.
   */
  secret?: string | Uint8Array;
}

/** Per-call options, for {@link withCallOptions}. */
export interface RemoteCallOptions {
  /** This call's deadline, in ms; the serving method's signal aborts when it passes. Default the proxy's `callTimeout`. */
  timeout?: number;
  /** Cancels the call: it rejects with CancelledError and the serving method's signal aborts. */
  signal?: AbortSignal;
  /** Send the call and resolve once it is sent, with undefined: no reply, remote errors are dropped. */
  oneway?: boolean;
}

interface PoolEntry {
  /** The pool key: the address, and the security options when there are any. */
  readonly address: string;
  readonly connection: Promise<Connection>;
  /** The connection once open: what a call takes without waiting. */
  open?: Connection | undefined;
  users: number;
}

/** Shared connections, by address and the security they were opened with (proxies with other TLS options or secrets do not share). */
const pool = new Map<string, PoolEntry>();

/** The pool key of each `tls` options object: connections opened with different objects are not shared. */
const tlsKeys = new WeakMap<LookupTlsOptions, number>();
let nextTlsKey = 1;

function poolKey(address: string, security: ConnectionSecurity): string {
  if (!security.tls && !security.secret) return address;
  let tls = 0;
  if (security.tls) {
    tls = tlsKeys.get(security.tls) ?? nextTlsKey++;
    tlsKeys.set(security.tls, tls);
  }
  return `${address}|${tls}|${secretKey(security.secret)}`;
}

/** The shared connection to `address` (opened when there is none), counted as one more user. */
function acquire(address: string, identifier: string, limits: FrameLimits, security: ConnectionSecurity): PoolEntry {
  const key = poolKey(address, security);
  let entry = pool.get(key);
  if (entry) {
    entry.users++;
    return entry;
  }
  const connection = Connection.open(address, identifier, limits, undefined, security);
  const made: PoolEntry = { address: key, connection, users: 1 };
  pool.set(key, made);
  // A lost connection leaves the pool at once, so the next call opens a new one.
  const forget = (): void => {
    if (pool.get(key) === made) pool.delete(key);
  };
  connection.then((c) => {
    made.open = c;
    c.once('closed', forget).once('draining', forget);
  }, forget);
  return made;
}

function release(entry: PoolEntry): void {
  if (--entry.users > 0) return;
  if (pool.get(entry.address) === entry) pool.delete(entry.address);
  entry.connection.then((c) => c.close(), () => {});
}

/** The state behind one proxy (internal: batch.ts reaches it through {@link bindingOf}). */
export class Binding {
  private bound: InstanceInfo | undefined;
  /** The pool entries this proxy holds, by address. */
  private readonly held = new Map<string, PoolEntry>();
  /** Nodes whose address refused a connection: skipped until the registry changes. */
  private readonly unreachable = new Set<string>();
  /** True once the proxy is closed (read by batch.ts). */
  closed = false;
  private static turn = new Map<string, number>();

  private readonly security: ConnectionSecurity;

  constructor(
    readonly view: ServiceView,
    readonly options: LookupOptions,
    private readonly identifier: string,
  ) {
    this.security = { tls: options.tls, secret: checkSecret(options.secret, `lookup ${view.name}`) };
    view.on('changed', this.onChanged);
  }

  private readonly onChanged = (instances: readonly InstanceInfo[]): void => {
    const live = new Set(instances.map((i) => i.node));
    for (const node of this.unreachable) if (!live.has(node)) this.unreachable.delete(node);
    if (this.bound && !live.has(this.bound.node)) this.bound = undefined;
  };

  private accepts = (i: InstanceInfo): boolean => {
    if (i.protocol !== PROTOCOL_NAME || i.version !== PROTOCOL_VERSION) return false;
    for (const [k, v] of Object.entries(this.options.tags ?? {})) if (i.tags[k] !== v) return false;
    return true;
  };

  /** The bound instance, binding (round-robin among the matching ones) when there is none. */
  async instance(deadline: Deadline, signal: AbortSignal | undefined, what: string): Promise<InstanceInfo> {
    if (this.bound) return this.bound;
    const found = await this.view.waitFor((i) => this.accepts(i) && !this.unreachable.has(i.node), deadline, signal, what);
    const n = Binding.turn.get(this.view.name) ?? 0;
    Binding.turn.set(this.view.name, n + 1);
    this.bound = found[n % found.length]!;
    return this.bound;
  }

  async connection(instance: InstanceInfo): Promise<Connection> {
    const mine = this.held.get(instance.address);
    if (mine && pool.get(mine.address) === mine) return mine.connection;
    // First use of this address, or the shared connection was lost: hold the current one instead.
    if (mine) release(mine);
    checkCompatible(instance, this.security.tls !== undefined, this.security.secret !== undefined, `${this.view.name}`, instance.address);
    const entry = acquire(instance.address, this.identifier, this.options, this.security);
    this.held.set(instance.address, entry);
    return entry.connection;
  }

  /** Drops the binding to `instance` after a connection failure. */
  unbind(instance: InstanceInfo, neverConnected: boolean): void {
    if (neverConnected) this.unreachable.add(instance.node);
    if (this.bound?.node === instance.node) this.bound = undefined;
  }

  /** An open connection to the bound instance, binding again past instances that refuse or are going away, within `deadline`. */
  async connected(deadline: Deadline, signal: AbortSignal | undefined, what: string): Promise<{ instance: InstanceInfo; conn: Connection }> {
    for (;;) {
      throwIfAborted(signal, what);
      if (this.closed) throw new InvalidStateError(`${what}: the proxy is closed`);
      const instance = await this.instance(deadline, signal, `call ${what}`);
      try {
        const conn = await this.connection(instance);
        if (!conn.closed) return { instance, conn };
        this.unbind(instance, false);
      } catch (error) {
        // Nothing was sent: safe to try another instance within the deadline.
        if (!(error instanceof RpcConnectionError)) throw error;
        this.unbind(instance, true);
      }
    }
  }

  /**
   * Calls `method` on the bound instance. The common case (bound, its
   * connection open, not oneway) sends the call at once, without awaiting
   * anything first; the rest goes through {@link callWithin}.
   */
  call(method: string, args: unknown[], call: RemoteCallOptions): Promise<unknown> {
    const timeout = Math.min(call.timeout ?? this.options.callTimeout ?? DEFAULT_CALL_TIMEOUT, MAX_TIMEOUT);
    const deadline = new Deadline(this.view.client.clock, timeout);
    const instance = this.bound;
    const entry = instance && !this.closed && !call.oneway ? this.held.get(instance.address) : undefined;
    const conn = entry && pool.get(entry.address) === entry ? entry.open : undefined;
    if (!instance || !conn || conn.closed || call.signal?.aborted) return this.callWithin(method, args, call, deadline);
    return conn.call(this.view.name, method, args, { timeout: wholeMs(timeout), signal: call.signal, holder: this.view.client }).then(undefined, (error: unknown) => {
      if (!this.mayResend(error, instance, method, deadline)) throw error;
      return this.callWithin(method, args, call, deadline);
    });
  }

  /** Binds, connects and calls within `deadline`, sending again where {@link mayResend} allows. */
  private async callWithin(method: string, args: unknown[], call: RemoteCallOptions, deadline: Deadline): Promise<unknown> {
    if (this.closed) throw new InvalidStateError(`${this.view.name}.${method}: the proxy is closed`);
    for (;;) {
      const { instance, conn } = await this.connected(deadline, call.signal, `${this.view.name}.${method}`);
      if (call.oneway) {
        conn.oneway(this.view.name, method, args);
        return undefined;
      }
      try {
        return await conn.call(this.view.name, method, args, { timeout: wholeMs(deadline.remaining() ?? deadline.timeout!), signal: call.signal, holder: this.view.client });
      } catch (error) {
        if (!this.mayResend(error, instance, method, deadline)) throw error;
      }
    }
  }

  /** After a call to `instance` failed with `error`: unbinds a lost or leaving instance; true when the call may be sent again. */
  private mayResend(error: unknown, instance: InstanceInfo, method: string, deadline: Deadline): boolean {
    if (error instanceof GoingAwayError) {
      // Refused unrun by a server shutting down: send it elsewhere within the deadline.
      this.unbind(instance, false);
      return true;
    }
    if (error instanceof RpcConnectionError) {
      this.unbind(instance, false);
      // The call may have run there: sent again only when the instance says running it twice is safe.
      return instance.idempotent.includes(method) && !deadline.expired;
    }
    return false;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.view.off('changed', this.onChanged);
    await this.view.close();
    for (const entry of this.held.values()) release(entry);
    this.held.clear();
  }
}

/**
 * A deadline as sent: whole ms, at least 1. Timers of equal duration share
 * one list in Node (the server sets one from the same number), so a
 * fractional remainder per call would cost a new timer list per call.
 */
function wholeMs(timeout: number): number {
  return Math.max(1, Math.ceil(timeout));
}

const bindings = new WeakMap<object, Binding>();

function makeProxy<T>(binding: Binding, call: RemoteCallOptions): Remote<T> {
  const methods = new Map<string, (...args: unknown[]) => Promise<unknown>>();
  return new Proxy(Object.create(null) as object, {
    get(_target, key) {
      if (key === Symbol.asyncDispose) return () => binding.close();
      // A proxy is not a thenable: `await remote` must not call a remote `then`.
      if (typeof key !== 'string' || key === 'then') return undefined;
      let fn = methods.get(key);
      if (!fn) {
        const what = `${binding.view.name}.${key}`;
        fn = (...args: unknown[]) => streamable(binding.call(key, args, call), what);
        methods.set(key, fn);
      }
      return fn;
    },
    set() {
      return false;
    },
  }) as Remote<T>;
}

/**
 * A proxy for the service `name`: each method call runs on one live
 * instance (chosen round-robin among those matching `tags`; the proxy stays
 * bound to it and rebinds when it leaves the registry or its connection
 * fails). Resolves once an instance exists, waiting up to `timeout` ms
 * (default for ever).
 *
 * Each call has a deadline (`callTimeout`, default 30 s) and rejects with:
 * the remote error as a {@link RemoteError} (same `name`, `message`, `code`,
 * the remote stack as `cause`), NotExposedError's remote form for a method
 * not exposed, TimeoutError when the deadline passes (the serving method's
 * signal aborts), RpcConnectionError when the connection is lost during the
 * call (unless the instance's registry entry lists the method as
 * idempotent: then it is sent again to the next live instance, within the
 * same deadline), ProtocolError for a value msgpack cannot carry, InvalidStateError
 * after the proxy is closed, ValidationError when the arguments (or the
 * result) fail the method's schema on the server (serve's `schemas`: the
 * method did not run when the arguments failed), AuthenticationError when
 * the two sides' security does not match (TLS or `secret` on one side only,
 * a wrong secret, a certificate refused).
 *
 * `lookup` rejects with BadArgumentsError for an invalid name, `callTimeout`, `secret` or `tls`, TimeoutError
 * or CancelledError when no instance appeared in time.
 */
export async function lookup<T>(client: Client, name: string, options: LookupOptions = {}): Promise<Remote<T>> {
  checkServiceName(name, 'lookup');
  if (options.callTimeout !== undefined && !(options.callTimeout > 0)) throw new BadArgumentsError(`lookup ${name}: callTimeout must be > 0 ms`);
  checkSecret(options.secret, `lookup ${name}`);
  checkClientTls(options.tls, `lookup ${name}`);
  const view = new ServiceView(client, name);
  await view.start();
  const binding = new Binding(view, options, options.identifier ?? defaultIdentifier());
  try {
    await binding.instance(new Deadline(client.clock, options.timeout), options.signal, `lookup ${name}`);
  } catch (error) {
    await binding.close();
    throw error;
  }
  const proxy = makeProxy<T>(binding, {});
  bindings.set(proxy, binding);
  return proxy;
}

/**
 * The same proxy with per-call options: a deadline, a signal, or oneway.
 * `await withCallOptions(md, { timeout: 500 }).clusterName()`. Throws
 * BadArgumentsError when `remote` is not a proxy from {@link lookup}.
 */
export function withCallOptions<T>(remote: Remote<T>, options: RemoteCallOptions): Remote<T> {
  const binding = bindings.get(remote);
  if (!binding) throw new BadArgumentsError('withCallOptions: not a proxy from lookup()');
  if (options.timeout !== undefined && !(options.timeout > 0)) throw new BadArgumentsError('withCallOptions: timeout must be > 0 ms');
  const proxy = makeProxy<T>(binding, options);
  bindings.set(proxy, binding);
  return proxy;
}

/** The binding behind a proxy from {@link lookup}, or undefined (internal, for batch.ts). */
export function bindingOf(remote: object): Binding | undefined {
  return bindings.get(remote);
}

/** Closes a proxy from {@link lookup}: stops watching the registry, releases its connections. Idempotent. */
export async function closeRemote(remote: Remote<unknown>): Promise<void> {
  await bindings.get(remote)?.close();
}
