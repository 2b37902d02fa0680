import { readStrings, writeStrings } from '../records/common.js';
import type { JuteReader } from '../reader.js';
import type { Codec, JuteWriter } from '../writer.js';
import { defineOp } from './op.js';

export interface GetEphemeralsRequest {
  prefixPath: string;
}

export interface GetEphemeralsResponse {
  ephemerals: string[];
}

export const GetEphemeralsRequestCodec: Codec<GetEphemeralsRequest> = {
  write(w: JuteWriter, v: GetEphemeralsRequest): void {
    w.ustring(v.prefixPath);
  },
  read(r: JuteReader): GetEphemeralsRequest {
    return { prefixPath: r.string() };
  },
};

export const GetEphemeralsResponseCodec: Codec<GetEphemeralsResponse> = {
  write(w: JuteWriter, v: GetEphemeralsResponse): void {
    writeStrings(w, v.ephemerals);
  },
  read(r: JuteReader): GetEphemeralsResponse {
    return { ephemerals: readStrings(r) };
  },
};

/** getEphemerals (103): the caller's session's ephemeral paths under a prefix. */
export const getEphemerals = defineOp('getEphemerals', GetEphemeralsRequestCodec, GetEphemeralsResponseCodec);
