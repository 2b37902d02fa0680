/**
 * The `herd/1` codec: a protocol.ts message as one MessagePack value
 * (`[kind, ...fields]`) and back, with every field's type checked and the
 * frame's nesting bounded before anything uses it.
 */
import { Packr, RESERVE_START_SPACE, Unpackr } from 'msgpackr';
import { ProtocolError, type ValidationIssue } from './errors.js';
import { DEFAULT_MAX_DEPTH, type ArgHandle, type CallMessage, type FrameLimits, type Message, type WireCodec, type WireError } from './protocol.js';

const MAGIC = 'herd-rpc';

const KIND = {
  hello: 0, call: 1, result: 2, error: 3, cancel: 4, oneway: 5, close: 6,
  handle: 7, item: 8, end: 9, credit: 10, stop: 11, release: 12, batch: 13, hold: 14, auth: 15,
} as const;

const callFields = (m: CallMessage): unknown[] =>
  m.handles && m.handles.length > 0 ? [m.id, m.target, m.method, m.args, m.timeout, m.handles] : [m.id, m.target, m.method, m.args, m.timeout];

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
