import { EphemeralOwner } from './txn.js';

/**
 * The data tree's indexes of nodes by owner: ephemeral paths by session
 * (what a closing session deletes), and the containers and TTL nodes the
 * {@link ContainerCollector} checks. Kept in step with the node map by the
 * tree's create, delete and restore.
 */
export class OwnerIndex {
  /** Ephemeral paths by owning session. */
  private readonly ephemerals = new Map<bigint, Set<string>>();
  /** Paths of container nodes. */
  readonly containers = new Set<string>();
  /** Paths of TTL nodes. */
  readonly ttls = new Set<string>();

  /** Indexes a node at `path` with this `owner` (an {@link EphemeralOwner} value; none is not indexed). */
  add(path: string, owner: bigint): void {
    if (owner === EphemeralOwner.none) return;
    if (EphemeralOwner.isContainer(owner)) this.containers.add(path);
    else if (EphemeralOwner.isTtl(owner)) this.ttls.add(path);
    else {
      let set = this.ephemerals.get(owner);
      if (!set) this.ephemerals.set(owner, (set = new Set()));
      set.add(path);
    }
  }

  /** Forgets the node at `path` that had this `owner`. */
  remove(path: string, owner: bigint): void {
    if (owner === EphemeralOwner.none) return;
    if (EphemeralOwner.isContainer(owner)) this.containers.delete(path);
    else if (EphemeralOwner.isTtl(owner)) this.ttls.delete(path);
    else this.ephemerals.get(owner)?.delete(path);
  }

  /** The ephemeral paths a session owns (empty for none). */
  ephemeralsOf(sessionId: bigint): ReadonlySet<string> {
    return this.ephemerals.get(sessionId) ?? new Set();
  }

  /** Forgets a closed session's entry (its nodes are deleted first). */
  dropSession(sessionId: bigint): void {
    this.ephemerals.delete(sessionId);
  }

  /** Number of ephemeral nodes, all sessions together. */
  ephemeralCount(): number {
    let n = 0;
    for (const set of this.ephemerals.values()) n += set.size;
    return n;
  }

  /** Every ephemeral path by session. */
  allEphemerals(): ReadonlyMap<bigint, ReadonlySet<string>> {
    return this.ephemerals;
  }
}
