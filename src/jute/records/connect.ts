import type { JuteReader } from '../reader.js';
import type { Codec, JuteWriter } from '../writer.js';

/**
 * The first frame a client sends (no RequestHeader). `readOnly` is absent
 * (undefined) when the client omitted the trailing byte, as old clients do;
 * the server must then omit it in the response too.
 */
export interface ConnectRequest {
  protocolVersion: number;
  lastZxidSeen: bigint;
  timeOut: number;
  sessionId: bigint;
  passwd: Buffer;
  readOnly?: boolean;
}

export interface ConnectResponse {
  protocolVersion: number;
  timeOut: number;
  sessionId: bigint;
  passwd: Buffer;
  readOnly?: boolean;
}

export const ConnectRequestCodec: Codec<ConnectRequest> = {
  write(w: JuteWriter, v: ConnectRequest): void {
    w.int(v.protocolVersion).long(v.lastZxidSeen).int(v.timeOut).long(v.sessionId).buffer(v.passwd);
    if (v.readOnly !== undefined) w.bool(v.readOnly);
  },
  read(r: JuteReader): ConnectRequest {
    const v: ConnectRequest = {
      protocolVersion: r.int(),
      lastZxidSeen: r.long(),
      timeOut: r.int(),
      sessionId: r.long(),
      passwd: r.buffer() ?? Buffer.alloc(0),
    };
    if (r.remaining > 0) v.readOnly = r.bool();
    return v;
  },
};

export const ConnectResponseCodec: Codec<ConnectResponse> = {
  write(w: JuteWriter, v: ConnectResponse): void {
    w.int(v.protocolVersion).int(v.timeOut).long(v.sessionId).buffer(v.passwd);
    if (v.readOnly !== undefined) w.bool(v.readOnly);
  },
  read(r: JuteReader): ConnectResponse {
    const v: ConnectResponse = {
      protocolVersion: r.int(),
      timeOut: r.int(),
      sessionId: r.long(),
      passwd: r.buffer() ?? Buffer.alloc(0),
    };
    if (r.remaining > 0) v.readOnly = r.bool();
    return v;
  },
};
