/**
 * Pyro4's wire messages (protocol version 48, Pyro4 4.82). Every message,
 * both directions, is a 24-byte header, then the annotation chunks, then
 * the payload:
 *
 * ```
 *   offset  size  field (big-endian)
 *   0       4     'PYRO'
 *   4       2     protocol version, 48
 *   6       2     message type (MessageType)
 *   8       2     flags (MessageFlags)
 *   10      2     sequence number: a reply carries its request's
 *   12      4     payload size (signed: at most 2^31-1)
 *   16      2     serializer id (1 = serpent, the only one Herd speaks)
 *   18      2     total size of the annotation chunks
 *   20      2     reserved, 0
 *   22      2     checksum: (type + version + payload size + annotations size
 *                 + serializer + flags + seq + 0x34E9) & 0xFFFF
 *   then per annotation: 4 ASCII bytes of name, uint16 length, the bytes
 * ```
 *
 * The `HMAC` annotation (when a key is set, on both sides) is the HMAC-SHA1
 * of the payload followed by every other annotation's value in name order;
 * a message whose HMAC is wrong, or that has one when no key is set (or
 * none when one is), is refused.
 *
 * A payload with the COMPRESSED flag (`Pyro4.config.COMPRESSION = True`)
 * is zlib data (the HMAC covers it compressed); {@link payloadOf} inflates
 * it. Herd never compresses what it sends: Pyro4 reads either.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { ProtocolError } from '../errors.js';

/** The header's size in bytes. */
export const HEADER_SIZE = 24;
/** Pyro4's wire protocol version (4.82). */
export const PYRO4_PROTOCOL_VERSION = 48;
/** Serializer ids of Pyro4 4.82; only serpent is spoken. */
export const SERIALIZER_IDS = { serpent: 1, json: 2, marshal: 3, pickle: 4, dill: 5, msgpack: 6, cloudpickle: 7 } as const;
/** Default largest payload plus annotations of one message: 1 MiB. */
export const DEFAULT_MAX_MESSAGE_SIZE = 1024 * 1024;

const CHECKSUM_MAGIC = 0x34e9;

/** Pyro4's message types. */
export const MessageType = { CONNECT: 1, CONNECTOK: 2, CONNECTFAIL: 3, INVOKE: 4, RESULT: 5, PING: 6 } as const;

/** Pyro4's message flags (a bit set). */
export const MessageFlags = {
  EXCEPTION: 1 << 0,
  COMPRESSED: 1 << 1,
  ONEWAY: 1 << 2,
  BATCH: 1 << 3,
  META_ON_CONNECT: 1 << 4,
  ITEMSTREAMRESULT: 1 << 5,
  KEEPSERIALIZED: 1 << 6,
} as const;

/** One Pyro4 message. */
export interface PyroMessage {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly serializerId: number;
  /** Annotation chunks by their 4-letter name (without `HMAC`, which is checked on the way in and made on the way out). */
  readonly annotations: ReadonlyMap<string, Buffer>;
  readonly data: Buffer;
  /**
   * Set by a {@link MessageReader} when the HMAC is wrong or missing (or
   * present while no key is set): the message must not be acted on. The
   * stream itself is intact, so the receiver may still answer, as Pyro4's
   * daemon answers a handshake with CONNECTFAIL.
   */
  readonly securityError?: string;
}

/** What a {@link MessageReader} refuses: a message that breaks the protocol (the connection must close). */
export class PyroFrameError extends ProtocolError {}

/** The HMAC Pyro4 puts in the `HMAC` annotation: payload, then the other annotations' values by name. */
function hmacOf(key: Uint8Array, data: Buffer, annotations: ReadonlyMap<string, Buffer>): Buffer {
  const mac = createHmac('sha1', key).update(data);
  for (const name of [...annotations.keys()].sort()) if (name !== 'HMAC') mac.update(annotations.get(name)!);
  return mac.digest();
}

/** The bytes of `msg`, with an `HMAC` annotation when `hmacKey` is given. Throws ProtocolError for a payload over 2^31-1 bytes or a bad annotation name. */
export function encodeMessage(msg: Omit<PyroMessage, 'annotations'> & { annotations?: ReadonlyMap<string, Buffer> }, hmacKey?: Uint8Array): Buffer {
  const annotations = new Map(msg.annotations ?? []);
  annotations.delete('HMAC');
  if (hmacKey) annotations.set('HMAC', hmacOf(hmacKey, msg.data, annotations));
  const chunks: Buffer[] = [];
  let annotationsSize = 0;
  for (const [name, value] of annotations) {
    if (!/^[\x20-\x7e]{4}$/.test(name)) throw new ProtocolError(`pyro4: annotation name must be 4 ASCII characters: ${JSON.stringify(name)}`);
    if (value.length > 0xffff) throw new ProtocolError(`pyro4: annotation ${name} longer than 65535 bytes`);
    const head = Buffer.alloc(6);
    head.write(name, 0, 'ascii');
    head.writeUInt16BE(value.length, 4);
    chunks.push(head, value);
    annotationsSize += 6 + value.length;
  }
  if (annotationsSize > 0xffff) throw new ProtocolError('pyro4: annotations longer than 65535 bytes');
  if (msg.data.length > 0x7fffffff) throw new ProtocolError('pyro4: payload larger than 2 GiB');
  const header = Buffer.alloc(HEADER_SIZE);
  header.write('PYRO', 0, 'ascii');
  header.writeUInt16BE(PYRO4_PROTOCOL_VERSION, 4);
  header.writeUInt16BE(msg.type, 6);
  header.writeUInt16BE(msg.flags, 8);
  header.writeUInt16BE(msg.seq & 0xffff, 10);
  header.writeInt32BE(msg.data.length, 12);
  header.writeUInt16BE(msg.serializerId, 16);
  header.writeUInt16BE(annotationsSize, 18);
  header.writeUInt16BE(0, 20);
  const checksum = msg.type + PYRO4_PROTOCOL_VERSION + msg.data.length + annotationsSize + msg.serializerId + msg.flags + (msg.seq & 0xffff) + CHECKSUM_MAGIC;
  header.writeUInt16BE(checksum & 0xffff, 22);
  return Buffer.concat([header, ...chunks, msg.data]);
}

/**
 * The payload of `msg`, inflated when its COMPRESSED flag is set. Throws
 * ProtocolError when it is not zlib data or inflates to more than
 * `maxSize` bytes (default {@link DEFAULT_MAX_MESSAGE_SIZE}), so a small
 * compressed message cannot grow past the limit a plain one has.
 */
export function payloadOf(msg: PyroMessage, maxSize = DEFAULT_MAX_MESSAGE_SIZE): Buffer {
  if (!(msg.flags & MessageFlags.COMPRESSED)) return msg.data;
  try {
    return inflateSync(msg.data, { maxOutputLength: maxSize });
  } catch (error) {
    const why = (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' ? `inflates to more than ${maxSize} bytes` : 'is not zlib data';
    throw new ProtocolError(`pyro4: a compressed payload that ${why}`, { cause: error });
  }
}

/** Options of a {@link MessageReader}. */
export interface MessageReaderOptions {
  /** The HMAC key both sides share; undefined when none is set. */
  hmacKey?: Uint8Array;
  /** Largest payload plus annotations accepted, bytes. Default {@link DEFAULT_MAX_MESSAGE_SIZE}. */
  maxMessageSize?: number;
}

/**
 * Cuts a byte stream into messages. {@link push} returns the messages
 * complete so far; it throws {@link PyroFrameError} at the first bad one
 * (wrong magic, version or checksum, an oversized or negative size,
 * annotations that overrun), after which the stream
 * cannot be trusted and the connection must close.
 */
export class MessageReader {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly maxMessageSize: number;

  constructor(private readonly options: MessageReaderOptions = {}) {
    this.maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  }

  push(chunk: Buffer): PyroMessage[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const out: PyroMessage[] = [];
    for (;;) {
      const b = this.buffered;
      if (b.length < HEADER_SIZE) {
        // Refuse a wrong magic as soon as it shows, not only once 24 bytes came.
        if (!Buffer.from('PYRO').subarray(0, Math.min(4, b.length)).equals(b.subarray(0, Math.min(4, b.length)))) throw new PyroFrameError('pyro4: not a Pyro message (bad magic)');
        return out;
      }
      if (b.toString('latin1', 0, 4) !== 'PYRO') throw new PyroFrameError('pyro4: not a Pyro message (bad magic)');
      const version = b.readUInt16BE(4);
      if (version !== PYRO4_PROTOCOL_VERSION) throw new PyroFrameError(`pyro4: unsupported protocol version ${version} (Herd speaks ${PYRO4_PROTOCOL_VERSION}, Pyro4)`);
      const type = b.readUInt16BE(6);
      const flags = b.readUInt16BE(8);
      const seq = b.readUInt16BE(10);
      const dataSize = b.readInt32BE(12);
      const serializerId = b.readUInt16BE(16);
      const annotationsSize = b.readUInt16BE(18);
      const checksum = b.readUInt16BE(22);
      if (checksum !== ((type + version + dataSize + annotationsSize + serializerId + flags + seq + CHECKSUM_MAGIC) & 0xffff)) {
        throw new PyroFrameError('pyro4: header checksum mismatch');
      }
      if (dataSize < 0) throw new PyroFrameError('pyro4: negative payload size');
      if (dataSize + annotationsSize > this.maxMessageSize) {
        throw new PyroFrameError(`pyro4: message of ${dataSize + annotationsSize} bytes, more than the limit of ${this.maxMessageSize}`);
      }
      const total = HEADER_SIZE + annotationsSize + dataSize;
      if (b.length < total) return out;
      const annotations = new Map<string, Buffer>();
      let i = HEADER_SIZE;
      const end = HEADER_SIZE + annotationsSize;
      while (i < end) {
        if (i + 6 > end) throw new PyroFrameError('pyro4: truncated annotation chunk');
        const name = b.toString('latin1', i, i + 4);
        const length = b.readUInt16BE(i + 4);
        if (i + 6 + length > end) throw new PyroFrameError(`pyro4: annotation ${JSON.stringify(name)} overruns the annotations`);
        annotations.set(name, Buffer.from(b.subarray(i + 6, i + 6 + length)));
        i += 6 + length;
      }
      const data = Buffer.from(b.subarray(end, total));
      this.buffered = b.subarray(total);
      const securityError = this.checkHmac(data, annotations);
      annotations.delete('HMAC');
      out.push({ type, flags, seq, serializerId, annotations, data, ...(securityError ? { securityError } : {}) });
    }
  }

  private checkHmac(data: Buffer, annotations: Map<string, Buffer>): string | undefined {
    const key = this.options.hmacKey;
    const got = annotations.get('HMAC');
    if (got === undefined && key === undefined) return undefined;
    if (got === undefined || key === undefined) return 'hmac key config not symmetric (one side has a key, the other none)';
    const want = hmacOf(key, data, annotations);
    if (got.length !== want.length || !timingSafeEqual(got, want)) return 'message hmac mismatch';
    return undefined;
  }
}
