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
 * | 0    | HELLO   | magic 'herd-rpc', version, {identifier, nonce?, proof?} | first frame each way; versions must match. With a shared secret: `nonce` (32 random bytes) each way, and the server's `proof` (see AUTH) |
 * | 1    | CALL    | id, target, method, args[], timeout (ms), [handles] | call `method` of the object served as `target`; reply within `timeout`. `handles` (optional): `[argIndex, 'fn' \| 'stream', handle][]`, top-level arguments that are a callback or a stream exported by the caller (their slot in `args` is nil) |
 * | 2    | RESULT  | id, value                                     | the call `id` returned `value` |
 * | 3    | ERROR   | id, {name, message, code, stack}              | the call `id` threw |
 * | 4    | CANCEL  | id                                            | the caller gave up on call `id` (deadline, signal): abort it |
 * | 5    | ONEWAY  | target, method, args[]                        | a call nobody waits for: no reply, errors are dropped |
 * | 6    | CLOSE   | code, message                                 | `PROTOCOL`: the sender closes the connection because of a protocol error; `GOING_AWAY`: the sender is shutting down gracefully |
 * | 7    | HANDLE  | id, 'stream' \| 'ref', handle, methods[]      | the call `id` returned a stream (its items follow under `handle`) or a remote reference `handle` exposing `methods` |
 * | 8    | ITEM    | handle, value                                 | the next item of the sender's stream `handle` (only while the receiver has granted credit) |
 * | 9    | END     | handle, error \| nil                          | the sender's stream `handle` ended: returned (nil) or threw (an error record, as ERROR's) |
 * | 10   | CREDIT  | handle, n                                     | the receiver of stream `handle` may take `n` more items |
 * | 11   | STOP    | handle                                        | the receiver gives up stream `handle`: the producer's iterator is returned (its `finally` runs) |
 * | 12   | RELEASE | handle                                        | the holder drops the remote reference `handle` (or a callback) the peer exported |
 * | 13   | BATCH   | calls[]: [id, target, method, args[], timeout, handles][] | several CALLs in one frame; each is answered on its own |
 * | 14   | HOLD    | handle, path                                  | the holder of reference `handle` lives as long as the ephemeral node `path` (its coordination session): when the node goes, the reference is released |
 * | 15   | AUTH    | proof                                         | with a shared secret, the caller's answer to the server's challenge, sent right after the server's HELLO; the server runs nothing before it |
 *
 * Shared-secret handshake (security.ts): the caller's HELLO carries a
 * nonce; the server's HELLO carries its own nonce and
 * `HMAC-SHA256(secret, 'herd-rpc server' | caller nonce | server nonce)`;
 * the caller checks it, then sends AUTH with
 * `HMAC-SHA256(secret, 'herd-rpc client' | server nonce | caller nonce)`.
 * A side whose check fails sends CLOSE `AUTHENTICATION` and closes.
 *
 * Handles are numbered by the side that exports them (the producer of a
 * stream, the owner of a referenced object or callback); a CALL whose
 * `target` is `#<handle>` calls a reference or callback the receiver
 * exported (method `''` for a callback). Everything a connection exported
 * is released when it closes.
 *
 * Flow control: a stream's consumer grants credit (CREDIT); the producer
 * pulls its iterator only while it has credit, so at most the granted
 * number of items is ever in flight or buffered, whatever the consumer's
 * speed.
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
import { Packr, RESERVE_START_SPACE, Unpackr } from 'msgpackr';
import { ProtocolError, type ValidationIssue } from './errors.js';

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
  /** A ValidationError's issues. */
  issues?: ValidationIssue[];
}

/** A top-level argument of a CALL that is a callback (`fn`) or a stream the caller exported: `[argIndex, kind, handle]`. */
export type ArgHandle = [index: number, kind: 'fn' | 'stream', handle: number];

/** One call as CALL and BATCH carry it. */
export interface CallMessage {
  kind: 'call';
  id: number;
  target: string;
  method: string;
  args: unknown[];
  timeout: number;
  handles?: ArgHandle[];
}

export type Message =
  | { kind: 'hello'; version: number; identifier: string; nonce?: Uint8Array | undefined; proof?: Uint8Array | undefined }
  | { kind: 'auth'; proof: Uint8Array }
  | CallMessage
  | { kind: 'result'; id: number; value: unknown }
  | { kind: 'error'; id: number; error: WireError }
  | { kind: 'cancel'; id: number }
  | { kind: 'oneway'; target: string; method: string; args: unknown[] }
  | { kind: 'close'; code: string; message: string }
  | { kind: 'handle'; id: number; type: 'stream' | 'ref'; handle: number; methods: string[] }
  | { kind: 'item'; handle: number; value: unknown }
  | { kind: 'end'; handle: number; error: WireError | undefined }
  | { kind: 'credit'; handle: number; n: number }
  | { kind: 'stop'; handle: number }
  | { kind: 'release'; handle: number }
  | { kind: 'batch'; calls: CallMessage[] }
  | { kind: 'hold'; handle: number; path: string };

const KIND = {
  hello: 0, call: 1, result: 2, error: 3, cancel: 4, oneway: 5, close: 6,
  handle: 7, item: 8, end: 9, credit: 10, stop: 11, release: 12, batch: 13, hold: 14, auth: 15,
} as const;

const callFields = (m: CallMessage): unknown[] =>
  m.handles && m.handles.length > 0 ? [m.id, m.target, m.method, m.args, m.timeout, m.handles] : [m.id, m.target, m.method, m.args, m.timeout];

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

/** msgpackr's pack option that leaves 4 bytes free in front of the payload, for the frame's length. */
const FRAMED = RESERVE_START_SPACE | 4;

/** The `herd/1` codec: see the module comment for the layout. */
export class HerdCodec implements WireCodec {
  private readonly packr = new Packr(MSGPACK_OPTIONS);
  private readonly unpackr = new Unpackr(MSGPACK_OPTIONS);
  private readonly maxDepth: number;

  constructor(limits: FrameLimits = {}) {
    this.maxDepth = limits.maxDepth ?? DEFAULT_MAX_DEPTH;
  }

  encode(m: Message): Buffer {
    return this.encodeFrame(m).subarray(4);
  }

  /**
   * `m` as a whole frame, its 4-byte length prefix included: msgpackr
   * leaves the room for it in front of the payload, so the frame is one
   * buffer without a copy.
   */
  encodeFrame(m: Message): Buffer {
    const out = this.pack(m);
    out.writeUInt32BE(out.length - 4, 0);
    return out;
  }

  private pack(m: Message): Buffer {
    switch (m.kind) {
      case 'hello':
        return this.packr.pack([KIND.hello, MAGIC, m.version, helloRecord(m)], FRAMED);
      case 'auth':
        return this.packr.pack([KIND.auth, m.proof], FRAMED);
      case 'call':
        return this.packr.pack(
          m.handles && m.handles.length > 0 ? [KIND.call, m.id, m.target, m.method, m.args, m.timeout, m.handles] : [KIND.call, m.id, m.target, m.method, m.args, m.timeout],
          FRAMED,
        );
      case 'result':
        return this.packr.pack([KIND.result, m.id, m.value], FRAMED);
      case 'error':
        return this.packr.pack([KIND.error, m.id, m.error], FRAMED);
      case 'cancel':
        return this.packr.pack([KIND.cancel, m.id], FRAMED);
      case 'oneway':
        return this.packr.pack([KIND.oneway, m.target, m.method, m.args], FRAMED);
      case 'close':
        return this.packr.pack([KIND.close, m.code, m.message], FRAMED);
      case 'handle':
        return this.packr.pack([KIND.handle, m.id, m.type, m.handle, m.methods], FRAMED);
      case 'item':
        return this.packr.pack([KIND.item, m.handle, m.value], FRAMED);
      case 'end':
        return this.packr.pack([KIND.end, m.handle, m.error ?? null], FRAMED);
      case 'credit':
        return this.packr.pack([KIND.credit, m.handle, m.n], FRAMED);
      case 'stop':
        return this.packr.pack([KIND.stop, m.handle], FRAMED);
      case 'release':
        return this.packr.pack([KIND.release, m.handle], FRAMED);
      case 'batch':
        return this.packr.pack([KIND.batch, m.calls.map(callFields)], FRAMED);
      case 'hold':
        return this.packr.pack([KIND.hold, m.handle, m.path], FRAMED);
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
  const [kind, x, y, z, w] = a;
  switch (kind) {
    case KIND.hello: {
      if (x !== MAGIC || !isId(y)) throw malformed('HELLO without the herd-rpc magic and a version');
      const identifier = isRecord(z) && isText(z.identifier) ? z.identifier : '';
      const hello: Message & { kind: 'hello' } = { kind: 'hello', version: y, identifier };
      if (isRecord(z) && z.nonce !== undefined) {
        if (!isBytes(z.nonce)) throw malformed('HELLO nonce must be bytes');
        hello.nonce = z.nonce;
      }
      if (isRecord(z) && z.proof !== undefined) {
        if (!isBytes(z.proof)) throw malformed('HELLO proof must be bytes');
        hello.proof = z.proof;
      }
      return hello;
    }
    case KIND.auth:
      if (!isBytes(x)) throw malformed('AUTH needs a proof');
      return { kind: 'auth', proof: x };
    case KIND.call:
      return decodeCall(a, 1);
    case KIND.result:
      if (!isId(x) || a.length !== 3) throw malformed('RESULT needs id and value');
      return { kind: 'result', id: x, value: y };
    case KIND.error:
      if (!isId(x) || !isRecord(y)) throw malformed('ERROR needs id and an error record');
      return { kind: 'error', id: x, error: decodeWireError(y) };
    case KIND.cancel:
      if (!isId(x)) throw malformed('CANCEL needs an id');
      return { kind: 'cancel', id: x };
    case KIND.oneway:
      if (!isText(x) || !isText(y) || !Array.isArray(z)) throw malformed('ONEWAY needs target, method and args[]');
      return { kind: 'oneway', target: x, method: y, args: z };
    case KIND.close:
      return { kind: 'close', code: isText(x) ? x : 'PROTOCOL', message: isText(y) ? y : '' };
    case KIND.handle:
      if (!isId(x) || (y !== 'stream' && y !== 'ref') || !isId(z) || !Array.isArray(w) || !w.every(isText)) {
        throw malformed('HANDLE needs id, stream|ref, handle and methods[]');
      }
      return { kind: 'handle', id: x, type: y, handle: z, methods: w };
    case KIND.item:
      if (!isId(x) || a.length !== 3) throw malformed('ITEM needs handle and value');
      return { kind: 'item', handle: x, value: y };
    case KIND.end:
      if (!isId(x) || (y !== null && y !== undefined && !isRecord(y))) throw malformed('END needs handle and an error record or nil');
      return { kind: 'end', handle: x, error: isRecord(y) ? decodeWireError(y) : undefined };
    case KIND.credit:
      if (!isId(x) || !isId(y) || y === 0) throw malformed('CREDIT needs handle and a positive count');
      return { kind: 'credit', handle: x, n: y };
    case KIND.stop:
    case KIND.release:
      if (!isId(x)) throw malformed(`${kind === KIND.stop ? 'STOP' : 'RELEASE'} needs a handle`);
      return { kind: kind === KIND.stop ? 'stop' : 'release', handle: x };
    case KIND.batch:
      if (!Array.isArray(x) || x.length === 0) throw malformed('BATCH needs calls[]');
      return { kind: 'batch', calls: x.map((c) => decodeCall(Array.isArray(c) ? c : [], 0)) };
    case KIND.hold:
      if (!isId(x) || !isText(y) || !y.startsWith('/')) throw malformed('HOLD needs handle and a node path');
      return { kind: 'hold', handle: x, path: y };
    default:
      throw malformed(`unknown kind ${String(kind)}`);
  }
}

/** [id, target, method, args[], timeout, handles?], from `a[at]` on → a CALL. */
function decodeCall(a: unknown[], at: number): CallMessage {
  const id = a[at];
  const target = a[at + 1];
  const method = a[at + 2];
  const args = a[at + 3];
  const timeout = a[at + 4];
  const handles = a[at + 5];
  if (!isId(id) || !isText(target) || !isText(method) || !Array.isArray(args) || typeof timeout !== 'number' || !(timeout >= 0)) {
    throw malformed('CALL needs id, target, method, args[] and timeout');
  }
  const call: CallMessage = { kind: 'call', id, target, method, args, timeout };
  if (handles === undefined || handles === null) return call;
  if (!Array.isArray(handles)) throw malformed('CALL handles must be an array');
  call.handles = handles.map((h): ArgHandle => {
    if (!Array.isArray(h) || !isId(h[0]) || h[0] >= args.length || (h[1] !== 'fn' && h[1] !== 'stream') || !isId(h[2])) {
      throw malformed('CALL handle needs [argIndex, fn|stream, handle]');
    }
    return [h[0], h[1], h[2]];
  });
  return call;
}

function decodeWireError(y: Record<string, unknown>): WireError {
  const error: WireError = { name: isText(y.name) ? y.name : 'Error', message: isText(y.message) ? y.message : '' };
  if (isText(y.code)) error.code = y.code;
  if (isText(y.stack)) error.stack = y.stack;
  if (Array.isArray(y.issues)) error.issues = y.issues.filter(isRecord).map(decodeIssue);
  return error;
}

function decodeIssue(i: Record<string, unknown>): ValidationIssue {
  const message = isText(i.message) ? i.message : '';
  if (!Array.isArray(i.path)) return { message };
  return { message, path: i.path.filter((k): k is string | number => isText(k) || typeof k === 'number') };
}

function helloRecord(m: Message & { kind: 'hello' }): Record<string, unknown> {
  const record: Record<string, unknown> = { identifier: m.identifier };
  if (m.nonce) record.nonce = m.nonce;
  if (m.proof) record.proof = m.proof;
  return record;
}

const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Throws ProtocolError when `value` nests deeper than `max` (iterative: no recursion on peer data). */
function checkDepth(value: unknown, max: number): void {
  // Only containers are stacked (scalars, the bulk of a frame, are skipped where they are found), with
  // their depths in a parallel array: a frame's check allocates nothing per element.
  if (!isContainer(value)) return;
  const stack: object[] = [value];
  const depths: number[] = [0];
  while (stack.length > 0) {
    const v = stack.pop()!;
    const depth = depths.pop()!;
    if (depth >= max) throw new ProtocolError(`frame nested deeper than ${max} levels`);
    const children: Iterable<unknown> =
      Array.isArray(v) ? v : v instanceof Map ? [...v.keys(), ...v.values()] : v instanceof Set ? v : Object.values(v);
    for (const c of children) {
      if (isContainer(c)) {
        stack.push(c);
        depths.push(depth + 1);
      }
    }
  }
}

function isContainer(v: unknown): v is object {
  return typeof v === 'object' && v !== null && !ArrayBuffer.isView(v) && !(v instanceof Date);
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

/**
 * Payloads as consecutive frames in one buffer (each with its 4-byte length
 * prefix), so that everything a connection queued in one tick leaves in one
 * write. `bytes` is the total: the payloads' lengths plus 4 per payload.
 */
export function frames(payloads: readonly Buffer[], bytes: number): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  let at = 0;
  for (const payload of payloads) {
    out.writeUInt32BE(payload.length, at);
    out.set(payload, at + 4);
    at += 4 + payload.length;
  }
  return out;
}

/** A payload with its 4-byte length prefix. */
export function frame(payload: Buffer): Buffer {
  return frames([payload], 4 + payload.length);
}
