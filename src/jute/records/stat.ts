import type { JuteReader } from '../reader.js';
import type { Codec, JuteWriter } from '../writer.js';

/** A znode's metadata (68 bytes on the wire). Times are epoch milliseconds. */
export interface Stat {
  czxid: bigint;
  mzxid: bigint;
  ctime: number;
  mtime: number;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: bigint;
  dataLength: number;
  numChildren: number;
  pzxid: bigint;
}

export const StatCodec: Codec<Stat> = {
  write(w: JuteWriter, s: Stat): void {
    w.long(s.czxid).long(s.mzxid).longNumber(s.ctime).longNumber(s.mtime);
    w.int(s.version).int(s.cversion).int(s.aversion).long(s.ephemeralOwner);
    w.int(s.dataLength).int(s.numChildren).long(s.pzxid);
  },
  read(r: JuteReader): Stat {
    return {
      czxid: r.long(),
      mzxid: r.long(),
      ctime: r.longNumber(),
      mtime: r.longNumber(),
      version: r.int(),
      cversion: r.int(),
      aversion: r.int(),
      ephemeralOwner: r.long(),
      dataLength: r.int(),
      numChildren: r.int(),
      pzxid: r.long(),
    };
  },
};

/**
 * A znode's metadata as ZooKeeper stores it in snapshots (its jute record
 * `StatPersisted`): Stat without dataLength and numChildren, which a loader
 * derives from the data and the children.
 */
export type StatPersisted = Omit<Stat, 'dataLength' | 'numChildren'>;

export const StatPersistedCodec: Codec<StatPersisted> = {
  write(w: JuteWriter, s: StatPersisted): void {
    w.long(s.czxid).long(s.mzxid).longNumber(s.ctime).longNumber(s.mtime);
    w.int(s.version).int(s.cversion).int(s.aversion).long(s.ephemeralOwner).long(s.pzxid);
  },
  read(r: JuteReader): StatPersisted {
    return {
      czxid: r.long(),
      mzxid: r.long(),
      ctime: r.longNumber(),
      mtime: r.longNumber(),
      version: r.int(),
      cversion: r.int(),
      aversion: r.int(),
      ephemeralOwner: r.long(),
      pzxid: r.long(),
    };
  },
};
