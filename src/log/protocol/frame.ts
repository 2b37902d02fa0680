/**
 * Framing of the storage-node protocol: every request and every reply is one
 * frame, a length prefix, a fixed header, and the body of its message kind
 * (./messages/*.ts), all in jute encoding (big-endian ints and longs,
 * length-prefixed byte strings; src/jute).
 *
 * ```
 * offset  size  field
 * 0       4     length     int32: bytes after this field (header + body)
 * 4       4     version    int32: PROTOCOL_VERSION (2)
 * 8       4     kind       int32: message kind (./kinds.ts); a reply has the kind of its request
 * 12      4     requestId  int32: chosen by the client, echoed by every reply to that request
 * 16      4     status     int32: 0 in requests; in replies a Status (./status.ts)
 * 20      ...   body       the kind's request or reply; for a status other than OK, one
 *                          ustring: the node's message
 * ```
 *
 * Rules both ends follow:
 * - A frame's length is checked before its bytes are read or buffered
 *   (capnweb's RpcLimits). A request longer than the node's `maxFrameSize`
 *   is skipped unread and answered TOO_LARGE: its boundary is known, so
 *   the connection stays usable. Only a negative length (no boundary at
 *   all) closes the connection (./frame-decoder.ts).
 * - A frame shorter than the header, with an unknown version or kind, or a
 *   body its kind cannot decode is answered BAD_REQUEST (or
 *   UNSUPPORTED_VERSION) and the connection kept. A frame too short to
 *   carry a request id is answered with request id 0, which clients never
 *   use.
 * - Replies may come in any order (each carries its request id): adds to
 *   different segments finish when their fsync does, not in arrival order.
 *   A streamed request (READ_RANGE) gets several replies with the same id,
 *   the last one marked done; an error reply also ends it.
 */
import { JuteReader } from '../../jute/reader.js';
import { JuteWriter, type Codec } from '../../jute/writer.js';

/**
 * The protocol version this code speaks, in every frame header. A node and
 * a client of different versions refuse each other: the node answers any
 * frame of another version UNSUPPORTED_VERSION, and the client fails with
 * `UnsupportedVersionError` on a reply of another version (its INFO at
 * connect, normally). Bumped whenever any message's bytes change, since
 * neither side can read the other's then. History (docs/log.md, "Wire
 * protocol"):
 * - 1: the first version.
 * - 2: READ_RANGE replies carry the segment file's entry records as they
 *   are (count, length, records, done) instead of one encoded entry each.
 *
 * What never changes between versions, so that each side can still read
 * the other's refusal: the length prefix, the 16-byte header (version,
 * kind, requestId, status) and the error body (one ustring).
 */
export const PROTOCOL_VERSION = 2;

/** Bytes of the header after the length prefix: version, kind, requestId, status. */
export const HEADER_SIZE = 16;

/** Bytes of the length prefix. */
export const LENGTH_PREFIX_SIZE = 4;

/**
 * Default largest frame (bytes after the length prefix) a node accepts:
 * a 16 MiB entry plus the header and the entry's other fields.
 */
export const DEFAULT_MAX_FRAME_SIZE = 16 * 1024 * 1024 + 1024;

/** The request id of a reply to a frame too short to carry one. */
export const NO_REQUEST_ID = 0;

/** The fixed header of every frame. */
export interface FrameHeader {
  readonly version: number;
  readonly kind: number;
  readonly requestId: number;
  readonly status: number;
}

/** Reads the header at the reader's offset; throws JuteDecodeError when fewer than {@link HEADER_SIZE} bytes are left. */
export function readHeader(r: JuteReader): FrameHeader {
  return { version: r.int(), kind: r.int(), requestId: r.int(), status: r.int() };
}

/**
 * Appends one frame (prefix, header, body) to `w`; several frames written
 * to one writer go out as one socket write.
 */
export function writeFrame<T>(w: JuteWriter, kind: number, requestId: number, status: number, codec: Codec<T>, body: T): void {
  const at = w.beginFrame();
  w.int(PROTOCOL_VERSION).int(kind).int(requestId).int(status);
  codec.write(w, body);
  w.endFrame(at);
}

/** The body of a reply whose status is not OK: the node's message. */
export const ErrorBodyCodec: Codec<string> = {
  write: (w, message) => void w.ustring(message),
  read: (r) => r.string(),
};

/** One frame as a fresh Buffer. */
export function encodeFrame<T>(kind: number, requestId: number, status: number, codec: Codec<T>, body: T): Buffer {
  const w = new JuteWriter(64);
  writeFrame(w, kind, requestId, status, codec, body);
  return w.take();
}
