import type { ACL } from '../jute/records/acl.js';
import type { DataTree } from './data-tree.js';

/**
 * What prepare needs to know of a node to validate a write against it.
 * `cversion` is the internal count of child creates.
 */
export interface NodeRecord {
  acl: ACL[];
  version: number;
  aversion: number;
  cversion: number;
  numChildren: number;
  ephemeralOwner: bigint;
}

/**
 * The tree as prepare sees it: the applied tree plus the changes of the ops
 * already prepared in the same multi, so a multi can create a node and then
 * set its data. Like ZooKeeper's outstanding change records, but scoped to
 * one request, since every txn is applied before the next request is prepared.
 */
export class ChangeView {
  private readonly changes = new Map<string, NodeRecord | null>();

  constructor(private readonly tree: DataTree) {}

  get(path: string): NodeRecord | null {
    const changed = this.changes.get(path);
    if (changed !== undefined) return changed;
    const node = this.tree.get(path);
    if (!node) return null;
    return {
      acl: node.acl,
      version: node.version,
      aversion: node.aversion,
      cversion: node.cversion,
      numChildren: node.numChildren,
      ephemeralOwner: node.ephemeralOwner,
    };
  }

  set(path: string, record: NodeRecord | null): void {
    this.changes.set(path, record);
    // The root is keyed twice, as in the tree.
    if (path === '/' || path === '') this.changes.set(path === '/' ? '' : '/', record);
  }
}
