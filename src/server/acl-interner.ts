import type { ACL } from '../jute/records/acl.js';

/**
 * Lets znodes with equal ACL lists share one array, as ZooKeeper's
 * ReferenceCountedACLCache does. A tree usually holds a handful of distinct
 * lists (world:anyone, a few digests), but every create decodes a fresh list
 * of four objects and two strings: about 180 bytes per znode otherwise.
 *
 * Shared lists are never mutated (setACL replaces a node's list), so sharing
 * is invisible. The table keeps at most {@link MAX_LISTS} lists and never
 * drops one; past that, new lists are simply kept unshared, so a client
 * inventing ACLs cannot grow it without bound.
 */
const MAX_LISTS = 4096;

export class AclInterner {
  private readonly lists = new Map<string, ACL[]>();

  intern(acl: ACL[]): ACL[] {
    // Length-prefixed fields: no two different lists share a key.
    let key = '';
    for (const entry of acl) {
      key += `${entry.perms}:${entry.id.scheme.length}:${entry.id.scheme}${entry.id.id.length}:${entry.id.id};`;
    }
    const shared = this.lists.get(key);
    if (shared !== undefined) return shared;
    if (this.lists.size < MAX_LISTS) this.lists.set(key, acl);
    return acl;
  }

  get size(): number {
    return this.lists.size;
  }
}
