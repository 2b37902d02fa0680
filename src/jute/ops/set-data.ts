import { StatCodec } from '../records/stat.js';
import type { JuteReader } from '../reader.js';
import type { Codec, JuteWriter } from '../writer.js';
import { defineOp } from './op.js';

export interface SetDataRequest {
  path: string;
  data: Buffer | null;
  version: number;
}

export const SetDataRequestCodec: Codec<SetDataRequest> = {
  write(w: JuteWriter, v: SetDataRequest): void {
    w.ustring(v.path).buffer(v.data).int(v.version);
  },
  read(r: JuteReader): SetDataRequest {
    return { path: r.string(), data: r.buffer(), version: r.int() };
  },
};

/** setData (5): answers the new Stat. */
export const setData = defineOp('setData', SetDataRequestCodec, StatCodec);
