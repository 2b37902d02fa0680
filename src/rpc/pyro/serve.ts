/**
 * Serving a Node object to Python Pyro4 proxies: a Pyro4 daemon (daemon.ts)
 * serving the object under its name, and an ephemeral registry entry
 * (`/herd/rpc/<name>/instance-<seq>`, protocol `pyro4`, see entries.ts), so
 * every Herd Pyro4 name server resolves `PYRONAME:<name>` to it and lists it.
 */
import type { WaitOptions } from '../../base/wait.js';
import type { Client } from '../../client/index.js';
import { BadArgumentsError } from '../../errors.js';
import { PersistentNode } from '../../recipes/index.js';
import { defaultIdentifier } from '../../recipes/internal/index.js';
import { Exposure } from '../expose.js';
import { checkServiceName, servicePath } from '../registry.js';
import { startPyroDaemon, type PyroDaemon, type PyroDaemonOptions, type PyroTarget } from './daemon.js';
import { pyroEntryJson } from './entries.js';

/** `serve(..., { pyro4 })`: the same object served to Python Pyro4 proxies too (see {@link startPyro4Side}). */
export interface ServeOverPyro4Options extends PyroDaemonOptions {
  /** Exposed methods Python proxies call oneway (`@Pyro4.oneway`): no reply, errors dropped. Default none. */
  oneway?: readonly string[];
  /** The name's Pyro4 metadata (what `ns.list(metadata_any=...)` filters on). Default none. */
  metadata?: readonly string[];
}

/** Runs an exposed method for a Pyro4 caller; `peer` is the same object for every call on one Pyro4 connection. */
export type Pyro4Invoke = (method: string, args: unknown[], ctx: Parameters<Exposure['invoke']>[4], peer: object) => Promise<unknown>;

/** The Pyro4 side of an object served by `serve`: its daemon, and what goes into its registry entry. */
export interface Pyro4Side {
  /** Its Pyro4 URI, `PYRO:<name>@host:port`. */
  readonly uri: string;
  /** Fields added to the Herd registry entry, so name servers resolve and list the name (entries.ts). */
  readonly entryFields: { readonly pyro4: { readonly uri: string; readonly metadata: readonly string[] } };
  close(): Promise<void>;
}

/** The daemon target of an exposed object: keyword arguments arrive as one options object, last, only when there are some. */
function exposedTarget(name: string, methods: readonly string[], options: { oneway?: readonly string[] }, invoke: Pyro4Invoke, what: string): PyroTarget {
  const oneway = [...new Set(options.oneway ?? [])].sort();
  for (const m of oneway) if (!methods.includes(m)) throw new BadArgumentsError(`${what} ${name}: oneway method '${m}' is not exposed`);
  return {
    methods,
    oneway,
    call: (method, args, kwargs, ctx, peer) => invoke(method, Object.keys(kwargs).length > 0 ? [...args, kwargs] : args, ctx, peer),
  };
}

function checkHost(name: string, options: PyroDaemonOptions, what: string): void {
  const host = options.host ?? '127.0.0.1';
  if ((host === '0.0.0.0' || host === '::') && !options.advertisedHost) {
    throw new BadArgumentsError(`${what} ${name}: host ${host} is a wildcard: give advertisedHost, the host callers connect to`);
  }
}

/** Throws BadArgumentsError when `serve`'s `pyro4` options are not valid for an object exposing `methods` (before any I/O). */
export function checkPyro4Options(name: string, methods: readonly string[], options: ServeOverPyro4Options): void {
  if (typeof options !== 'object' || options === null) throw new BadArgumentsError(`serve ${name}: pyro4 must be an options object`);
  exposedTarget(name, methods, options, () => Promise.resolve(), 'serve');
  checkHost(name, options, 'serve');
}

/**
 * Starts the Pyro4 daemon of `serve(client, name, object, { pyro4 })`,
 * serving `methods` through `invoke` (the served object's own checks and
 * instance mode) under object id `name`. The caller writes
 * `entryFields` into its one registry entry. Throws BadArgumentsError for
 * a `oneway` method not exposed or a wildcard host without
 * `advertisedHost`; rejects with the socket's error when it cannot listen.
 */
export async function startPyro4Side(name: string, methods: readonly string[], options: ServeOverPyro4Options, invoke: Pyro4Invoke): Promise<Pyro4Side> {
  checkPyro4Options(name, methods, options);
  const target = exposedTarget(name, methods, options, invoke, 'serve');
  const daemon = await startPyroDaemon(new Map([[name, target]]), options);
  const uri = daemon.uri(name);
  return { uri, entryFields: { pyro4: { uri, metadata: [...new Set(options.metadata ?? [])].sort() } }, close: () => daemon.close() };
}

/** Options of {@link servePyro4}. */
export interface ServePyro4Options extends PyroDaemonOptions, WaitOptions {
  /** The methods Python may call (deny by default, with the rules of `serve`'s `expose`). Required, non-empty. */
  expose: readonly string[];
  /** Exposed methods Python proxies call oneway (`@Pyro4.oneway`): no reply, errors dropped. Default none. */
  oneway?: readonly string[];
  /** The name's Pyro4 metadata (what `ns.list(metadata_any=...)` filters on). Default none. */
  metadata?: readonly string[];
  /** Tags in the registry entry, as `serve`'s. Default none. */
  tags?: Readonly<Record<string, string>>;
  /** This process's identifier in the registry. Default `<hostname>-<pid>`. */
  identifier?: string;
}

/** An object served over Pyro4: see {@link servePyro4}. */
export interface PyroServed extends AsyncDisposable {
  /** The name served (the Pyro4 object id, and the registry service name). */
  readonly name: string;
  /** Its direct URI, `PYRO:<name>@host:port`. */
  readonly uri: string;
  /** `host:port`. */
  readonly address: string;
  /** Its registry node while registered. */
  readonly registryPath: string | undefined;
  /** Removes the registry entry, then stops the daemon (running calls see their signal abort). Idempotent. */
  close(): Promise<void>;
}

/**
 * Serves `object` to Python Pyro4 proxies as `name`: `Pyro4.Proxy('PYRONAME:<name>')`
 * through any Herd Pyro4 name server over the same store reaches it, and
 * `ns.list()` lists it. A Python call `obj.method(a, b, x=1)` runs
 * `object.method(a, b, { x: 1 })` (keyword arguments arrive as one options
 * object, last, only when there are some); the method may be async and may
 * return an async iterable (a Pyro4 item stream). Values map as serpent.ts
 * documents; an error thrown reaches Python as the `builtins` exception of
 * the same name (`TypeError`, `ValueError`, `KeyError`, ...), a
 * {@link PythonError}'s class, or `Pyro4.errors.PyroError`, with the Node
 * stack as its remote traceback. `callContext()` works in the method; its
 * signal aborts when the caller disconnects.
 *
 * Resolves once the registry entry exists (`timeout`, `signal`). Rejects
 * with BadArgumentsError for a bad name or `expose`, a `oneway` method
 * that is not exposed, or a wildcard host without `advertisedHost`;
 * TimeoutError / CancelledError when the entry is not created in time; the
 * socket's error when it cannot listen.
 */
export async function servePyro4(client: Client, name: string, object: object, options: ServePyro4Options): Promise<PyroServed> {
  checkServiceName(name, 'servePyro4');
  if (typeof object !== 'object' || object === null) throw new BadArgumentsError(`servePyro4 ${name}: the served value must be an object`);
  const exposure = new Exposure(options?.expose, object, `servePyro4 ${name}`);
  const target = exposedTarget(name, exposure.methods, options, (method, args, ctx) => exposure.invoke(object, name, method, args, ctx), 'servePyro4');
  checkHost(name, options, 'servePyro4');
  const daemon = await startPyroDaemon(new Map([[name, target]]), options);
  const entry = pyroEntryJson(daemon.uri(name), options.metadata ?? [], {
    interfaceHash: exposure.interfaceHash,
    methods: exposure.methods,
    tags: { ...(options.tags ?? {}) },
    identifier: options.identifier ?? defaultIdentifier(),
    pid: process.pid,
    idempotent: [],
    singleton: false,
  });
  const registration = new PersistentNode(client, `${servicePath(name)}/instance-`, entry, { mode: 'ephemeralSequential' });
  const served = new Pyro4Served(name, daemon, registration);
  try {
    await registration.start();
    await registration.waitForInitialCreate({ timeout: options.timeout, signal: options.signal });
  } catch (error) {
    await served.close();
    throw error;
  }
  return served;
}

class Pyro4Served implements PyroServed {
  private closing: Promise<void> | undefined;
  constructor(
    readonly name: string,
    private readonly daemon: PyroDaemon,
    private readonly registration: PersistentNode,
  ) {}

  get uri(): string {
    return this.daemon.uri(this.name);
  }

  get address(): string {
    return this.daemon.address;
  }

  get registryPath(): string | undefined {
    return this.registration.actualPath;
  }

  close(): Promise<void> {
    // The entry goes first, so name servers stop handing out the address before it stops answering.
    this.closing ??= this.registration
      .close()
      .catch(() => {})
      .then(() => this.daemon.close());
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
