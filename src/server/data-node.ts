import type { ACL } from '../jute/records/acl.js';
import type { Stat } from '../jute/records/stat.js';
import type { JuteWriter } from '../jute/writer.js';
import { EphemeralOwner } from './txn.js';

/**
 * One znode. `cversion` counts child creates only, as ZooKeeper stores it.
 *
 * Memory per znode matters at a million znodes, so:
 * - the value is kept as its backing store, offset and length, and
 *   {@link data} makes a Buffer view of it when asked: a Buffer held per
 *   znode is a heap object of about 100 bytes, as much as a typical value;
 * - zxids are numbers (small integers live inside the object; a bigint is a
 *   separate heap object of 28 bytes). A zxid is exact as a number up to
 *   2^53, which a server reaches after 2^53 transactions; {@link stat} turns
 *   them back into the protocol's longs.
 */
export class DataNode {
  children: Set<string> | null = null;
  private store: ArrayBufferLike | null = null;
  private offset = 0;
  private length = 0;

  constructor(
    data: Buffer | null,
    public acl: ACL[],
    readonly czxid: number,
    public mzxid: number,
    readonly ctime: number,
    public mtime: number,
    public version: number,
    public cversion: number,
    public aversion: number,
    readonly ephemeralOwner: bigint,
    public pzxid: number,
  ) {
    this.data = data;
  }

  /** The value (a view of the bytes the node holds; do not write to it), or null. */
  get data(): Buffer | null {
    return this.store === null ? null : Buffer.from(this.store, this.offset, this.length);
  }

  set data(value: Buffer | null) {
    if (value === null) {
      this.store = null;
      this.offset = 0;
      this.length = 0;
    } else {
      this.store = value.buffer;
      this.offset = value.byteOffset;
      this.length = value.length;
    }
  }

  /** Sets the value to `length` bytes of `store` from `offset` (which the node then owns), without a Buffer view. */
  setStoredData(store: ArrayBufferLike, offset: number, length: number): void {
    this.store = store;
    this.offset = offset;
    this.length = length;
  }

  /** The value's length, 0 for none, without making a view. */
  get dataLength(): number {
    return this.length;
  }

  /** A copy of the fields (children excluded: a snapshot rebuilds them from paths). */
  clone(): DataNode {
    return new DataNode(this.data, this.acl, this.czxid, this.mzxid, this.ctime, this.mtime, this.version, this.cversion, this.aversion, this.ephemeralOwner, this.pzxid);
  }

  get numChildren(): number {
    return this.children === null ? 0 : this.children.size;
  }

  /** The Stat clients see: cversion as a count of changes, and 0 owner for containers and TTL nodes. */
  stat(): Stat {
    const numChildren = this.numChildren;
    return {
      czxid: BigInt(this.czxid),
      mzxid: BigInt(this.mzxid),
      ctime: this.ctime,
      mtime: this.mtime,
      version: this.version,
      // Every create but those of the children still present was matched by a delete.
      cversion: this.cversion * 2 - numChildren,
      aversion: this.aversion,
      ephemeralOwner: EphemeralOwner.isSession(this.ephemeralOwner) ? this.ephemeralOwner : 0n,
      dataLength: this.length,
      numChildren,
      pzxid: BigInt(this.pzxid),
    };
  }

  /**
   * Writes {@link stat} in its wire layout (StatCodec's) without building the
   * Stat: the getData and exists replies, where the three bigints it would
   * allocate are turned straight back into numbers.
   */
  writeStat(w: JuteWriter): void {
    const numChildren = this.numChildren;
    w.longNumber(this.czxid).longNumber(this.mzxid).longNumber(this.ctime).longNumber(this.mtime);
    w.int(this.version).int(this.cversion * 2 - numChildren).int(this.aversion);
    const owner = this.ephemeralOwner;
    // Most nodes have no owner: skip the bigint checks for them.
    if (owner === 0n || !EphemeralOwner.isSession(owner)) w.longNumber(0);
    else w.long(owner);
    w.int(this.length).int(numChildren).longNumber(this.pzxid);
  }

  /** Writes the data as a jute buffer (-1 for null), straight from where it is stored: no Buffer made per read. */
  writeData(w: JuteWriter): void {
    if (this.store === null) w.int(-1);
    else w.bytesFrom(this.store, this.offset, this.length);
  }
}
