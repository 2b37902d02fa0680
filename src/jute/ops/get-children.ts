import { PathWatchRequestCodec, readStrings, writeStrings } from '../records/common.js';
import { StatCodec, type Stat } from '../records/stat.js';
import type { JuteReader } from '../reader.js';
import type { Codec, JuteWriter } from '../writer.js';
import { defineOp } from './op.js';

export interface GetChildrenResponse {
  children: string[];
}

export interface GetChildren2Response {
  children: string[];
  stat: Stat;
}

export const GetChildrenResponseCodec: Codec<GetChildrenResponse> = {
  write(w: JuteWriter, v: GetChildrenResponse): void {
    writeStrings(w, v.children);
  },
  read(r: JuteReader): GetChildrenResponse {
    return { children: readStrings(r) };
  },
};

export const GetChildren2ResponseCodec: Codec<GetChildren2Response> = {
  write(w: JuteWriter, v: GetChildren2Response): void {
    writeStrings(w, v.children);
    StatCodec.write(w, v.stat);
  },
  read(r: JuteReader): GetChildren2Response {
    return { children: readStrings(r), stat: StatCodec.read(r) };
  },
};

/** getChildren (8). */
export const getChildren = defineOp('getChildren', PathWatchRequestCodec, GetChildrenResponseCodec);
/** getChildren2 (12): children and the parent's Stat. */
export const getChildren2 = defineOp('getChildren2', PathWatchRequestCodec, GetChildren2ResponseCodec);
