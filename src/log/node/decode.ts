/**
 * The decode stage. It consumes frames from the network stage
 * (./connection.ts) and passes on typed requests to the storage stage
 * (./handlers.ts): `{ message, body }` with an {@link Exchange} to answer
 * through. A frame it cannot turn into a request is answered here, and the
 * connection kept:
 * - longer than `maxFrameSize` (only its header was read): TOO_LARGE;
 * - shorter than a header: BAD_REQUEST with request id 0;
 * - another protocol version: UNSUPPORTED_VERSION;
 * - an unknown kind, a body that does not decode (truncated, a field out
 *   of range, bytes left over): BAD_REQUEST, naming the kind and offset;
 * - any request while the node is closing: NODE_CLOSING.
 */
import { JuteDecodeError } from '../../jute/decode-error.js';
import { JuteReader } from '../../jute/reader.js';
import { BadRequestError } from '../errors.js';
import { HEADER_SIZE, NO_REQUEST_ID, PROTOCOL_VERSION, readHeader } from '../protocol/frame.js';
import type { FrameEvent } from '../protocol/frame-decoder.js';
import { kindName, messageOfKind } from '../protocol/kinds.js';
import { expectEnd } from '../protocol/messages/fields.js';
import type { Message } from '../protocol/messages/message.js';
import { Status } from '../protocol/status.js';
import type { NodeConnection } from './connection.js';
import { Exchange } from './reply.js';

/** A request the decode stage passes on. */
export interface DecodedRequest {
  readonly message: Message<unknown, unknown>;
  readonly body: unknown;
}

/** What the decode stage needs: the next stage, and whether the node is closing. */
export interface DecodeStageOptions {
  readonly maxFrameSize: number;
  readonly closing: () => boolean;
  readonly next: (request: DecodedRequest, exchange: Exchange) => void;
}

/** The decode stage as the network stage calls it. */
export function decodeStage(options: DecodeStageOptions): (conn: NodeConnection, event: FrameEvent) => void {
  return (conn, event) => {
    if (event.type === 'oversized') {
      const { kind, requestId } = readHeader(new JuteReader(event.head));
      new Exchange(conn, kind, requestId).fail(
        Status.TOO_LARGE,
        `${kindName(kind)} request of ${event.length} bytes is larger than the node's maxFrameSize of ${options.maxFrameSize} bytes`,
      );
      return;
    }
    const frame = event.frame;
    if (frame.length < HEADER_SIZE) {
      new Exchange(conn, 0, NO_REQUEST_ID).fail(Status.BAD_REQUEST, `frame of ${frame.length} bytes is shorter than the ${HEADER_SIZE}-byte header`);
      return;
    }
    const r = new JuteReader(frame);
    const header = readHeader(r);
    const exchange = new Exchange(conn, header.kind, header.requestId);
    if (header.version !== PROTOCOL_VERSION) {
      exchange.fail(Status.UNSUPPORTED_VERSION, `protocol version ${header.version} is not supported (this node speaks ${PROTOCOL_VERSION})`);
      return;
    }
    const message = messageOfKind(header.kind);
    if (message === undefined) {
      exchange.fail(Status.BAD_REQUEST, `unknown message kind ${header.kind}`);
      return;
    }
    let body: unknown;
    try {
      body = message.request.read(r);
      expectEnd(r, message.name);
    } catch (error) {
      if (!(error instanceof JuteDecodeError || error instanceof BadRequestError)) throw error;
      exchange.fail(Status.BAD_REQUEST, `${message.name}: ${error.message}`);
      return;
    }
    if (options.closing()) {
      exchange.fail(Status.NODE_CLOSING, `${message.name}: the node is closing`);
      return;
    }
    options.next({ message, body }, exchange);
  };
}
