import { PathWatchRequestCodec } from '../records/common.js';
import { StatCodec, type Stat } from '../records/stat.js';
import type { JuteReader } from '../reader.js';
import type { Codec, JuteWriter } from '../writer.js';
import { defineOp } from './op.js';

export interface GetDataResponse {
  data: Buffer | null;
  stat: Stat;
}

export const GetDataResponseCodec: Codec<GetDataResponse> = {
  write(w: JuteWriter, v: GetDataResponse): void {
    w.buffer(v.data);
    StatCodec.write(w, v.stat);
  },
  read(r: JuteReader): GetDataResponse {
    return { data: r.buffer(), stat: StatCodec.read(r) };
  },
};

/** getData (4). */
export const getData = defineOp('getData', PathWatchRequestCodec, GetDataResponseCodec);
