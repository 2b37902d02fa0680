/**
 * One connection of a Node Pyro4 proxy to a Pyro4 daemon (Python's or
 * Herd's): the handshake with metadata, then calls one at a time, as a
 * Pyro4 proxy sends them (each waits for the previous reply; a oneway call
 * waits for nothing). lookup.ts builds proxies on it; the name server's
 * liveness check and `PYRONAME:` resolution use it too.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { HerdError, InvalidStateError, TimeoutError } from '../../errors.js';
import { ProtocolError, RemoteError, RpcConnectionError } from '../errors.js';
import { MessageFlags, MessageReader, MessageType, encodeMessage, payloadOf, type PyroMessage } from './message.js';
import { serializerNamed, serializerOf, type PyroSerializerName } from './serializers.js';

/** How a proxy connection talks to its daemon. */
export interface ProxyConnectionOptions {
  /** Pyro4's HMAC key of the daemon; none by default. */
  hmacKey?: string | Uint8Array;
  /** Deadline of the connection and of each call, ms. Default 30000. */
  callTimeout?: number;
  /** The serializer calls are sent in. Default `'serpent'`. */
  serializer?: PyroSerializerName;
}

/** The object's metadata, as the daemon gives it at the handshake. */
export interface PyroMetadata {
  readonly methods: readonly string[];
  readonly oneway: readonly string[];
}

/** What a call replied: a value, or the id of an item stream the daemon holds. */
export type CallReply = { readonly value: unknown } | { readonly streamId: string };

/** `PYRO:obj@host:port` (an IPv6 host in brackets) as its parts, or undefined. */
export function parsePyroUri(uri: string): { objectId: string; host: string; port: number } | undefined {
  const m = /^PYRO:(\S+?)@\[?([^\]]+?)\]?:(\d+)$/i.exec(uri);
  return m ? { objectId: m[1]!, host: m[2]!, port: Number(m[3]) } : undefined;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) || v instanceof Set ? [...v].filter((x): x is string => typeof x === 'string') : [];
}

/** A connection to one object of a Pyro4 daemon; `dead` once it failed or closed (a new one is needed then). */
export class ProxyConnection {
  private socket: Socket | undefined;
  private readonly reader: MessageReader;
  private readonly hmacKey: Uint8Array | undefined;
  private readonly serializer;
  private seq = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private waiting: { resolve: (m: PyroMessage) => void; reject: (e: Error) => void } | undefined;
  /** True once the connection failed or was closed: the next call needs a new one. */
  dead = false;

  constructor(
    readonly objectId: string,
    readonly host: string,
    readonly port: number,
    private readonly options: ProxyConnectionOptions,
  ) {
    this.hmacKey = typeof options.hmacKey === 'string' ? Buffer.from(options.hmacKey) : options.hmacKey;
    this.reader = new MessageReader({ hmacKey: this.hmacKey });
    this.serializer = serializerNamed(options.serializer ?? 'serpent');
  }

  private get where(): string {
    return `pyro4 ${this.objectId}@${this.host}:${this.port}`;
  }

  /** Connects and shakes hands; resolves with the object's metadata. Rejects with RpcConnectionError (unreachable, refused), ProtocolError, TimeoutError. */
  async open(): Promise<PyroMetadata> {
    const socket = (this.socket = tcpConnect(this.port, this.host));
    socket.setNoDelay(true);
    socket.on('data', (b: Buffer) => {
      try {
        for (const m of this.reader.push(b)) this.waiting?.resolve(m);
      } catch (error) {
        this.fail(error as Error);
      }
    });
    socket.on('error', (e) => this.fail(new RpcConnectionError(`${this.where}: ${e.message}`, { cause: e })));
    socket.on('close', () => this.fail(new RpcConnectionError(`${this.where}: connection closed`)));
    const reply = await this.exchange(MessageType.CONNECT, this.serializer.encode({ handshake: 'hello', object: this.objectId }), MessageFlags.META_ON_CONNECT);
    const data = this.decode(reply);
    if (reply.type !== MessageType.CONNECTOK) {
      this.fail(new RpcConnectionError(`${this.where}: connection refused`));
      throw new RpcConnectionError(`${this.where}: connection refused: ${String(data)}`);
    }
    const meta = (typeof data === 'object' && data !== null ? (data as Record<string, unknown>).meta : undefined) as Record<string, unknown> | undefined;
    return { methods: strings(meta?.methods), oneway: strings(meta?.oneway) };
  }

  /**
   * Calls `method` (of `objectId`, default this connection's object).
   * Resolves with its reply, or at once for a oneway call; rejects with a
   * RemoteError for a Python exception.
   */
  invoke(method: string, args: unknown[], kwargs: Record<string, unknown>, flags = 0, objectId = this.objectId): Promise<CallReply> {
    if (this.dead) return Promise.reject(new RpcConnectionError(`${this.where}: connection closed`));
    const run = async (): Promise<CallReply> => {
      const data = this.serializer.encode(this.serializer.call(objectId, method, args, kwargs));
      const reply = await this.exchange(MessageType.INVOKE, data, flags);
      if (flags & MessageFlags.ONEWAY) return { value: undefined };
      const value = this.decode(reply);
      if (reply.flags & MessageFlags.ITEMSTREAMRESULT) {
        const id = reply.annotations.get('STRM')?.toString('utf8');
        if (!id) throw new ProtocolError(`${this.where}: an item stream without its id`);
        return { streamId: id };
      }
      if (reply.flags & MessageFlags.EXCEPTION) throw remoteError(value);
      return { value };
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => {});
    return result;
  }

  private decode(reply: PyroMessage): unknown {
    const serializer = serializerOf(reply.serializerId);
    if (!serializer) throw new ProtocolError(`${this.where}: reply in serializer ${reply.serializerId}, which Herd does not speak`);
    return serializer.decode(payloadOf(reply));
  }

  /** Sends a message; resolves with the reply (a oneway INVOKE resolves once written, with no reply). */
  private exchange(type: number, data: Buffer, flags: number): Promise<PyroMessage> {
    if (this.dead || !this.socket) return Promise.reject(new RpcConnectionError(`${this.where}: connection closed`));
    const seq = (this.seq = (this.seq + 1) & 0xffff);
    const bytes = encodeMessage({ type, flags, seq, serializerId: this.serializer.id, data }, this.hmacKey);
    if (type === MessageType.INVOKE && flags & MessageFlags.ONEWAY) {
      this.socket.write(bytes);
      return Promise.resolve(undefined as unknown as PyroMessage);
    }
    const timeout = this.options.callTimeout ?? 30_000;
    return new Promise<PyroMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new TimeoutError(`${this.where}: no reply within ${timeout} ms`));
        this.fail(new RpcConnectionError(`${this.where}: abandoned after a timeout`));
      }, timeout);
      this.waiting = {
        resolve: (m) => {
          clearTimeout(timer);
          this.waiting = undefined;
          if (m.securityError) {
            reject(new ProtocolError(`${this.where}: ${m.securityError}`));
            this.fail(new RpcConnectionError(`${this.where}: ${m.securityError}`));
          } else if (m.seq !== seq) {
            reject(new ProtocolError(`${this.where}: reply out of sequence`));
            this.fail(new RpcConnectionError(`${this.where}: reply out of sequence`));
          } else resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          this.waiting = undefined;
          reject(e);
        },
      };
      this.socket!.write(bytes);
    });
  }

  private fail(error: Error): void {
    this.dead = true;
    this.waiting?.reject(error);
    this.socket?.destroy();
  }

  async close(): Promise<void> {
    this.fail(new InvalidStateError(`${this.where}: the proxy was closed`));
  }
}

/** A serialized Python exception as a RemoteError named by its class, code `REMOTE`, with the Python traceback as `cause.stack`. */
export function remoteError(value: unknown): HerdError {
  const e = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const className = typeof e.__class__ === 'string' ? e.__class__ : 'Exception';
  const args = Array.isArray(e.args) ? e.args : [];
  const attributes = (typeof e.attributes === 'object' && e.attributes !== null ? e.attributes : {}) as Record<string, unknown>;
  const cause = new Error(String(args[0] ?? ''));
  cause.stack = Array.isArray(attributes._pyroTraceback) ? attributes._pyroTraceback.join('') : className;
  return new RemoteError(className.slice(className.lastIndexOf('.') + 1), 'REMOTE', args.map(String).join(', '), { cause });
}
