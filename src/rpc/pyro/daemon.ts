/**
 * A Pyro4 daemon: a TCP listener speaking Pyro4 4.82's protocol
 * (message.ts; serpent and json, serializers.ts) and serving objects by object id, as
 * `Pyro4.Daemon` does, so stock Python proxies call Node objects.
 *
 * Per connection: the first message must be CONNECT (the handshake; its
 * reply carries the object's metadata when the proxy asks, as 4.82's do);
 * then INVOKE (a call, a oneway call, or a batch) and PING. Calls on one
 * connection are answered in order, as a Pyro4 proxy waits for each reply;
 * a oneway call runs without holding up the next. The daemon's own object,
 * `Pyro.Daemon`, answers `get_metadata`, `ping`, `info`, `registered`, and
 * the item-stream calls (`get_next_stream_item`, `close_stream`) behind a
 * method that returns an async iterable.
 *
 * A broken frame (bad magic, version, checksum, HMAC, size) closes that
 * connection only. Each message is read in the serializer its header
 * names and answered in the same; one Herd does not speak is refused
 * (pickle and dill would run code on load). A compressed message (zlib,
 * `Pyro4.config.COMPRESSION`) is inflated within `maxMessageSize`; replies
 * are not compressed, as those of a Pyro4 daemon without COMPRESSION.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { HerdError } from '../../errors.js';
import { NotExposedError, ProtocolError } from '../errors.js';
import { ServedCall, type CallContext } from '../expose.js';
import { isAsyncIterable } from '../stream.js';
import { MessageFlags, MessageReader, MessageType, SERIALIZER_IDS, encodeMessage, payloadOf, type PyroMessage } from './message.js';
import { encodeException } from './values.js';
import { serializerOf, serializerRefusal, type PyroSerializer } from './serializers.js';
import { listenOn } from '../listen.js';

const SERPENT = serializerOf(SERIALIZER_IDS.serpent)!;

/** The object id of a daemon's own object. */
export const DAEMON_OBJECT_ID = 'Pyro.Daemon';

/** What a daemon serves under one object id. */
export interface PyroTarget {
  /** The exposed method names (the metadata proxies receive). */
  readonly methods: readonly string[];
  /** The methods Python proxies call oneway (no reply). */
  readonly oneway: readonly string[];
  /** Runs `method` for the connection `peer` (the same object for every call on one connection); rejects with NotExposedError for a method not exposed. */
  call(method: string, args: unknown[], kwargs: Record<string, unknown>, ctx: CallContext, peer: object): Promise<unknown>;
}

/**
 * Thrown by a method served to Python (servePyro4) to raise `className`
 * in the Python caller, e.g. `new PythonError('Pyro4.errors.NamingError',
 * 'unknown name')`: a class Pyro4 rebuilds (`builtins.*` or
 * `Pyro4.errors.*`; another name makes Python fail to read the error).
 * Code `PYTHON`.
 */
export class PythonError extends HerdError {
  override name = 'PythonError';
  constructor(
    /** The Python exception class, with its module: `builtins.KeyError`, `Pyro4.errors.NamingError`. */
    readonly className: string,
    message: string,
  ) {
    super('PYTHON', message);
  }
}

/** Options of a Pyro4 daemon. */
export interface PyroDaemonOptions {
  /** Interface to listen on. Default `'127.0.0.1'`. */
  host?: string;
  /** Port. Default 0 (any free port). */
  port?: number;
  /** The host written in URIs. Default `host`. */
  advertisedHost?: string;
  /** Pyro4's HMAC key (`_pyroHmacKey` / `Pyro4.config` on the Python side); none by default. */
  hmacKey?: string | Uint8Array;
  /** Largest payload plus annotations of one message, bytes. Default 1 MiB. */
  maxMessageSize?: number;
  /** Deepest nesting in one payload. Default 64. */
  maxDepth?: number;
}

/** The Python exception classes a Node error of the same name is raised as. */
const PYTHON_BUILTINS = new Set([
  'ValueError', 'TypeError', 'KeyError', 'IndexError', 'LookupError', 'RuntimeError', 'NotImplementedError',
  'AttributeError', 'PermissionError', 'TimeoutError', 'ZeroDivisionError', 'OverflowError', 'AssertionError',
  'FileNotFoundError', 'ConnectionError', 'OSError', 'StopIteration', 'ArithmeticError',
]);

/** The dict Pyro4 raises in Python for `error`, with the Node stack as its remote traceback. */
export function pythonException(error: unknown): Record<string, unknown> {
  const e = error instanceof Error ? error : new Error(String(error));
  let className: string;
  let message = e.message;
  if (e instanceof PythonError) className = e.className;
  else if (e instanceof NotExposedError) className = 'builtins.AttributeError';
  else if (PYTHON_BUILTINS.has(e.name)) className = `builtins.${e.name}`;
  else if (e instanceof TypeError) className = 'builtins.TypeError';
  else if (e instanceof RangeError) className = 'builtins.ValueError';
  else {
    className = 'Pyro4.errors.PyroError';
    message = `${e.name}: ${e.message}`;
  }
  const stack = (e.stack ?? '').split('\n').slice(1).map((l) => `  ${l.trim()}\n`);
  const attributes: Record<string, unknown> = {
    _pyroTraceback: ['Traceback (Node.js, most recent call first):\n', ...stack, `${e.name}: ${e.message}\n`],
  };
  if (e instanceof HerdError && e.code !== 'PYTHON') attributes.code = e.code;
  return encodeException(className, message, attributes);
}

/** A running daemon: see {@link startPyroDaemon}. */
export interface PyroDaemon {
  /** `host:port` as written in URIs. */
  readonly address: string;
  readonly host: string;
  readonly port: number;
  /** The `PYRO:<objectId>@host:port` URI of an object of this daemon. */
  uri(objectId: string): string;
  /** Stops listening and closes every connection (running calls see their signal abort). Idempotent. */
  close(): Promise<void>;
}

/** Starts a daemon serving `objects` (by object id); resolves once it listens. Rejects with the socket's error. */
export async function startPyroDaemon(objects: ReadonlyMap<string, PyroTarget>, options: PyroDaemonOptions = {}): Promise<PyroDaemon> {
  const daemon = new Daemon(objects, options);
  await daemon.listen(options.host ?? '127.0.0.1', options.port ?? 0);
  return daemon;
}

interface OpenStream {
  readonly owner: Connection;
  readonly iterator: AsyncIterator<unknown>;
}

class Daemon implements PyroDaemon {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  readonly streams = new Map<string, OpenStream>();
  readonly hmacKey: Uint8Array | undefined;
  host = '';
  port = 0;
  private closing: Promise<void> | undefined;

  constructor(
    readonly objects: ReadonlyMap<string, PyroTarget>,
    readonly options: PyroDaemonOptions,
  ) {
    this.hmacKey = typeof options.hmacKey === 'string' ? Buffer.from(options.hmacKey, 'utf8') : options.hmacKey;
    this.server = createServer((socket) => {
      if (this.closing) return void socket.destroy();
      socket.setNoDelay(true);
      const conn = new Connection(this, socket);
      this.connections.add(conn);
      socket.once('close', () => {
        this.connections.delete(conn);
        conn.closed();
      });
    });
  }

  async listen(host: string, port: number): Promise<void> {
    this.port = await listenOn(this.server, host, port);
    this.host = this.options.advertisedHost ?? host;
  }

  get address(): string {
    return this.host.includes(':') ? `[${this.host}]:${this.port}` : `${this.host}:${this.port}`;
  }

  uri(objectId: string): string {
    return `PYRO:${objectId}@${this.address}`;
  }

  metadata(objectId: string): Record<string, unknown> {
    const target = this.objects.get(objectId);
    if (objectId === DAEMON_OBJECT_ID) return { methods: [...DAEMON_METHODS], oneway: [], attrs: [] };
    if (!target) throw new PythonError('Pyro4.errors.DaemonError', 'unknown object');
    return { methods: [...target.methods], oneway: [...target.oneway], attrs: [] };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
      for (const c of this.connections) c.socket.destroy();
      await stopped;
    })();
    return this.closing;
  }
}

const DAEMON_METHODS = ['get_metadata', 'ping', 'info', 'registered', 'get_next_stream_item', 'close_stream'];

class Connection {
  private readonly reader: MessageReader;
  private handshaken = false;
  private queue: Promise<void> = Promise.resolve();
  /** Calls running for this connection: aborted when it closes. */
  private readonly running = new Set<ServedCall>();

  constructor(
    private readonly daemon: Daemon,
    readonly socket: Socket,
  ) {
    this.reader = new MessageReader({ hmacKey: daemon.hmacKey, maxMessageSize: daemon.options.maxMessageSize });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {});
  }

  private onData(chunk: Buffer): void {
    let messages: PyroMessage[];
    try {
      messages = this.reader.push(chunk);
    } catch {
      // A broken frame: the stream cannot be trusted past it. Only this connection goes.
      this.socket.destroy();
      return;
    }
    for (const msg of messages) {
      if (msg.type === MessageType.INVOKE && msg.flags & MessageFlags.ONEWAY && this.handshaken) {
        void this.handle(msg).catch(() => this.socket.destroy());
        continue;
      }
      this.queue = this.queue.then(() => this.handle(msg)).catch(() => void this.socket.destroy());
    }
  }

  closed(): void {
    for (const call of this.running) call.abort(new ProtocolError('pyro4: the caller disconnected'));
    for (const [id, stream] of this.daemon.streams) {
      if (stream.owner !== this) continue;
      this.daemon.streams.delete(id);
      void stream.iterator.return?.().catch(() => {});
    }
  }

  /** Sends a reply in the serializer of its request (serpent for a request in one Herd does not speak). */
  private send(type: number, seq: number, data: Buffer, flags = 0, annotations?: Map<string, Buffer>, serializer: PyroSerializer = SERPENT): void {
    if (this.socket.destroyed) return;
    this.socket.write(encodeMessage({ type, flags, seq, serializerId: serializer.id, data, annotations }, this.daemon.hmacKey));
  }

  private encode(value: unknown, serializer: PyroSerializer): Buffer {
    return serializer.encode(value, this.daemon.options.maxDepth ?? 64);
  }

  /** The message's payload, inflated when compressed; a Pyro4 ProtocolError when it cannot be. */
  private payload(msg: PyroMessage): Buffer {
    try {
      return payloadOf(msg, this.daemon.options.maxMessageSize);
    } catch (error) {
      throw new PythonError('Pyro4.errors.ProtocolError', (error as Error).message);
    }
  }

  private decode(data: Buffer, serializer: PyroSerializer): unknown {
    return serializer.decode(data, { maxSize: this.daemon.options.maxMessageSize, maxDepth: this.daemon.options.maxDepth ?? 64 });
  }

  private async handle(msg: PyroMessage): Promise<void> {
    if (msg.securityError !== undefined && this.handshaken) throw new ProtocolError(`pyro4: ${msg.securityError}`);
    if (!this.handshaken) return this.handshake(msg);
    if (msg.type === MessageType.PING) return this.send(MessageType.PING, msg.seq, Buffer.from('pong'));
    if (msg.type !== MessageType.INVOKE) throw new ProtocolError(`pyro4: unexpected message type ${msg.type}`);
    const oneway = (msg.flags & MessageFlags.ONEWAY) !== 0;
    const serializer = serializerOf(msg.serializerId) ?? SERPENT;
    try {
      if (!serializerOf(msg.serializerId)) throw new PythonError('Pyro4.errors.SerializeError', serializerRefusal(msg.serializerId));
      if (msg.flags & MessageFlags.KEEPSERIALIZED) throw new PythonError('Pyro4.errors.ProtocolError', 'SerializedBlob arguments are not supported');
      const call = this.decodeCall(this.payload(msg), serializer);
      if (msg.flags & MessageFlags.BATCH) {
        const results = await this.batch(call.objectId, call.args);
        if (!oneway) this.send(MessageType.RESULT, msg.seq, this.encode(results, serializer), MessageFlags.BATCH, undefined, serializer);
        return;
      }
      const result = await this.invoke(call.objectId, call.method, call.args, call.kwargs);
      if (oneway) return;
      if (isAsyncIterable(result)) return this.startStream(msg.seq, result, serializer);
      this.send(MessageType.RESULT, msg.seq, this.encode(result, serializer), 0, undefined, serializer);
    } catch (error) {
      if (oneway) return;
      let data: Buffer;
      try {
        data = this.encode(pythonException(error), serializer);
      } catch (again) {
        data = this.encode(pythonException(new PythonError('Pyro4.errors.PyroError', `error serializing exception: ${String(again)}`)), serializer);
      }
      this.send(MessageType.RESULT, msg.seq, data, MessageFlags.EXCEPTION, undefined, serializer);
    }
  }

  private handshake(msg: PyroMessage): void {
    let reply: unknown;
    let flags = 0;
    const serializer = serializerOf(msg.serializerId) ?? SERPENT;
    try {
      if (msg.securityError !== undefined) throw new Error(msg.securityError);
      if (msg.type !== MessageType.CONNECT) throw new Error(`invalid msg type ${msg.type} received (expected a CONNECT)`);
      if (!serializerOf(msg.serializerId)) throw new Error(serializerRefusal(msg.serializerId));
      const data = this.decode(this.payload(msg), serializer) as Record<string, unknown> | null;
      if (typeof data !== 'object' || data === null || !('handshake' in data)) throw new Error('malformed handshake');
      reply = 'hello';
      if (msg.flags & MessageFlags.META_ON_CONNECT) {
        flags = MessageFlags.META_ON_CONNECT;
        reply = { handshake: reply, meta: this.daemon.metadata(String(data.object)) };
      }
    } catch (error) {
      this.send(MessageType.CONNECTFAIL, msg.seq, this.encode(error instanceof Error ? error.message : String(error), serializer), 0, undefined, serializer);
      this.socket.end();
      return;
    }
    this.handshaken = true;
    this.send(MessageType.CONNECTOK, msg.seq, this.encode(reply, serializer), flags, undefined, serializer);
  }

  private decodeCall(data: Buffer, serializer: PyroSerializer): { objectId: string; method: string; args: unknown[]; kwargs: Record<string, unknown> } {
    let call: unknown;
    try {
      call = this.decode(data, serializer);
    } catch (error) {
      throw new PythonError('Pyro4.errors.SerializeError', error instanceof Error ? error.message : String(error));
    }
    const parts = serializer.callParts(call);
    if (!parts) throw new PythonError('Pyro4.errors.SerializeError', 'a call is (object, method, vargs, kwargs)');
    const [objectId, method, args, kwargs] = parts;
    if (typeof objectId !== 'string' || typeof method !== 'string' || !Array.isArray(args)) {
      throw new PythonError('Pyro4.errors.SerializeError', 'a call is (object: str, method: str, vargs: tuple, kwargs: dict)');
    }
    const kw = kwargs === null ? {} : kwargs;
    if (typeof kw !== 'object' || Array.isArray(kw) || kw instanceof Map || kw instanceof Set) throw new PythonError('Pyro4.errors.SerializeError', 'kwargs must be a dict with str keys');
    return { objectId, method, args, kwargs: kw as Record<string, unknown> };
  }

  private async invoke(objectId: string, method: string, args: unknown[], kwargs: Record<string, unknown>): Promise<unknown> {
    if (objectId === DAEMON_OBJECT_ID) return this.daemonCall(method, args, kwargs);
    const target = this.daemon.objects.get(objectId);
    if (!target) throw new PythonError('Pyro4.errors.DaemonError', 'unknown object');
    if (method === '__getattr__' || method === '__setattr__') throw new PythonError('builtins.AttributeError', 'Herd serves no remote attributes, only methods');
    const ctx = new ServedCall(Infinity, () => undefined);
    this.running.add(ctx);
    try {
      return await target.call(method, args, kwargs, ctx, this);
    } finally {
      ctx.done();
      this.running.delete(ctx);
    }
  }

  /** A Pyro4 batch: `[(method, vargs, kwargs), ...]`, run in order, stopping at the first exception (sent wrapped, as Pyro4 does). */
  private async batch(objectId: string, calls: unknown[]): Promise<unknown[]> {
    const results: unknown[] = [];
    for (const c of calls) {
      try {
        if (!Array.isArray(c) || c.length !== 3 || typeof c[0] !== 'string' || !Array.isArray(c[1])) throw new PythonError('Pyro4.errors.SerializeError', 'a batched call is (method, vargs, kwargs)');
        const kwargs = c[2] === null ? {} : (c[2] as Record<string, unknown>);
        const result = await this.invoke(objectId, c[0], c[1] as unknown[], kwargs);
        if (isAsyncIterable(result)) throw new PythonError('Pyro4.errors.ProtocolError', 'a batched call cannot return an item stream');
        results.push(result);
      } catch (error) {
        results.push({ __class__: 'Pyro4.futures._ExceptionWrapper', exception: pythonException(error) });
        break;
      }
    }
    return results;
  }

  private daemonCall(method: string, args: unknown[], kwargs: Record<string, unknown>): unknown {
    const arg = (i: number, name: string): unknown => (i < args.length ? args[i] : kwargs[name]);
    switch (method) {
      case 'ping':
        return null;
      case 'get_metadata':
        return this.daemon.metadata(String(arg(0, 'objectId')));
      case 'registered':
        return [DAEMON_OBJECT_ID, ...this.daemon.objects.keys()];
      case 'info':
        return `${DAEMON_OBJECT_ID} (Herd, Node.js) bound on ${this.daemon.address}, ${this.daemon.objects.size + 1} objects registered`;
      case 'get_next_stream_item':
        return this.nextItem(String(arg(0, 'streamId')));
      case 'close_stream': {
        const id = String(arg(0, 'streamId'));
        const stream = this.daemon.streams.get(id);
        this.daemon.streams.delete(id);
        void stream?.iterator.return?.().catch(() => {});
        return null;
      }
      default:
        throw new NotExposedError(`${DAEMON_OBJECT_ID}: no method '${method}'`);
    }
  }

  /** A method returned an async iterable: Pyro4 4.82's item stream, read by the proxy one `get_next_stream_item` at a time. */
  private startStream(seq: number, iterable: AsyncIterable<unknown>, serializer: PyroSerializer): void {
    const id = randomUUID();
    this.daemon.streams.set(id, { owner: this, iterator: iterable[Symbol.asyncIterator]() });
    const exception = pythonException(new PythonError('Pyro4.errors.ProtocolError', 'result of call is an iterator'));
    this.send(MessageType.RESULT, seq, this.encode(exception, serializer), MessageFlags.EXCEPTION | MessageFlags.ITEMSTREAMRESULT, new Map([['STRM', Buffer.from(id)]]), serializer);
  }

  private async nextItem(id: string): Promise<unknown> {
    const stream = this.daemon.streams.get(id);
    if (!stream) throw new PythonError('Pyro4.errors.PyroError', 'item stream terminated');
    let step: IteratorResult<unknown>;
    try {
      step = await stream.iterator.next();
    } catch (error) {
      this.daemon.streams.delete(id);
      throw error;
    }
    if (step.done) {
      this.daemon.streams.delete(id);
      throw new PythonError('builtins.StopIteration', '');
    }
    return step.value;
  }
}
