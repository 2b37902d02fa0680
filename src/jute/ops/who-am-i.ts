import { EmptyCodec } from '../records/common.js';
import type { JuteReader } from '../reader.js';
import type { Codec, JuteWriter } from '../writer.js';
import { defineOp } from './op.js';

export interface ClientInfo {
  authScheme: string;
  user: string;
}

export interface WhoAmIResponse {
  clientInfo: ClientInfo[];
}

export const WhoAmIResponseCodec: Codec<WhoAmIResponse> = {
  write(w: JuteWriter, v: WhoAmIResponse): void {
    w.vector(v.clientInfo, (ww, c) => ww.ustring(c.authScheme).ustring(c.user));
  },
  read(r: JuteReader): WhoAmIResponse {
    return { clientInfo: r.vector((rr) => ({ authScheme: rr.string(), user: rr.string() })) ?? [] };
  },
};

/** whoAmI (107): the session's authenticated identities. */
export const whoAmI = defineOp('whoAmI', EmptyCodec, WhoAmIResponseCodec);
