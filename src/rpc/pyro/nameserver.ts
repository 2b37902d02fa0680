/**
 * A Pyro4-compatible name server backed by Herd's registry: a Pyro4 daemon
 * serving `Pyro.NameServer` with the methods of Pyro4 4.82's `NameServer`
 * (`ping`, `register`, `lookup`, `list`, `remove`, `set_metadata`, `count`),
 * so `Pyro4.locateNS(host, port)`, `PYRONAME:` URIs and
 * `python3 -m Pyro4.nsc` work unchanged. The names live in the coordination
 * store (layout: entries.ts), not in this process: any number of name
 * servers over one store serve the same names, and any of them may die.
 * Each answers from a watched in-memory copy of the names (cache.ts),
 * reading the store itself only while that copy may have missed a change.
 */
import type { Client } from '../../client/index.js';
import { BadArgumentsError, TimeoutError } from '../../errors.js';
import { RpcConnectionError } from '../errors.js';
import { startPyroDaemon, PythonError, type PyroDaemon, type PyroDaemonOptions, type PyroTarget } from './daemon.js';
import { ProxyConnection, parsePyroUri } from './proxy-connection.js';
import { RegistryCache } from './cache.js';
import {
  deleteRegistration,
  deleteRegistrationIf,
  readAllPyroEntries,
  readPyroEntry,
  storableName,
  writeMetadata,
  writeRegistration,
  type PyroEntry,
} from './entries.js';
import { pyTuple } from './values.js';

/** The object id of a Pyro4 name server. */
export const NAMESERVER_OBJECT_ID = 'Pyro.NameServer';
/** Pyro4's default name-server port. */
export const DEFAULT_PYRO4_NS_PORT = 9090;

/** Options of {@link startPyroNameServer}. */
export interface PyroNameServerOptions extends Omit<PyroDaemonOptions, 'port'> {
  /** The coordination client whose store keeps the names. */
  client: Client;
  /** Port. Default 9090 (Pyro4's); 0 picks a free one. */
  port?: number;
  /**
   * Liveness cleaning, as Pyro5's name server's autoclean: every
   * `cleanInterval` ms, each name registered through a name server (not
   * those Herd serves, which leave with their process) is checked by
   * connecting to its object (a Pyro4 handshake, within the smaller of
   * `cleanInterval` and 10 s); a name whose object cannot be reached, or
   * whose daemon no longer knows it, is removed. An object that answers
   * with an HMAC error is alive. Every name server over the store may
   * clean; a registration changed meanwhile is kept. Default off.
   */
  cleanInterval?: number;
}

/** A running name server: see {@link startPyroNameServer}. */
export interface PyroNameServer extends AsyncDisposable {
  /** Its own URI, `PYRO:Pyro.NameServer@host:port`. */
  readonly uri: string;
  /** `host:port`. */
  readonly address: string;
  /** The port it listens on (the free one picked when `port` was 0). */
  readonly port: number;
  /** Stops listening and closes its connections; the names stay in the store. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a Pyro4 name server on `host:port` (default `127.0.0.1:9090`)
 * over the registry of `client`. Resolves once it has loaded the names
 * and listens. Python finds it with `Pyro4.locateNS(host, port)`
 * (broadcast discovery is not offered).
 *
 * It answers from an in-memory copy of the names kept by a watch: its own
 * writes are seen by its next call; writes through other name servers
 * (or by Node processes serving names) once the watch event arrives;
 * while disconnected from the store, until the copy is read again, calls
 * read the store (docs/pyro4.md, "Answers from memory").
 *
 * Rejects with BadArgumentsError without a client or with a bad
 * `cleanInterval`, with the client's error when its session is over, and
 * with the socket's error when it cannot listen.
 */
export async function startPyroNameServer(options: PyroNameServerOptions): Promise<PyroNameServer> {
  if (!options?.client) throw new BadArgumentsError('startPyroNameServer: `client` is required');
  const client = options.client;
  const interval = options.cleanInterval;
  if (interval !== undefined && !(typeof interval === 'number' && interval > 0 && Number.isFinite(interval))) {
    throw new BadArgumentsError(`startPyroNameServer: cleanInterval must be a positive number of ms, not ${String(interval)}`);
  }
  const cache = new RegistryCache(client);
  await cache.start();
  let self = '';
  const names: Names = {
    self: () => self,
    entry: async (name) => (cache.fresh ? cache.entry(name) : await readPyroEntry(client, name)),
    all: async () => [
      { name: NAMESERVER_OBJECT_ID, uri: self, metadata: [], registered: false },
      ...(cache.fresh ? cache.entries() : await readAllPyroEntries(client)).filter((e) => e.name !== NAMESERVER_OBJECT_ID),
    ],
    written: (name) => cache.written(name),
  };
  let daemon: PyroDaemon;
  try {
    daemon = await startPyroDaemon(new Map([[NAMESERVER_OBJECT_ID, nameServerTarget(client, names)]]), { ...options, port: options.port ?? DEFAULT_PYRO4_NS_PORT });
  } catch (error) {
    await cache.close();
    throw error;
  }
  self = daemon.uri(NAMESERVER_OBJECT_ID);
  const cleaner = interval === undefined ? undefined : new Cleaner(client, interval, options.hmacKey, names.written);
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await cleaner?.close();
      await daemon.close();
      await cache.close();
    })());
  return { uri: self, address: daemon.address, port: daemon.port, close, [Symbol.asyncDispose]: close };
}

/** How the name server's methods reach the names: the watched copy while it is fresh, else the store. */
interface Names {
  /** This name server's own URI. */
  self(): string;
  /** The entry of `name`, or undefined. */
  entry(name: string): Promise<PyroEntry | undefined>;
  /** Every entry, this name server's own first. */
  all(): Promise<PyroEntry[]>;
  /** Called after a write of `name` through this name server; resolves once the next read sees it. */
  written(name: string): Promise<void>;
}

/** The liveness cleaning of `cleanInterval`: one round at a time, the next `interval` ms after the last ended. */
class Cleaner {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly client: Client,
    private readonly interval: number,
    private readonly hmacKey: string | Uint8Array | undefined,
    private readonly written: (name: string) => Promise<void>,
  ) {
    this.schedule();
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      // A failed round (the store unreachable) is retried at the next one.
      this.round = this.clean().catch(() => {}).then(() => this.schedule());
    }, this.interval);
  }

  private async clean(): Promise<void> {
    for (const e of await readAllPyroEntries(this.client)) {
      if (this.closed) return;
      if (e.registered && !(await this.answers(e.uri)) && (await deleteRegistrationIf(this.client, e.name, e.uri))) await this.written(e.name);
    }
  }

  /** False when the object of `uri` cannot be reached or its daemon refuses it; true when it shakes hands, or answers at all. */
  private async answers(uri: string): Promise<boolean> {
    const where = parsePyroUri(uri);
    if (!where) return true; // not a TCP URI (a Unix socket): not checked
    const conn = new ProxyConnection(where.objectId, where.host, where.port, { hmacKey: this.hmacKey, callTimeout: Math.min(this.interval, 10_000) });
    try {
      await conn.open();
      return true;
    } catch (error) {
      return !(error instanceof RpcConnectionError || error instanceof TimeoutError);
    } finally {
      await conn.close();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.round;
  }
}

type Method = (a: Record<string, unknown>) => Promise<unknown>;

/** Binds Python positional and keyword arguments to `params` (names, in order), as Python would; TypeError otherwise. */
function bind(method: string, params: readonly string[], args: unknown[], kwargs: Record<string, unknown>): Record<string, unknown> {
  if (args.length > params.length) throw new PythonError('builtins.TypeError', `${method}() takes at most ${params.length} arguments (${args.length} given)`);
  const out: Record<string, unknown> = {};
  params.forEach((p, i) => {
    if (i < args.length) out[p] = args[i];
  });
  for (const [k, v] of Object.entries(kwargs)) {
    if (!params.includes(k)) throw new PythonError('builtins.TypeError', `${method}() got an unexpected keyword argument '${k}'`);
    if (k in out) throw new PythonError('builtins.TypeError', `${method}() got multiple values for argument '${k}'`);
    out[k] = v;
  }
  return out;
}

function nameArg(v: unknown): string {
  if (typeof v !== 'string') throw new PythonError('builtins.TypeError', 'name must be a str');
  return v;
}

/** Metadata as Pyro4 takes it: None or an iterable of str (never a str itself). */
function metadataArg(v: unknown, what = 'metadata'): string[] {
  if (v === null || v === undefined) return [];
  if (typeof v === 'string') throw new PythonError('builtins.TypeError', `${what} should not be a str, but another iterable (set, list, etc)`);
  if (!Array.isArray(v) && !(v instanceof Set)) throw new PythonError('builtins.TypeError', `${what} must be an iterable of str`);
  const items = [...v];
  if (!items.every((m) => typeof m === 'string')) throw new PythonError('builtins.TypeError', `${what} items must be str`);
  return [...new Set(items as string[])];
}

function unknownName(name: string): PythonError {
  return new PythonError('Pyro4.errors.NamingError', `unknown name: ${name}`);
}

/** A `PYRO:obj@host:port` string as the `Pyro4.core.URI` object Python's `lookup` returns. */
function uriObject(uri: string): Record<string, unknown> {
  const m = /^([A-Za-z]+):(\S+?)(?:@(.+))?$/.exec(uri);
  if (!m) throw new PythonError('Pyro4.errors.PyroError', `invalid uri in the registry: ${uri}`);
  const [, protocol, object, location = ''] = m;
  if (location.startsWith('./u:')) return { __class__: 'Pyro4.core.URI', state: pyTuple(protocol!.toUpperCase(), object, location.slice(4), null, null) };
  const hp = /^\[?([^\]]*?)\]?:(\d+)$/.exec(location);
  return { __class__: 'Pyro4.core.URI', state: pyTuple(protocol!.toUpperCase(), object, null, hp?.[1] ?? location, hp ? Number(hp[2]) : null) };
}

/** A Pyro `re.match` (anchored at the start) in JavaScript's regex syntax, which agrees with Python's for ordinary patterns. */
function matcher(regex: string): (name: string) => boolean {
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${regex})`, 'u');
  } catch (error) {
    throw new PythonError('Pyro4.errors.NamingError', `invalid regex: ${(error as Error).message}`);
  }
  return (name) => re.test(name);
}

function nameServerTarget(client: Client, names: Names): PyroTarget {
  const filtered = async (a: Record<string, unknown>): Promise<PyroEntry[]> => {
    const given = ['prefix', 'regex', 'metadata_all', 'metadata_any'].filter((k) => a[k] !== undefined && a[k] !== null);
    if (given.length > 1) throw new PythonError('builtins.ValueError', 'you can only filter on one thing at a time');
    let all = await names.all();
    if (a.prefix) all = all.filter((e) => e.name.startsWith(nameArg(a.prefix)));
    else if (a.regex) {
      const match = matcher(nameArg(a.regex));
      all = all.filter((e) => match(e.name));
    } else if (a.metadata_all) {
      const want = metadataArg(a.metadata_all, 'metadata_all');
      all = all.filter((e) => want.every((m) => e.metadata.includes(m)));
    } else if (a.metadata_any) {
      const want = metadataArg(a.metadata_any, 'metadata_any');
      all = all.filter((e) => want.some((m) => e.metadata.includes(m)));
    }
    return all;
  };
  const removable = (e: PyroEntry): boolean => e.registered && e.name !== NAMESERVER_OBJECT_ID;
  const methods: Record<string, [readonly string[], Method]> = {
    ping: [[], async () => null],
    count: [[], async () => (await names.all()).length],
    lookup: [
      ['name', 'return_metadata'],
      async (a) => {
        const name = nameArg(a.name);
        const e = name === NAMESERVER_OBJECT_ID ? { uri: names.self(), metadata: [] } : await names.entry(name);
        if (!e) throw unknownName(name);
        return a.return_metadata ? pyTuple(uriObject(e.uri), [...e.metadata]) : uriObject(e.uri);
      },
    ],
    register: [
      ['name', 'uri', 'safe', 'metadata'],
      async (a) => {
        let uri = a.uri;
        if (typeof uri === 'object' && uri !== null && (uri as Record<string, unknown>).__class__ === 'Pyro4.core.URI') uri = uriString(uri as Record<string, unknown>);
        if (typeof uri !== 'string') throw new PythonError('builtins.TypeError', 'only URIs or strings can be registered');
        if (!/^PYRO:\S+@\S+$/i.test(uri)) throw new PythonError('Pyro4.errors.PyroError', `invalid uri: ${uri}`);
        const name = nameArg(a.name);
        const metadata = metadataArg(a.metadata);
        if (name === NAMESERVER_OBJECT_ID) throw new PythonError('Pyro4.errors.NamingError', `${name} is this name server's own name`);
        if (!storableName(name)) throw new PythonError('Pyro4.errors.NamingError', `name not supported by Herd's name server (no '/', control characters, or '.'/'..'): ${name}`);
        if (!(await writeRegistration(client, name, uri, metadata, a.safe === true))) throw new PythonError('Pyro4.errors.NamingError', `name already registered: ${name}`);
        await names.written(name);
        return null;
      },
    ],
    set_metadata: [
      ['name', 'metadata'],
      async (a) => {
        const name = nameArg(a.name);
        const metadata = metadataArg(a.metadata);
        if (await writeMetadata(client, name, metadata)) {
          await names.written(name);
          return null;
        }
        if (await names.entry(name)) throw new PythonError('Pyro4.errors.NamingError', `${name} is served by a Herd process: its metadata is set where it is served`);
        throw unknownName(name);
      },
    ],
    remove: [
      ['name', 'prefix', 'regex'],
      async (a) => {
        if (a.name) {
          const name = nameArg(a.name);
          if (name === NAMESERVER_OBJECT_ID || !(await deleteRegistration(client, name))) return 0;
          await names.written(name);
          return 1;
        }
        if (!a.prefix && !a.regex) return 0;
        let n = 0;
        for (const e of await filtered({ prefix: a.prefix || undefined, regex: a.prefix ? undefined : a.regex })) {
          if (removable(e) && (await deleteRegistration(client, e.name))) {
            await names.written(e.name);
            n++;
          }
        }
        return n;
      },
    ],
    list: [
      ['prefix', 'regex', 'metadata_all', 'metadata_any', 'return_metadata'],
      async (a) => {
        const out: Record<string, unknown> = {};
        for (const e of await filtered(a)) {
          Object.defineProperty(out, e.name, { value: a.return_metadata ? pyTuple(e.uri, [...e.metadata]) : e.uri, enumerable: true, writable: true, configurable: true });
        }
        return out;
      },
    ],
  };
  return {
    methods: Object.keys(methods).sort(),
    oneway: [],
    call: async (method, args, kwargs) => {
      const m = Object.hasOwn(methods, method) ? methods[method] : undefined;
      if (!m) throw new PythonError('builtins.AttributeError', `${NAMESERVER_OBJECT_ID} has no method '${method}'`);
      return m[1](bind(method, m[0], args, kwargs));
    },
  };
}

/** A `Pyro4.core.URI` dict (its state tuple) back to its string form; undefined when it is not one. */
export function uriString(uri: Record<string, unknown>): unknown {
  const state = uri.state;
  if (!Array.isArray(state) || state.length !== 5) return undefined;
  const [protocol, object, sockname, host, port] = state as [string, string, string | null, string | null, number | null];
  if (sockname) return `${protocol}:${object}@./u:${sockname}`;
  const h = typeof host === 'string' && host.includes(':') ? `[${host}]` : host;
  return `${protocol}:${object}@${h}:${port}`;
}
