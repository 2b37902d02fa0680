/**
 * INFO (kind 6): who the node is; also the ping.
 *
 * ```
 * request  (empty)
 * reply    ustring instanceId, int protocolVersion, long startedAt,
 *          long bytesStored, int segments
 * ```
 */
import { JuteDecodeError } from '../../../jute/decode-error.js';
import type { Codec } from '../../../jute/writer.js';
import { readInt, readLong } from './fields.js';
import { EmptyCodec, type Message } from './message.js';

export interface InfoReply {
  /** The node's identity: kept in its data directory, new when the directory is wiped. */
  readonly instanceId: string;
  /** The protocol version the node speaks. */
  readonly protocolVersion: number;
  /** When this process started serving, epoch ms. */
  readonly startedAt: number;
  /** Bytes of entries stored. */
  readonly bytesStored: number;
  /** Segments stored. */
  readonly segments: number;
}

export const InfoReplyCodec: Codec<InfoReply> = {
  write(w, v) {
    w.ustring(v.instanceId).int(v.protocolVersion).longNumber(v.startedAt).longNumber(v.bytesStored).int(v.segments);
  },
  read(r) {
    const at = r.offset;
    const instanceId = r.ustring();
    if (instanceId === null) throw new JuteDecodeError('null instanceId', at);
    return {
      instanceId,
      protocolVersion: r.int(),
      startedAt: readLong(r, 'startedAt', 0),
      bytesStored: readLong(r, 'bytesStored', 0),
      segments: readInt(r, 'segments', 0),
    };
  },
};

export const Info: Message<Record<string, never>, InfoReply> = {
  kind: 6,
  name: 'INFO',
  request: EmptyCodec,
  reply: InfoReplyCodec,
  streamed: false,
};
