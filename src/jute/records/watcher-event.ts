import type { JuteReader } from '../reader.js';
import type { Codec, JuteWriter } from '../writer.js';

/** A watch notification, sent with xid -1. */
export interface WatcherEvent {
  type: number;
  state: number;
  path: string;
}

export const WatcherEventCodec: Codec<WatcherEvent> = {
  write(w: JuteWriter, v: WatcherEvent): void {
    w.int(v.type).int(v.state).ustring(v.path);
  },
  read(r: JuteReader): WatcherEvent {
    return { type: r.int(), state: r.int(), path: r.string() };
  },
};
