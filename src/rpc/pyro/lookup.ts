/**
 * Calling a Python Pyro4 object from Node: a Pyro4 proxy (one connection,
 * calls sent one at a time as a Pyro4 proxy does, proxy-connection.ts),
 * found by a `PYRO:obj@host:port` URI, a `PYRONAME:name@host:port` name
 * resolved through a Pyro4 name server (Pyro4's own or Herd's), or a name
 * in Herd's registry (`PYRONAME:name` or the bare name). A proxy found by
 * name looks the name up again each time it connects, so it follows an
 * object that moved.
 */
import type { Client } from '../../client/index.js';
import { BadArgumentsError, InvalidStateError } from '../../errors.js';
import { RemoteError } from '../errors.js';
import { DAEMON_OBJECT_ID } from './daemon.js';
import { readPyroEntry } from './entries.js';
import { MessageFlags } from './message.js';
import { NAMESERVER_OBJECT_ID, uriString } from './nameserver.js';
import { ProxyConnection, parsePyroUri, remoteError, type CallReply, type ProxyConnectionOptions, type PyroMetadata } from './proxy-connection.js';
import { pyTuple } from './values.js';

/** Options of {@link lookupPyro4}. */
export interface LookupPyro4Options extends ProxyConnectionOptions {}

/** Keyword arguments of a Pyro4 call: pass `pyKwargs({ verbose: true })` as a proxy method's last argument. */
export class PyKwargs {
  constructor(
    /** The keyword arguments, by name. */
    readonly values: Readonly<Record<string, unknown>>,
  ) {}
}

/** Marks `values` as the keyword arguments of a call: `md.cluster_role(pyKwargs({ verbose: true }))` is Python's `md.cluster_role(verbose=True)`. */
export function pyKwargs(values: Readonly<Record<string, unknown>>): PyKwargs {
  return new PyKwargs(values);
}

/**
 * A proxy to a Python Pyro4 object: each exposed method (as its daemon's
 * metadata lists them) returns a Promise of its result, or of an async
 * iterable when the Python method returns a generator (a Pyro4 item
 * stream, read one item per `next()`); a method the metadata marks oneway
 * resolves once sent. `close()` ends the connection.
 */
export type Pyro4Remote = Record<string, (...args: unknown[]) => Promise<unknown>> & AsyncDisposable & { close(): Promise<void> };

/** One call of a {@link batchPyro4}: the method name, then its arguments (a {@link PyKwargs} last for keyword arguments). */
export type Pyro4BatchCall = readonly [method: string, ...args: unknown[]];

const bindings = new WeakMap<object, Binding>();

/**
 * Connects to the Pyro4 object `target` and resolves with a proxy of its
 * exposed methods. `target` is a `PYRO:obj@host:port` URI, a
 * `PYRONAME:name@host:port` name (looked up in the Pyro4 name server at
 * host:port), or `PYRONAME:name` / `name`, looked up in the registry of
 * `client` (a Python registration made through a Herd name server, or an
 * object Herd serves over Pyro4). A proxy found by name resolves it again
 * whenever it reconnects (after its connection was lost), so it follows
 * an object that moved; a call that was running when the connection went
 * rejects with RpcConnectionError, and is not sent again.
 *
 * A Python exception arrives as a RemoteError named by its class
 * (`ValueError`, `NamingError`), code `REMOTE`, whose `cause.stack` is the
 * remote traceback. Rejects with BadArgumentsError for a bad URI or an
 * unknown name, RpcConnectionError when the daemon cannot be reached or
 * refuses the handshake, ProtocolError on an HMAC mismatch, TimeoutError
 * after `callTimeout`.
 */
export async function lookupPyro4(client: Client, target: string, options: LookupPyro4Options = {}): Promise<Pyro4Remote> {
  if (typeof target !== 'string' || target === '') throw new BadArgumentsError('lookupPyro4: target must be a URI or a name');
  if (options.serializer !== undefined && options.serializer !== 'serpent' && options.serializer !== 'json') {
    throw new BadArgumentsError(`lookupPyro4: serializer must be 'serpent' or 'json', not ${String(options.serializer)}`);
  }
  const binding = new Binding(client, target, options);
  const meta = await binding.bind();
  const proxy: Record<string | symbol, unknown> = {};
  for (const method of meta.methods) proxy[method] = (...args: unknown[]) => binding.call(method, args);
  proxy.close = () => binding.close();
  proxy[Symbol.asyncDispose] = () => binding.close();
  bindings.set(proxy, binding);
  return proxy as Pyro4Remote;
}

/**
 * Runs `calls` on `remote`'s object as one Pyro4 batch (one message, run in
 * order on the Python side, as `Pyro4.batch(proxy)` does) and resolves
 * with their results in order. The batch stops at the first call that
 * raises: this rejects with that exception (a RemoteError), the calls
 * after it not run. With `oneway`, resolves once sent, with `[]`.
 * Rejects with BadArgumentsError when `remote` is not from lookupPyro4.
 */
export async function batchPyro4(remote: Pyro4Remote, calls: readonly Pyro4BatchCall[], options: { oneway?: boolean } = {}): Promise<unknown[]> {
  const binding = bindings.get(remote);
  if (!binding) throw new BadArgumentsError('batchPyro4: not a proxy made by lookupPyro4');
  const items = calls.map(([method, ...args]) => {
    const [positional, kwargs] = splitKwargs(args);
    return pyTuple(method, pyTuple(...positional), kwargs);
  });
  const flags = MessageFlags.BATCH | (options.oneway ? MessageFlags.ONEWAY : 0);
  const conn = await binding.connection();
  const reply = await conn.invoke('<batch>', items, {}, flags);
  if (options.oneway) return [];
  const results = 'value' in reply && Array.isArray(reply.value) ? reply.value : [];
  const out: unknown[] = [];
  for (const r of results) {
    const wrapper = r as Record<string, unknown> | null;
    if (typeof wrapper === 'object' && wrapper !== null && wrapper.__class__ === 'Pyro4.futures._ExceptionWrapper') {
      throw remoteError(wrapper.exception);
    }
    out.push(r);
  }
  return out;
}

function splitKwargs(args: readonly unknown[]): [unknown[], Record<string, unknown>] {
  const last = args[args.length - 1];
  return last instanceof PyKwargs ? [args.slice(0, -1), { ...last.values }] : [[...args], {}];
}

/** A proxy's link to its object: the connection, made again (and the name resolved again) after it is lost. */
class Binding {
  private conn: ProxyConnection | undefined;
  private connecting: Promise<ProxyConnection> | undefined;
  private oneway = new Set<string>();
  private closed = false;

  constructor(
    private readonly client: Client,
    private readonly target: string,
    private readonly options: LookupPyro4Options,
  ) {}

  async bind(): Promise<PyroMetadata> {
    await this.connection();
    return { methods: this.methods, oneway: [...this.oneway] };
  }

  private methods: readonly string[] = [];

  connection(): Promise<ProxyConnection> {
    if (this.closed) return Promise.reject(new InvalidStateError(`pyro4 proxy ${this.target}: closed`));
    if (this.conn && !this.conn.dead) return Promise.resolve(this.conn);
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<ProxyConnection> {
    const uri = await this.resolve();
    const where = parsePyroUri(uri);
    if (!where) throw new BadArgumentsError(`lookupPyro4: not a PYRO:obj@host:port URI: ${uri}`);
    const conn = new ProxyConnection(where.objectId, where.host, where.port, this.options);
    try {
      const meta = await conn.open();
      this.methods = meta.methods;
      this.oneway = new Set(meta.oneway);
    } catch (error) {
      await conn.close();
      throw error;
    }
    if (this.closed) {
      await conn.close();
      throw new InvalidStateError(`pyro4 proxy ${this.target}: closed`);
    }
    this.conn = conn;
    return conn;
  }

  /** The target's current `PYRO:` URI. */
  private async resolve(): Promise<string> {
    const t = this.target;
    if (/^PYRO:/i.test(t)) return t;
    const named = /^PYRONAME:([^@]+)(?:@(.+))?$/i.exec(t);
    const name = named ? named[1]! : t;
    const ns = named?.[2];
    if (ns === undefined) {
      const entry = await readPyroEntry(this.client, name);
      if (!entry) throw new BadArgumentsError(`lookupPyro4: no Pyro4 name '${name}' in the registry`);
      return entry.uri;
    }
    const hp = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(ns);
    if (!hp) throw new BadArgumentsError(`lookupPyro4: not a PYRONAME:name@host:port name: ${t}`);
    const conn = new ProxyConnection(NAMESERVER_OBJECT_ID, hp[1]!, Number(hp[2] ?? 9090), this.options);
    try {
      await conn.open();
      const reply = await conn.invoke('lookup', [name], {});
      const uri = 'value' in reply ? uriString(reply.value as Record<string, unknown>) : undefined;
      if (typeof uri !== 'string') throw new BadArgumentsError(`lookupPyro4: the name server at ${ns} gave no URI for '${name}'`);
      return uri;
    } catch (error) {
      if (error instanceof RemoteError && error.name === 'NamingError') throw new BadArgumentsError(`lookupPyro4: ${error.message}`, { cause: error });
      throw error;
    } finally {
      await conn.close();
    }
  }

  async call(method: string, args: unknown[]): Promise<unknown> {
    const [positional, kwargs] = splitKwargs(args);
    const conn = await this.connection();
    const oneway = this.oneway.has(method);
    const reply = await conn.invoke(method, positional, kwargs, oneway ? MessageFlags.ONEWAY : 0);
    return 'streamId' in reply ? itemStream(conn, reply) : reply.value;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.conn?.close();
  }
}

/** A Pyro4 item stream, read lazily: one `get_next_stream_item` per `next()`; `return()` closes it on the daemon. */
async function* itemStream(conn: ProxyConnection, reply: Extract<CallReply, { streamId: string }>): AsyncGenerator<unknown> {
  let finished = false;
  try {
    for (;;) {
      let item: CallReply;
      try {
        item = await conn.invoke('get_next_stream_item', [reply.streamId], {}, 0, DAEMON_OBJECT_ID);
      } catch (error) {
        finished = true;
        if (error instanceof RemoteError && (error.name === 'StopIteration' || error.name === 'GeneratorExit')) return;
        throw error;
      }
      yield 'value' in item ? item.value : undefined;
    }
  } finally {
    if (!finished && !conn.dead) await conn.invoke('close_stream', [reply.streamId], {}, MessageFlags.ONEWAY, DAEMON_OBJECT_ID).catch(() => {});
  }
}
