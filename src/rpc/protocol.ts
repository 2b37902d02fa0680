/**
 * Herd's rpc wire protocol, `herd/1`: what one connection between two
 * processes carries. One connection per peer pair, multiplexed: calls are
 * matched to replies by id, so any number may be in flight either way.
 *
 * Frame layout (every frame, both directions):
 *
 * ```
 *   offset 0   uint32 big-endian  length of the payload in bytes (not counting these 4)
 *   offset 4   payload            one MessagePack value (msgpackr, see `codec`): an array [kind, ...fields]
 * ```
 *
 * Message kinds (field types after the kind number):
 *
 * | kind | name    | fields                                        | meaning |
 * |------|---------|-----------------------------------------------|---------|
 * | 0    | HELLO   | magic 'herd-rpc', version, {identifier}       | first frame each way; versions must match |
 * | 1    | CALL    | id, target, method, args[], timeout (ms)      | call `method` of the object served as `target`; reply within `timeout` |
 * | 2    | RESULT  | id, value                                     | the call `id` returned `value` |
 * | 3    | ERROR   | id, {name, message, code, stack}              | the call `id` threw |
 * | 4    | CANCEL  | id                                            | the caller gave up on call `id` (deadline, signal): abort it |
 * | 5    | ONEWAY  | target, method, args[]                        | a call nobody waits for: no reply, errors are dropped |
 * | 6    | CLOSE   | code, message                                 | `PROTOCOL`: the sender closes the connection because of a protocol error; `GOING_AWAY`: the sender is shutting down gracefully |
 *
 * Graceful shutdown: a server that closes sends CLOSE `GOING_AWAY`; the
 * caller sends no new CALL on that connection, and a CALL already on its
 * way is answered with ERROR code `GOING_AWAY` without being run, so the
 * caller may send it to another instance. The connection closes once the
 * caller has its replies (at the latest after a second).
 *
 * Limits, checked on every frame before it is used: a frame longer than
 * `maxFrameSize`, a payload that is not MessagePack, nested deeper than
 * `maxDepth`, or not one of the shapes above closes the connection with a
 * CLOSE frame (code `PROTOCOL`); the process and its other connections go
 * on. A well-formed CALL of a method that does not exist or is not exposed
 * gets an ERROR reply, and the connection stays.
 *
 * The encoding sits behind {@link WireCodec}: a second protocol (Pyro4's, for
 * Python processes) is another codec and framing serving the same objects;
 * the registry entry names the protocol of each address.
 */
import { Packr, Unpackr } from 'msgpackr';
import { ProtocolError } from './errors.js';

/** The protocol name written in registry entries. */
export const PROTOCOL_NAME = 'herd';
/** The protocol version in HELLO and in registry entries; peers must agree. */
export const PROTOCOL_VERSION = 1;
const MAGIC = 'herd-rpc';

/** Default largest payload of one frame in bytes: 1 MiB, as ZooKeeper's jute.maxbuffer. */
export const DEFAULT_MAX_FRAME_SIZE = 1024 * 1024;
/** Default deepest nesting of arrays, maps and objects in one frame. */
export const DEFAULT_MAX_DEPTH = 64;

/** Limits on what a peer may send. */
export interface FrameLimits {
  /** Largest payload of one frame in bytes. Default 1 MiB. */
  maxFrameSize?: number;
  /** Deepest nesting of arrays, maps, sets and objects in one frame. Default 64. */
  maxDepth?: number;
}

/** A serialized error, as ERROR carries it. */
export interface WireError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
}

export type Message =
  | { kind: 'hello'; version: number; identifier: string }
  | { kind: 'call'; id: number; target: string; method: string; args: unknown[]; timeout: number }
  | { kind: 'result'; id: number; value: unknown }
  | { kind: 'error'; id: number; error: WireError }
  | { kind: 'cancel'; id: number }
  | { kind: 'oneway'; target: string; method: string; args: unknown[] }
  | { kind: 'close'; code: string; message: string };

const KIND = { hello: 0, call: 1, result: 2, error: 3, cancel: 4, oneway: 5, close: 6 } as const;

/** Turns messages into payloads and back; the seam for a second protocol. */
export interface WireCodec {
  encode(message: Message): Buffer;
  /** Throws ProtocolError for anything that is not a valid message within the limits. */
  decode(payload: Buffer): Message;
}

// msgpackr in a mode that builds no class from the wire: no extensions are
// registered (Date, Set, bigint, Uint8Array and the built-in Error types
// are all it knows), structured clones (references, cycles) are off, and
// records are self-contained per frame (no structures shared across frames,
// so one bad frame cannot poison the next). Objects travel as records and
// Maps as MessagePack maps, so a Map comes back a Map.
const MSGPACK_OPTIONS = {
  useRecords: true,
  moreTypes: true,
  structuredClone: false,
  mapsAsObjects: false,
  int64AsType: 'bigint',
  useBigIntExtension: true,
  copyBuffers: true,
} as const;

/** The `herd/1` codec: see the module comment for the layout. */
export class HerdCodec implements WireCodec {
  private readonly packr = new Packr(MSGPACK_OPTIONS);
  private readonly unpackr = new Unpackr(MSGPACK_OPTIONS);
  private readonly maxDepth: number;

  constructor(limits: FrameLimits = {}) {
    this.maxDepth = limits.maxDepth ?? DEFAULT_MAX_DEPTH;
  }

  encode(m: Message): Buffer {
    switch (m.kind) {
      case 'hello':
        return this.packr.pack([KIND.hello, MAGIC, m.version, { identifier: m.identifier }]);
      case 'call':
        return this.packr.pack([KIND.call, m.id, m.target, m.method, m.args, m.timeout]);
      case 'result':
        return this.packr.pack([KIND.result, m.id, m.value]);
      case 'error':
        return this.packr.pack([KIND.error, m.id, m.error]);
      case 'cancel':
        return this.packr.pack([KIND.cancel, m.id]);
      case 'oneway':
        return this.packr.pack([KIND.oneway, m.target, m.method, m.args]);
      case 'close':
        return this.packr.pack([KIND.close, m.code, m.message]);
    }
  }

  decode(payload: Buffer): Message {
    let value: unknown;
    try {
      value = this.unpackr.unpack(payload);
    } catch (error) {
      // msgpackr recurses: a very deep frame ends in RangeError, caught here like any other bad frame.
      throw new ProtocolError(`undecodable frame of ${payload.length} bytes: ${(error as Error).message}`, { cause: error });
    }
    checkDepth(value, this.maxDepth);
    if (!Array.isArray(value) || value.length === 0) throw malformed('not an array with a kind');
    return decodeMessage(value);
  }
}

function malformed(why: string): ProtocolError {
  return new ProtocolError(`malformed message: ${why}`);
}

const isId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isText = (v: unknown): v is string => typeof v === 'string';

/** One typed decoder per kind: a field of the wrong type is a protocol error, never a crash later. */
function decodeMessage(a: unknown[]): Message {
  const [kind, x, y, z, w, v] = a;
  switch (kind) {
    case KIND.hello: {
      if (x !== MAGIC || !isId(y)) throw malformed('HELLO without the herd-rpc magic and a version');
      const identifier = isRecord(z) && isText(z.identifier) ? z.identifier : '';
      return { kind: 'hello', version: y, identifier };
    }
    case KIND.call:
      if (!isId(x) || !isText(y) || !isText(z) || !Array.isArray(w) || typeof v !== 'number' || !(v >= 0)) {
        throw malformed('CALL needs id, target, method, args[] and timeout');
      }
      return { kind: 'call', id: x, target: y, method: z, args: w, timeout: v };
    case KIND.result:
      if (!isId(x) || a.length !== 3) throw malformed('RESULT needs id and value');
      return { kind: 'result', id: x, value: y };
    case KIND.error: {
      if (!isId(x) || !isRecord(y)) throw malformed('ERROR needs id and an error record');
      const error: WireError = { name: isText(y.name) ? y.name : 'Error', message: isText(y.message) ? y.message : '' };
      if (isText(y.code)) error.code = y.code;
      if (isText(y.stack)) error.stack = y.stack;
      return { kind: 'error', id: x, error };
    }
    case KIND.cancel:
      if (!isId(x)) throw malformed('CANCEL needs an id');
      return { kind: 'cancel', id: x };
    case KIND.oneway:
      if (!isText(x) || !isText(y) || !Array.isArray(z)) throw malformed('ONEWAY needs target, method and args[]');
      return { kind: 'oneway', target: x, method: y, args: z };
    case KIND.close:
      return { kind: 'close', code: isText(x) ? x : 'PROTOCOL', message: isText(y) ? y : '' };
    default:
      throw malformed(`unknown kind ${String(kind)}`);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Throws ProtocolError when `value` nests deeper than `max` (iterative: no recursion on peer data). */
function checkDepth(value: unknown, max: number): void {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v) || v instanceof Date) continue;
    if (depth >= max) throw new ProtocolError(`frame nested deeper than ${max} levels`);
    const children: Iterable<unknown> =
      v instanceof Map ? [...v.keys(), ...v.values()] : v instanceof Set ? v : Array.isArray(v) ? v : Object.values(v);
    for (const c of children) stack.push([c, depth + 1]);
  }
}

/**
 * Splits a byte stream into frame payloads. Throws ProtocolError when a
 * frame announces more than `maxFrameSize` bytes (before buffering it).
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly maxFrameSize: number;

  constructor(limits: FrameLimits = {}) {
    this.maxFrameSize = limits.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
  }

  /** Adds bytes; returns the complete payloads now available, in order. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: Buffer[] = [];
    while (this.buffered >= 4) {
      const head = this.chunks.length === 1 ? this.chunks[0]! : this.flatten();
      const length = head.readUInt32BE(0);
      if (length > this.maxFrameSize) throw new ProtocolError(`frame of ${length} bytes exceeds the limit of ${this.maxFrameSize}`);
      if (this.buffered < 4 + length) break;
      const all = this.flatten();
      out.push(all.subarray(4, 4 + length));
      const rest = all.subarray(4 + length);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
    }
    return out;
  }

  private flatten(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!;
  }
}

/** A payload with its 4-byte length prefix. */
export function frame(payload: Buffer): Buffer {
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(payload.length, 0);
  return Buffer.concat([head, payload]);
}
