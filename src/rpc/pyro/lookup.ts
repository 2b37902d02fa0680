/**
 * Calling a Python Pyro4 object from Node: a minimal Pyro4 proxy (one
 * connection, calls sent one at a time as a Pyro4 proxy does), found by a
 * `PYRO:obj@host:port` URI or by a name in Herd's registry (a Python
 * registration made through a Herd name server, or a servePyro4 instance).
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import type { Client } from '../../client/index.js';
import { BadArgumentsError, InvalidStateError, TimeoutError } from '../../errors.js';
import { ProtocolError, RemoteError, RpcConnectionError } from '../errors.js';
import { readPyroEntry } from './entries.js';
import { MessageFlags, MessageReader, MessageType, SERIALIZER_IDS, encodeMessage, type PyroMessage } from './message.js';
import { decodeSerpent, encodeSerpent, pyTuple } from './serpent.js';

/** Options of {@link lookupPyro4}. */
export interface LookupPyro4Options {
  /** Pyro4's HMAC key of the daemon; none by default. */
  hmacKey?: string | Uint8Array;
  /** Deadline of the connection and of each call, ms. Default 30000. */
  callTimeout?: number;
}

/** A proxy to a Python Pyro4 object: each exposed method, taking positional arguments, returning a Promise; `close()` ends the connection. */
export type Pyro4Remote = Record<string, (...args: unknown[]) => Promise<unknown>> & AsyncDisposable & { close(): Promise<void> };

/**
 * Connects to the Pyro4 object `target` (a `PYRO:obj@host:port` URI, or a
 * name whose Pyro4 entry is in the registry of `client`) and resolves with a
 * proxy of its exposed methods (the metadata its daemon gives). A Python
 * exception arrives as a RemoteError named by its class (`ValueError`,
 * `NamingError`), code `REMOTE`, whose `cause.stack` is the remote
 * traceback. Rejects with BadArgumentsError for a bad URI or an unknown
 * name, RpcConnectionError when the daemon cannot be reached or refuses
 * the handshake, TimeoutError after `callTimeout`.
 */
export async function lookupPyro4(client: Client, target: string, options: LookupPyro4Options = {}): Promise<Pyro4Remote> {
  let uri = target;
  if (!/^PYRO:/i.test(target)) {
    const entry = await readPyroEntry(client, target);
    if (!entry) throw new BadArgumentsError(`lookupPyro4: no Pyro4 name '${target}' in the registry`);
    uri = entry.uri;
  }
  const m = /^PYRO:(\S+?)@\[?([^\]]+?)\]?:(\d+)$/i.exec(uri);
  if (!m) throw new BadArgumentsError(`lookupPyro4: not a PYRO:obj@host:port URI: ${uri}`);
  const conn = new ProxyConnection(m[1]!, m[2]!, Number(m[3]), options);
  const meta = (await conn.open()) as { methods?: unknown };
  const methods = Array.isArray(meta?.methods) ? meta.methods.filter((x): x is string => typeof x === 'string') : [];
  const proxy: Record<string | symbol, unknown> = {};
  for (const method of methods) proxy[method] = (...args: unknown[]) => conn.invoke(method, args);
  proxy.close = () => conn.close();
  proxy[Symbol.asyncDispose] = () => conn.close();
  return proxy as Pyro4Remote;
}

class ProxyConnection {
  private socket: Socket | undefined;
  private readonly reader: MessageReader;
  private readonly hmacKey: Uint8Array | undefined;
  private seq = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private waiting: { resolve: (m: PyroMessage) => void; reject: (e: Error) => void } | undefined;
  private closed = false;

  constructor(
    private readonly objectId: string,
    private readonly host: string,
    private readonly port: number,
    private readonly options: LookupPyro4Options,
  ) {
    this.hmacKey = typeof options.hmacKey === 'string' ? Buffer.from(options.hmacKey) : options.hmacKey;
    this.reader = new MessageReader({ hmacKey: this.hmacKey });
  }

  async open(): Promise<unknown> {
    const socket = (this.socket = tcpConnect(this.port, this.host));
    socket.setNoDelay(true);
    socket.on('data', (b: Buffer) => {
      try {
        for (const m of this.reader.push(b)) this.waiting?.resolve(m);
      } catch (error) {
        this.fail(error as Error);
      }
    });
    socket.on('error', (e) => this.fail(new RpcConnectionError(`pyro4 ${this.host}:${this.port}: ${e.message}`, { cause: e })));
    socket.on('close', () => this.fail(new RpcConnectionError(`pyro4 ${this.host}:${this.port}: connection closed`)));
    const reply = await this.exchange(MessageType.CONNECT, encodeSerpent({ handshake: 'hello', object: this.objectId }), MessageFlags.META_ON_CONNECT);
    const data = decodeSerpent(reply.data) as Record<string, unknown>;
    if (reply.type !== MessageType.CONNECTOK) throw new RpcConnectionError(`pyro4 ${this.host}:${this.port}: connection refused: ${String(data)}`);
    return data?.meta;
  }

  invoke(method: string, args: unknown[]): Promise<unknown> {
    if (this.closed) return Promise.reject(new InvalidStateError(`pyro4 proxy ${this.objectId}: closed`));
    const run = async (): Promise<unknown> => {
      const reply = await this.exchange(MessageType.INVOKE, encodeSerpent(pyTuple(this.objectId, method, pyTuple(...args), {})), 0);
      const value = decodeSerpent(reply.data);
      if (reply.flags & MessageFlags.EXCEPTION) throw remoteError(value);
      return value;
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => {});
    return result;
  }

  private exchange(type: number, data: Buffer, flags: number): Promise<PyroMessage> {
    const seq = (this.seq = (this.seq + 1) & 0xffff);
    const timeout = this.options.callTimeout ?? 30_000;
    return new Promise<PyroMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new TimeoutError(`pyro4 ${this.objectId}: no reply within ${timeout} ms`));
        this.socket?.destroy();
      }, timeout);
      this.waiting = {
        resolve: (m) => {
          clearTimeout(timer);
          this.waiting = undefined;
          if (m.seq !== seq || m.securityError) reject(new ProtocolError(`pyro4 ${this.objectId}: ${m.securityError ?? 'reply out of sequence'}`));
          else resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          this.waiting = undefined;
          reject(e);
        },
      };
      this.socket!.write(encodeMessage({ type, flags, seq, serializerId: SERIALIZER_IDS.serpent, data }, this.hmacKey));
    });
  }

  private fail(error: Error): void {
    this.waiting?.reject(error);
    this.socket?.destroy();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.socket?.destroy();
  }
}

/** A serialized Python exception as a RemoteError. */
function remoteError(value: unknown): RemoteError {
  const e = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const className = typeof e.__class__ === 'string' ? e.__class__ : 'Exception';
  const args = Array.isArray(e.args) ? e.args : [];
  const attributes = (typeof e.attributes === 'object' && e.attributes !== null ? e.attributes : {}) as Record<string, unknown>;
  const cause = new Error(String(args[0] ?? ''));
  cause.stack = Array.isArray(attributes._pyroTraceback) ? attributes._pyroTraceback.join('') : className;
  return new RemoteError(className.slice(className.lastIndexOf('.') + 1), 'REMOTE', args.map(String).join(', '), { cause });
}
