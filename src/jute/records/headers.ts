import type { JuteReader } from '../reader.js';
import type { Codec, JuteWriter } from '../writer.js';

/** Precedes every request after the handshake. */
export interface RequestHeader {
  xid: number;
  type: number;
}

/** Precedes every reply after the handshake; a body follows only when err is 0. */
export interface ReplyHeader {
  xid: number;
  zxid: bigint;
  err: number;
}

export const RequestHeaderCodec: Codec<RequestHeader> = {
  write(w: JuteWriter, v: RequestHeader): void {
    w.int(v.xid).int(v.type);
  },
  read(r: JuteReader): RequestHeader {
    return { xid: r.int(), type: r.int() };
  },
};

export const ReplyHeaderCodec: Codec<ReplyHeader> = {
  write(w: JuteWriter, v: ReplyHeader): void {
    w.int(v.xid).long(v.zxid).int(v.err);
  },
  read(r: JuteReader): ReplyHeader {
    return { xid: r.int(), zxid: r.long(), err: r.int() };
  },
};
