/**
 * A served object at work (serve.ts makes it): a TCP or TLS listener
 * speaking protocol.ts, and the object's entry in the registry
 * (registry.ts), kept there across session loss; or, for a singleton, kept
 * there only while this process leads the singleton's election
 * (singleton.ts).
 */
import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, TLSSocket } from 'node:tls';
import { isTlsHandshakeFailure, tlsServerOptions } from '../base/tls.js';
import type { WaitOptions } from '../base/wait.js';
import type { Client } from '../client/index.js';
import { PersistentNode } from '../recipes/index.js';
import { defaultIdentifier } from '../recipes/internal/index.js';
import { Connection } from './connection.js';
import { AuthenticationError, NotExposedError } from './errors.js';
import type { CallContext, Exposure } from './expose.js';
import type { Dispatcher } from './incoming.js';
import { listenOn } from './listen.js';
import { PROTOCOL_NAME, PROTOCOL_VERSION } from './protocol.js';
import { startPyro4Side, type Pyro4Invoke, type Pyro4Side } from './pyro/serve.js';
import { remoteTarget } from './references.js';
import { encodeEntry, servicePath } from './registry.js';
import { validateArgs, validateResult, type MethodSchemas, type Schemas } from './schemas.js';
import type { InstanceMode, ServeOptions } from './serve-options.js';
import { SingletonRole } from './singleton.js';
import { isAsyncIterable } from './stream.js';

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

/** @internal The {@link Served} that serve() returns; serve() has checked its arguments. */
export class ServedObject extends EventEmitter<ServedEvents> implements Served, Dispatcher {
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
        tlsServerOptions(tls),
        (socket) => this.onSocket(socket),
      );
      // A failed TLS handshake only loses its own connection; it is logged when TLS refused it (a caller that
      // rejected this server's certificate), not for a probe that merely connected and left.
      this.server.on('tlsClientError', (error, socket) => {
        if (isTlsHandshakeFailure(error)) this.log(`rpc ${name}: TLS handshake with ${socket.remoteAddress}:${socket.remotePort} failed: ${error.message}`);
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
      const invoke: Pyro4Invoke = async (method, args, call, peer) => this.invoke(method, args, call, peer);
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

  dispatch(target: string, method: string, args: unknown[], call: CallContext, peer: object): unknown {
    if (target !== this.name) throw new NotExposedError(`no object served as '${target}' here (this is '${this.name}')`);
    return this.invoke(method, args, call, peer);
  }

  /**
   * A call from a Herd connection or a Pyro4 one (`peer`: the connection, for
   * the `session` instance mode): the method's value, or a promise when it
   * returned one (or has schemas); throws what it threw.
   */
  private invoke(method: string, args: unknown[], call: CallContext, peer: object): unknown {
    const target = this.name;
    const schemas = this.checks.schemas?.of(method);
    if (!schemas) return this.exposure.apply(this.instanceFor(peer), target, method, args, call);
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
