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
 *
 * Only a multi has later ops that read what an earlier op changed, so only a
 * view that {@link record}s keeps changes: a single write (one view per
 * request, on the hot path of every write) then costs no map and no record
 * copies, and {@link get} hands out the tree's own node, read-only.
 */
export class ChangeView {
  private changes: Map<string, Readonly<NodeRecord> | null> | null = null;
  private recordingChanges = false;

  constructor(private readonly tree: DataTree) {}

  /** Keeps every change {@link set} from now on, so later gets see it (a multi's ops). */
  record(): void {
    this.recordingChanges = true;
  }

  /** Whether {@link set} keeps changes; a handler builds the changed record only then. */
  get recording(): boolean {
    return this.recordingChanges;
  }

  /** The node at `path` as the ops prepared so far left it, or null when there is none. Never to be modified. */
  get(path: string): Readonly<NodeRecord> | null {
    if (this.changes !== null) {
      const changed = this.changes.get(path);
      if (changed !== undefined) return changed;
    }
    return this.tree.get(path) ?? null;
  }

  /** Records the node at `path` after an op (null: deleted); ignored unless {@link recording}. */
  set(path: string, record: Readonly<NodeRecord> | null): void {
    if (!this.recordingChanges) return;
    const changes = (this.changes ??= new Map());
    changes.set(path, record);
    // The root is keyed twice, as in the tree.
    if (path === '/' || path === '') changes.set(path === '/' ? '' : '/', record);
  }
}

/**
 * `node` with `patch` applied, as a new record. Fields are copied by name:
 * `node` may be a tree node, whose `numChildren` is a getter that a spread
 * would drop.
 */
export function changedRecord(node: Readonly<NodeRecord>, patch: Partial<NodeRecord>): NodeRecord {
  return {
    acl: node.acl,
    version: node.version,
    aversion: node.aversion,
    cversion: node.cversion,
    numChildren: node.numChildren,
    ephemeralOwner: node.ephemeralOwner,
    ...patch,
  };
}
