import { EmptyCodec, ErrorResponseCodec } from '../records/common.js';
import type { JuteReader } from '../reader.js';
import type { Codec, JuteWriter } from '../writer.js';
import { defineOp } from './op.js';

export interface AddWatchRequest {
  path: string;
  mode: number;
}

/** checkWatches and removeWatches: `type` is a {@link WatcherType}. */
export interface WatchesRequest {
  path: string;
  type: number;
}

export const AddWatchRequestCodec: Codec<AddWatchRequest> = {
  write(w: JuteWriter, v: AddWatchRequest): void {
    w.ustring(v.path).int(v.mode);
  },
  read(r: JuteReader): AddWatchRequest {
    return { path: r.string(), mode: r.int() };
  },
};

export const WatchesRequestCodec: Codec<WatchesRequest> = {
  write(w: JuteWriter, v: WatchesRequest): void {
    w.ustring(v.path).int(v.type);
  },
  read(r: JuteReader): WatchesRequest {
    return { path: r.string(), type: r.int() };
  },
};

/** addWatch (106): a successful reply carries an ErrorResponse{0} body, which the Java client reads. */
export const addWatch = defineOp('addWatch', AddWatchRequestCodec, ErrorResponseCodec);
/** checkWatches (17): NoWatcher when nothing matches. */
export const checkWatches = defineOp('checkWatches', WatchesRequestCodec, EmptyCodec);
/** removeWatches (18): NoWatcher when nothing matches. */
export const removeWatches = defineOp('removeWatches', WatchesRequestCodec, EmptyCodec);
