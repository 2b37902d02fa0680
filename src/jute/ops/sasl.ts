import type { JuteReader } from '../reader.js';
import type { Codec, JuteWriter } from '../writer.js';
import { defineOp } from './op.js';

export interface SaslToken {
  token: Buffer | null;
}

export const SaslTokenCodec: Codec<SaslToken> = {
  write(w: JuteWriter, v: SaslToken): void {
    w.buffer(v.token);
  },
  read(r: JuteReader): SaslToken {
    return { token: r.buffer() };
  },
};

/** sasl (102): a SASL exchange step. Herd's server does not offer SASL. */
export const sasl = defineOp('sasl', SaslTokenCodec, SaslTokenCodec);
