import { EmptyCodec } from '../records/common.js';
import type { JuteReader } from '../reader.js';
import type { Codec, JuteWriter } from '../writer.js';
import { defineOp } from './op.js';

/** Sent with xid -4; `type` is always 0. */
export interface AuthPacket {
  type: number;
  scheme: string;
  auth: Buffer | null;
}

export const AuthPacketCodec: Codec<AuthPacket> = {
  write(w: JuteWriter, v: AuthPacket): void {
    w.int(v.type).ustring(v.scheme).buffer(v.auth);
  },
  read(r: JuteReader): AuthPacket {
    return { type: r.int(), scheme: r.string(), auth: r.buffer() };
  },
};

/** auth (100): adds credentials to the session; failure is AuthFailed, then the server closes. */
export const auth = defineOp('auth', AuthPacketCodec, EmptyCodec);
