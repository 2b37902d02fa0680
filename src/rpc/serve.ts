/**
 * Serving an object: a TCP listener speaking protocol.ts, and the object's
 * entry in the registry (registry.ts), kept there across session loss; or,
 * for a singleton, kept there only while this process leads the
 * singleton's election (singleton.ts).
 */
import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, TLSSocket } from 'node:tls';
import type { WaitOptions } from '../base/wait.js';
import type { Client } from '../client/index.js';
import { BadArgumentsError } from '../errors.js';
import { PersistentNode } from '../recipes/index.js';
import { defaultIdentifier } from '../recipes/internal/index.js';
import { Connection, type Dispatcher } from './connection.js';
import { AuthenticationError, NotExposedError } from './errors.js';
import { Exposure, type CallContext } from './expose.js';
import { PROTOCOL_NAME, PROTOCOL_VERSION, type FrameLimits } from './protocol.js';
import { checkServiceName, encodeEntry, servicePath } from './registry.js';
import { Schemas, validateArgs, validateResult, type MethodSchemas } from './schemas.js';
import { checkSecret, isTlsRefusal, type ServeTlsOptions } from './security.js';
import { isAsyncIterable } from './stream.js';
import { remoteTarget } from './references.js';
import { SingletonRole } from './singleton.js';
import { listenOn } from './listen.js';
import { checkPyro4Options, startPyro4Side, type Pyro4Invoke, type Pyro4Side, type ServeOverPyro4Options } from './pyro/serve.js';

/**
 * Which object a call runs on, as Pyro's instance modes: `single`, one for
 * every caller; `session`, one per caller connection (a caller process),
 * made at its first call; `call`, a fresh one for each call.
 */
export type InstanceMode = 'single' | 'session' | 'call';

/** Options of {@link serve}. */
export interface ServeOptions extends FrameLimits, WaitOptions {
  /**
   * Which object each call runs on. Default `'single'`. With `'session'` or
   * `'call'`, serve's third argument is a factory (`() => object`) called for
   * each caller connection or each call; with `'single'` it may be either
   * (a factory is called once, at serve).
   */
  instanceMode?: InstanceMode;
  /** The methods callers may call (deny by default: nothing else is callable). Required, non-empty. */
  expose: readonly string[];
  /** Tags callers can select instances by (`lookup(..., { tags })`). Default none. */
  tags?: Readonly<Record<string, string>>;
  /** This process's identifier in the registry. Default `<hostname>-<pid>`. */
  identifier?: string;
  /** Interface to listen on. Default `'127.0.0.1'` (loopback only): set it to serve other machines. */
  host?: string;
  /** Port to listen on. Default 0 (any free port). */
  port?: number;
  /** The host callers connect to, written in the registry. Default `host` (required when `host` is a wildcard such as `0.0.0.0`). */
  advertisedHost?: string;
  /**
   * Serve as a singleton: of all the processes serving `name` with
   * `singleton: true`, one (elected) is registered and serves; the others
   * stand by, unregistered, and one takes over when it goes (its process
   * dies, its session ends, it closes). Callers need no change: their
   * proxies rebind to the new one. Default false. See {@link Served.state}.
   */
  singleton?: boolean;
  /**
   * The methods that are safe to run twice (a subset of `expose`). A call
   * to one of them whose connection is lost before its reply is sent again
   * to another instance (within its deadline), instead of failing with
   * RpcConnectionError. Written in the registry entry, which is where
   * callers learn it. Default none.
   */
  idempotent?: readonly string[];
  /**
   * Serve over TLS (node:tls) with this key and certificate; with
   * `requestCert`, only callers presenting a certificate signed by `ca` get
   * in (mutual TLS), and methods see its subject in
   * `callContext().caller.certificate`. The registry entry says the
   * instance wants TLS, so callers without lookup's `tls` get
   * AuthenticationError instead of a garbled connection. Default plain TCP.
   */
  tls?: ServeTlsOptions;
  /**
   * A shared secret (a non-empty string or bytes) every caller must prove it
   * knows, by HMAC-SHA256 challenge-response both ways at connection start:
   * a caller without it runs nothing here. Authenticates the connection's
   * start only: without `tls`, the traffic is neither encrypted nor
   * protected from tampering (docs/rpc.md). Default none.
   */
  secret?: string | Uint8Array;
  /**
   * Standard Schema (zod, valibot, ...) checks per exposed method:
   * `{ add: { args: z.tuple([z.number(), z.number()]), result: z.number() } }`.
   * Arguments failing `args` reject the call with ValidationError (the
   * method does not run); a result failing `result` too. Default none.
   */
  schemas?: Readonly<Record<string, MethodSchemas>>;
  /**
   * Where the server reports what an operator should know: a caller
   * refused for want of trust (a client certificate refused, a TLS handshake
   * the caller aborted, a wrong or missing secret). Default `console.warn`.
   */
  logger?: (message: string) => void;
  /**
   * Also serve the object to Python Pyro4 proxies (docs/pyro4.md): a Pyro4
   * daemon on `pyro4.port` (default any free port) runs the same exposed
   * methods (same instance mode and schemas), and the one registry entry
   * carries its URI, so Herd's Pyro4 name servers resolve
   * `PYRONAME:<name>` to it and list it. Default off.
   */
  pyro4?: ServeOverPyro4Options;
}

/**
 * The role of a served object: `serving` (registered, callers reach it),
 * `standby` (a singleton waiting to take over: not registered), `closed`.
 */
export type ServedState = 'serving' | 'standby' | 'closed';

/** The events of {@link Served}. */
export interface ServedEvents {
  /** The instance is registered and serves: once for a plain one, at each election won for a singleton. */
  serving: [];
  /** A singleton stopped serving and stands by: it lost the election's lead (its session ended), or another instance leads. */
  standby: [];
  /**
   * A background step of a singleton's election failed (it is retried; it
   * stops only when the client is closed). Emitted only while someone listens.
   */
  error: [Error];
}

/** A served object: see {@link serve}. */
export interface Served extends AsyncDisposable, EventEmitter<ServedEvents> {
  /** The service name. */
  readonly name: string;
  /** The address callers connect to, `host:port`. */
  readonly address: string;
  /** The registry node while registered (it changes after a session loss re-registers; undefined for a standby). */
  readonly registryPath: string | undefined;
  /** Remote references (`remote()`) callers hold now, over every connection: each goes when released, its holder disconnects, or the holder's session expires. */
  readonly references: number;
  /** `serving`, `standby` (a singleton that does not lead) or `closed`; see {@link ServedEvents} for the changes. */
  readonly state: ServedState;
  /**
   * Stops serving: removes the registry entry, stops listening, closes the
   * connections (their in-flight calls see their signal abort). Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Serves `object` as `name`: listens for callers and registers an instance
 * under `/herd/rpc/<name>/`, re-registered after every session loss.
 * Resolves once the entry exists (waiting up to `timeout` ms, default for
 * ever; `signal` cancels). Only the methods in `expose` are callable.
 *
 * With `singleton: true`, resolves once this process knows its role: it
 * leads (registered, `state` is `serving`) or stands by behind another
 * instance (`standby`, not registered); `serving` / `standby` events follow
 * the changes.
 *
 * Rejects with BadArgumentsError for an invalid name or `expose` (a name
 * that is not a method, `constructor`, `_`-prefixed, or Object.prototype's)
 * or an `idempotent` name that is not exposed, a `schemas` entry for a
 * method not exposed or that is not a Standard Schema, an empty `secret`,
 * `tls` without key and cert,
 * TimeoutError / CancelledError when the entry was not created in time,
 * and the socket's error when it cannot listen.
 */
export async function serve(client: Client, name: string, object: object | (() => object), options: ServeOptions): Promise<Served> {
  checkServiceName(name, 'serve');
  const mode = options?.instanceMode ?? 'single';
  if (mode !== 'single' && mode !== 'session' && mode !== 'call') throw new BadArgumentsError(`serve ${name}: unknown instanceMode ${String(mode)}`);
  if (mode !== 'single' && typeof object !== 'function') throw new BadArgumentsError(`serve ${name}: instanceMode '${mode}' needs a factory (() => object)`);
  const single = mode === 'single' ? (typeof object === 'function' ? object() : object) : undefined;
  if (mode === 'single' && (typeof single !== 'object' || single === null)) throw new BadArgumentsError(`serve ${name}: the served value must be an object`);
  const exposure = new Exposure(options.expose, single, `serve ${name}`);
  const idempotent = [...new Set(options.idempotent ?? [])].sort();
  for (const method of idempotent) {
    if (!exposure.methods.includes(method)) throw new BadArgumentsError(`serve ${name}: idempotent method '${method}' is not exposed`);
  }
  if (options.pyro4 !== undefined) checkPyro4Options(name, exposure.methods, options.pyro4);
  const secret = checkSecret(options.secret, `serve ${name}`);
  const schemas = options.schemas === undefined ? undefined : new Schemas(options.schemas, exposure.methods, `serve ${name}`);
  if (options.tls !== undefined && (typeof options.tls !== 'object' || options.tls === null || !options.tls.key || !options.tls.cert)) {
    throw new BadArgumentsError(`serve ${name}: tls needs key and cert`);
  }
  const host = options.host ?? '127.0.0.1';
  const advertisedHost = options.advertisedHost ?? host;
  if (advertisedHost === '0.0.0.0' || advertisedHost === '::') {
    throw new BadArgumentsError(`serve ${name}: host ${host} is a wildcard: give advertisedHost, the host callers connect to`);
  }
  const served = new ServedObject(client, name, exposure, options, single ?? (object as () => object), mode, idempotent, { secret, schemas });
  await served.start(host, options.port ?? 0, advertisedHost, options);
  return served;
}

class ServedObject extends EventEmitter<ServedEvents> implements Served, Dispatcher {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  private readonly sockets = new Set<Socket>();
  private registration: PersistentNode | undefined;
  private entry = '';
  private singleton: SingletonRole | undefined;
  private pyro4: Pyro4Side | undefined;
  private closing: Promise<void> | undefined;
  address = '';
  state: ServedState = 'standby';

  /** The objects of the `session` instance mode, one per caller connection. */
  private readonly sessions = new WeakMap<object, object>();

  constructor(
    readonly client: Client,
    readonly name: string,
    private readonly exposure: Exposure,
    private readonly options: ServeOptions,
    private readonly target: object | (() => object),
    private readonly mode: InstanceMode,
    private readonly idempotent: readonly string[],
    private readonly checks: { secret: Buffer | undefined; schemas: Schemas | undefined },
  ) {
    super();
    this.log = options.logger ?? ((message) => console.warn(message));
    const tls = options.tls;
    if (tls) {
      this.server = createTlsServer(
        // Client certificates are verified here, not by node:tls, which would drop the connection without telling
        // the caller why (TLS 1.3): a refused caller gets a CLOSE frame naming the reason (onSocket).
        { key: tls.key, cert: tls.cert, ca: tls.ca, requestCert: tls.requestCert === true, rejectUnauthorized: false },
        (socket) => this.onSocket(socket),
      );
      // A failed TLS handshake only loses its own connection; it is logged when TLS refused it (a caller that
      // rejected this server's certificate), not for a probe that merely connected and left.
      this.server.on('tlsClientError', (error, socket) => {
        if (isTlsRefusal(error)) this.log(`rpc ${name}: TLS handshake with ${socket.remoteAddress}:${socket.remotePort} failed: ${error.message}`);
      });
    } else {
      this.server = createServer((socket) => this.onSocket(socket));
    }
  }

  private readonly log: (message: string) => void;

  get registryPath(): string | undefined {
    return this.registration?.actualPath;
  }

  async start(host: string, port: number, advertisedHost: string, wait: WaitOptions): Promise<void> {
    const actualPort = await listenOn(this.server, host, port);
    this.address = advertisedHost.includes(':') ? `[${advertisedHost}]:${actualPort}` : `${advertisedHost}:${actualPort}`;
    const identifier = this.options.identifier ?? defaultIdentifier();
    if (this.options.pyro4 !== undefined) {
      const invoke: Pyro4Invoke = (method, args, call, peer) => this.invoke(method, args, call, peer);
      this.pyro4 = await startPyro4Side(this.name, this.exposure.methods, this.options.pyro4, invoke).catch(async (error: unknown) => {
        await this.close();
        throw error;
      });
    }
    this.entry = encodeEntry({
      ...this.pyro4?.entryFields,
      protocol: PROTOCOL_NAME,
      version: PROTOCOL_VERSION,
      address: this.address,
      interfaceHash: this.exposure.interfaceHash,
      methods: this.exposure.methods,
      tags: { ...(this.options.tags ?? {}) },
      identifier,
      pid: process.pid,
      idempotent: this.idempotent,
      singleton: this.options.singleton === true,
      tls: this.options.tls !== undefined,
      secret: this.checks.secret !== undefined,
    });
    try {
      if (this.options.singleton) {
        this.singleton = new SingletonRole(this.client, this.name, identifier, {
          lead: (_lost, w) => this.register(w),
          stepDown: () => {
            if (!this.closing) this.setState('standby');
            return this.unregister();
          },
          standby: () => this.setState('standby'),
          failed: (error) => {
            if (this.listenerCount('error') > 0) this.emit('error', error);
          },
        });
        await this.singleton.start(wait);
      } else {
        await this.register(wait);
      }
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  /** Registers this instance (kept registered across session loss until unregister) and serves. */
  private async register(wait: WaitOptions): Promise<void> {
    const registration = new PersistentNode(this.client, `${servicePath(this.name)}/instance-`, this.entry, { mode: 'ephemeralSequential' });
    this.registration = registration;
    await registration.start();
    await registration.waitForInitialCreate({ timeout: wait.timeout, signal: wait.signal });
    this.setState('serving');
  }

  /**
   * A singleton stepping down: removes the entry, then tells every caller
   * connected to go elsewhere (calls on their way are refused unrun, calls
   * running here fail with RpcConnectionError, or are retried when idempotent).
   */
  private async unregister(): Promise<void> {
    const registration = this.registration;
    this.registration = undefined;
    await registration?.close().catch(() => {});
    await Promise.all([...this.connections].map((c) => c.goAway()));
  }

  private setState(state: ServedState): void {
    if (this.state === state || this.state === 'closed') return;
    this.state = state;
    if (state !== 'closed') this.emit(state);
  }

  private onSocket(socket: Socket): void {
    // A standby is not registered: a caller reaching it anyway (an old entry) is refused, and looks again.
    if (this.closing || this.state !== 'serving') return void socket.destroy();
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    const identifier = this.options.identifier ?? defaultIdentifier();
    const refusal = this.certificateRefusal(socket);
    Connection.accept(socket, identifier, this, this.options, { secret: this.checks.secret, refusal }).then(
      (conn) => {
        this.connections.add(conn);
        conn.once('closed', () => this.connections.delete(conn));
      },
      // A peer that fails the handshake only loses its own connection (the connection closes its socket,
      // after the CLOSE frame saying why has left).
      // Logged when it is about trust (a certificate, the secret), not for every peer that broke the protocol or left.
      (error: Error) => {
        if (error instanceof AuthenticationError) this.log(`rpc ${this.name}: refused the connection from ${socket.remoteAddress}:${socket.remotePort}: ${error.message}`);
      },
    );
  }

  /** Why a caller's client certificate is refused (mutual TLS only), or undefined when it is accepted. */
  private certificateRefusal(socket: Socket): AuthenticationError | undefined {
    if (!this.options.tls?.requestCert || !(socket instanceof TLSSocket) || socket.authorized) return undefined;
    const presented = Object.keys(socket.getPeerCertificate() ?? {}).length > 0;
    const why = presented ? `client certificate refused: ${String(socket.authorizationError)}` : 'no client certificate: this server requires one';
    return new AuthenticationError(`TLS with ${this.name} refused: ${why}`);
  }

  /** Remote references the callers hold now (remote()), over every connection. */
  get references(): number {
    let n = 0;
    for (const c of this.connections) n += c.references;
    return n;
  }

  dispatch(target: string, method: string, args: unknown[], call: CallContext, peer: Connection): Promise<unknown> {
    if (target !== this.name) return Promise.reject(new NotExposedError(`no object served as '${target}' here (this is '${this.name}')`));
    return this.invoke(method, args, call, peer);
  }

  /** A call from a Herd connection or a Pyro4 one (`peer`: the connection, for the `session` instance mode). */
  private invoke(method: string, args: unknown[], call: CallContext, peer: object): Promise<unknown> {
    const target = this.name;
    const schemas = this.checks.schemas?.of(method);
    if (!schemas) return this.exposure.invoke(this.instanceFor(peer), target, method, args, call);
    return this.validatedInvoke(schemas, peer, method, args, call);
  }

  /** A call of a method with schemas: its arguments checked before it runs, its result after. */
  private async validatedInvoke(schemas: MethodSchemas, peer: object, method: string, args: unknown[], call: CallContext): Promise<unknown> {
    const what = `${this.name}.${method}`;
    const checked = schemas.args ? await validateArgs(schemas.args, args, what) : args;
    const value = await this.exposure.invoke(this.instanceFor(peer), this.name, method, checked, call);
    // A stream or a remote reference is not a value a schema can check.
    return schemas.result && !isAsyncIterable(value) && !remoteTarget(value) ? validateResult(schemas.result, value, what) : value;
  }

  private instanceFor(peer: object): object {
    if (this.mode === 'single') return this.target as object;
    const make = this.target as () => object;
    if (this.mode === 'call') return make();
    let own = this.sessions.get(peer);
    if (!own) this.sessions.set(peer, (own = make()));
    return own;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    // Unregister first, so callers rebind before the listener goes.
    await this.singleton?.close();
    await this.registration?.close().catch(() => {});
    this.setState('closed');
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.all([...this.connections].map((c) => c.goAway()));
    for (const s of this.sockets) s.destroy();
    await stopped;
    await this.pyro4?.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
