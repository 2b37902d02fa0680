import { EmptyCodec, readStrings, writeStrings } from '../records/common.js';
import type { JuteReader } from '../reader.js';
import type { Codec, JuteWriter } from '../writer.js';
import { defineOp } from './op.js';

/** Re-registers a reconnecting client's watches; relativeZxid is the last zxid it saw. */
export interface SetWatchesRequest {
  relativeZxid: bigint;
  dataWatches: string[];
  existWatches: string[];
  childWatches: string[];
}

export interface SetWatches2Request extends SetWatchesRequest {
  persistentWatches: string[];
  persistentRecursiveWatches: string[];
}

export const SetWatchesRequestCodec: Codec<SetWatchesRequest> = {
  write(w: JuteWriter, v: SetWatchesRequest): void {
    w.long(v.relativeZxid);
    writeStrings(w, v.dataWatches);
    writeStrings(w, v.existWatches);
    writeStrings(w, v.childWatches);
  },
  read(r: JuteReader): SetWatchesRequest {
    return {
      relativeZxid: r.long(),
      dataWatches: readStrings(r),
      existWatches: readStrings(r),
      childWatches: readStrings(r),
    };
  },
};

export const SetWatches2RequestCodec: Codec<SetWatches2Request> = {
  write(w: JuteWriter, v: SetWatches2Request): void {
    SetWatchesRequestCodec.write(w, v);
    writeStrings(w, v.persistentWatches);
    writeStrings(w, v.persistentRecursiveWatches);
  },
  read(r: JuteReader): SetWatches2Request {
    const base = SetWatchesRequestCodec.read(r);
    return { ...base, persistentWatches: readStrings(r), persistentRecursiveWatches: readStrings(r) };
  },
};

/** setWatches (101). */
export const setWatches = defineOp('setWatches', SetWatchesRequestCodec, EmptyCodec);
/** setWatches2 (105): adds persistent and persistent-recursive watches. */
export const setWatches2 = defineOp('setWatches2', SetWatches2RequestCodec, EmptyCodec);
