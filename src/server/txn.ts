import type { ACL } from '../jute/records/acl.js';

/**
 * Transactions: the state changes the prepare stage computes, the log stage
 * makes durable and the apply stage performs on the data tree. A txn carries
 * everything apply needs, so replaying a log reproduces the tree exactly.
 */
export type Txn =
  | { type: 'createSession'; sessionId: bigint; timeout: number }
  | { type: 'closeSession'; sessionId: bigint }
  | {
      type: 'create';
      path: string;
      data: Buffer | null;
      acl: ACL[];
      /** Session id, or the container/TTL markers of {@link EphemeralOwner}. */
      ephemeralOwner: bigint;
      /** The parent's internal cversion after this create. */
      parentCVersion: number;
    }
  | { type: 'delete'; path: string }
  | { type: 'setData'; path: string; data: Buffer | null; version: number }
  | { type: 'setACL'; path: string; acl: ACL[]; version: number }
  | { type: 'check'; path: string }
  | { type: 'error'; err: number }
  | { type: 'multi'; txns: Txn[] };

/** Every txn is logged with this header. */
export interface TxnHeader {
  sessionId: bigint;
  cxid: number;
  zxid: bigint;
  /** Wall-clock ms when prepared; becomes ctime/mtime. */
  time: number;
}

/**
 * ZooKeeper encodes containers and TTL nodes in the ephemeralOwner field
 * (clients see 0 for both): a TTL owner is 0xFF in the high byte, a 16-bit
 * type of 0 below it, and the ttl in the low 40 bits. Session ids therefore
 * never use 0xFF as their high byte.
 */
export const EphemeralOwner = {
  none: 0n,
  container: -0x8000000000000000n,
  ttlMask: -0x0100000000000000n,
  maxTtl: 0xff_ffff_ffffn,
  ttl(ttlMs: number): bigint {
    return EphemeralOwner.ttlMask | BigInt(ttlMs);
  },
  isTtl(owner: bigint): boolean {
    // High byte 0xFF with extended type 0 (TTL) in the next 16 bits.
    return (owner & -0x100_0000_0000n) === EphemeralOwner.ttlMask;
  },
  ttlOf(owner: bigint): number {
    return Number(owner & ~EphemeralOwner.ttlMask);
  },
  isContainer(owner: bigint): boolean {
    return owner === EphemeralOwner.container;
  },
  /** A real session owns the node (an ephemeral in the classic sense). */
  isSession(owner: bigint): boolean {
    return owner !== 0n && !EphemeralOwner.isContainer(owner) && !EphemeralOwner.isTtl(owner);
  },
} as const;
