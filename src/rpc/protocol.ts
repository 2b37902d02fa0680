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
 * the registry entry names the protocol of each address. This module holds
 * the protocol's names and message types; codec.ts encodes and decodes
 * them (`herd/1`), frames.ts splits a byte stream into frames.
 */
import type { ValidationIssue } from './errors.js';

/** The protocol name written in registry entries. */
export const PROTOCOL_NAME = 'herd';
/** The protocol version in HELLO and in registry entries; peers must agree. */
export const PROTOCOL_VERSION = 1;

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

/** Turns messages into payloads and back; the seam for a second protocol. */
export interface WireCodec {
  encode(message: Message): Buffer;
  /** Throws ProtocolError for anything that is not a valid message within the limits. */
  decode(payload: Buffer): Message;
}

/** The CLOSE code of a peer that shuts down gracefully, and the ERROR code of a call it refused unrun for that. */
export const GOING_AWAY = 'GOING_AWAY';
