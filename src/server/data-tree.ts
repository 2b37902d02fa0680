import { EventType, type EventTypeValue } from '../jute/enums.js';
import type { ACL } from '../jute/records/acl.js';
import type { Stat } from '../jute/records/stat.js';
import type { JuteWriter } from '../jute/writer.js';
import { AclInterner } from './acl-interner.js';
import { DataNode } from './data-node.js';
import { javaHashSetCloneOrder } from './java-hash-order.js';
import { OwnerIndex } from './owner-index.js';
import { QuotaTracker } from './quota-tracker.js';
import { childName, parentKeyToPath, parentPath } from './tree-keys.js';
import { EphemeralOwner, type Txn, type TxnHeader } from './txn.js';

export { DataNode } from './data-node.js';
export { parentPath } from './tree-keys.js';

/** A watch to fire: the path and the event type. */
export interface Trigger {
  path: string;
  type: EventTypeValue;
  /** The ACL a watcher needs READ on to receive it: the node's, or the parent's for child events. */
  acl: ACL[];
}

/**
 * A node's {@link Stat} as it was right after an op, held as numbers: a
 * write's reply encodes it with {@link write} without the three bigint zxids
 * a Stat record holds, which are made only when read (a multi's results).
 */
export class AppliedStat implements Stat {
  readonly ctime: number;
  readonly mtime: number;
  readonly version: number;
  readonly cversion: number;
  readonly aversion: number;
  readonly ephemeralOwner: bigint;
  readonly dataLength: number;
  readonly numChildren: number;
  private readonly czxidNumber: number;
  private readonly mzxidNumber: number;
  private readonly pzxidNumber: number;

  constructor(node: DataNode) {
    // The fields of DataNode.stat(), in the same order.
    const numChildren = node.numChildren;
    this.czxidNumber = node.czxid;
    this.mzxidNumber = node.mzxid;
    this.ctime = node.ctime;
    this.mtime = node.mtime;
    this.version = node.version;
    this.cversion = node.cversion * 2 - numChildren;
    this.aversion = node.aversion;
    this.ephemeralOwner = EphemeralOwner.isSession(node.ephemeralOwner) ? node.ephemeralOwner : 0n;
    this.dataLength = node.dataLength;
    this.numChildren = numChildren;
    this.pzxidNumber = node.pzxid;
  }

  get czxid(): bigint {
    return BigInt(this.czxidNumber);
  }

  get mzxid(): bigint {
    return BigInt(this.mzxidNumber);
  }

  get pzxid(): bigint {
    return BigInt(this.pzxidNumber);
  }

  /** Writes the Stat in its wire layout (StatCodec's). */
  write(w: JuteWriter): void {
    w.longNumber(this.czxidNumber).longNumber(this.mzxidNumber).longNumber(this.ctime).longNumber(this.mtime);
    w.int(this.version).int(this.cversion).int(this.aversion).long(this.ephemeralOwner);
    w.int(this.dataLength).int(this.numChildren).longNumber(this.pzxidNumber);
  }
}

/** What applying one txn produced, for the reply. Stats are taken right after that op. */
export type ApplyResult =
  | { type: 'create'; path: string; stat: AppliedStat }
  | { type: 'setData' | 'setACL'; stat: AppliedStat }
  | { type: 'delete' | 'check' | 'session' }
  | { type: 'error'; err: number }
  | { type: 'multi'; results: ApplyResult[] };

const OPEN_ACL: ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const READ_ACL: ACL[] = [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }];

/**
 * The in-memory tree of znodes, and the apply stage of the pipeline: it
 * consumes a prepared {@link Txn} with its header, mutates the tree, and
 * passes on the per-op results (for the reply) and the watch triggers (for
 * the watch manager). It never validates: prepare already has.
 *
 * The node record is in data-node.ts, the indexes by owner (ephemerals,
 * containers, TTL nodes) in owner-index.ts, the quota bookkeeping in
 * quota-tracker.ts.
 */
export class DataTree {
  private readonly nodes = new Map<string, DataNode>();
  private readonly owners = new OwnerIndex();
  private readonly quotas = new QuotaTracker(this);
  /** Equal ACL lists are stored once. */
  private readonly acls = new AclInterner();
  /**
   * Called before apply changes a node's fields in place, so a snapshot being
   * written in slices can keep the node as it was when the snapshot began.
   */
  beforeChange: ((node: DataNode) => void) | null = null;
  /** Called before apply deletes a node, for the same reason as {@link beforeChange}. */
  beforeDelete: ((path: string, node: DataNode) => void) | null = null;
  /** The parent of the last node restored, and its key (see restoreInterned). */
  private restoreParent: DataNode | null = null;
  private restoreParentKey = '';
  /** Zxid of the last txn applied. */
  lastZxid = 0n;

  constructor() {
    // Built directly, not through create txns, so like ZooKeeper the root shows cversion -1.
    const root = this.newNode(Buffer.alloc(0), OPEN_ACL, 0n, 0, 0n);
    // ZooKeeper keys the root under both "" and "/": the parent of "/a" is "", and node counts include both.
    this.nodes.set('', root);
    this.nodes.set('/', root);
    for (const path of ['/zookeeper', '/zookeeper/quota']) {
      this.attach(path, this.newNode(Buffer.alloc(0), OPEN_ACL, 0n, 0, 0n));
    }
    const config = this.newNode(Buffer.alloc(0), READ_ACL, 0n, 0, 0n);
    // ZooKeeper restricts the config node with a setACL(version -1), which leaves aversion at -1.
    config.aversion = -1;
    this.attach('/zookeeper/config', config);
  }

  private newNode(data: Buffer | null, acl: ACL[], zxid: bigint, time: number, owner: bigint): DataNode {
    const z = Number(zxid);
    return new DataNode(data, acl, z, z, time, time, 0, 0, 0, owner === 0n ? EphemeralOwner.none : owner, z);
  }

  private attach(path: string, node: DataNode): void {
    const parent = this.nodes.get(parentPath(path))!;
    (parent.children ??= new Set()).add(childName(path));
    this.nodes.set(path, node);
  }

  /**
   * Puts a node back as a snapshot recorded it. Parents come before their
   * children in a snapshot, so the parent is always there already. A path
   * given twice (a snapshot may repeat a node deleted while it was written)
   * keeps the later record.
   */
  restore(path: string, node: DataNode): void {
    node.acl = this.acls.intern(node.acl);
    this.restoreInterned(path, node);
  }

  /** The shared copy of an ACL list equal to `acl` (see {@link AclInterner}). */
  internAcl(acl: ACL[]): ACL[] {
    return this.acls.intern(acl);
  }

  /** {@link restore} for a node whose ACL list came from {@link internAcl}: a million-node load skips a key per node. */
  restoreInterned(path: string, node: DataNode): void {
    const existing = this.nodes.get(path);
    if (existing !== undefined) {
      // The built-in nodes exist from the start; keep their children, take the recorded state.
      node.children = existing.children;
      this.nodes.set(path, node);
      if (path === '/') this.nodes.set('', node);
      this.restoreParent = null;
    } else {
      const slash = path.lastIndexOf('/');
      // Siblings come together in a snapshot: one parent lookup serves them all, without slicing its key each time.
      let parent = this.restoreParent;
      const key = this.restoreParentKey;
      if (parent === null || slash !== key.length || !path.startsWith(key)) {
        this.restoreParentKey = path.slice(0, slash);
        parent = this.restoreParent = this.nodes.get(this.restoreParentKey)!;
      }
      (parent.children ??= new Set()).add(path.slice(slash + 1));
      this.nodes.set(path, node);
    }
    this.quotas.restored(path);
    this.owners.add(path, node.ephemeralOwner);
  }

  get(path: string): DataNode | undefined {
    return this.nodes.get(path);
  }

  get nodeCount(): number {
    return this.nodes.size;
  }

  /** Every path and node, the root once (under "/"). */
  *entries(): IterableIterator<[string, DataNode]> {
    for (const entry of this.nodes) if (entry[0] !== '') yield entry;
  }

  /** Sum of path lengths and data sizes, as ZooKeeper's approximate data size. */
  approximateDataSize(): number {
    let size = 0;
    for (const [path, node] of this.nodes) size += path.length + node.dataLength;
    return size;
  }

  /** Paths of container nodes, for the {@link ContainerCollector}. */
  get containers(): ReadonlySet<string> {
    return this.owners.containers;
  }

  /** Paths of TTL nodes, for the {@link ContainerCollector}. */
  get ttls(): ReadonlySet<string> {
    return this.owners.ttls;
  }

  /** The ephemeral paths a session owns (empty for none). */
  ephemeralsOf(sessionId: bigint): ReadonlySet<string> {
    return this.owners.ephemeralsOf(sessionId);
  }

  /** Number of ephemeral nodes, all sessions together. */
  ephemeralCount(): number {
    return this.owners.ephemeralCount();
  }

  /** Every ephemeral path by session, for `dump`. */
  allEphemerals(): ReadonlyMap<bigint, ReadonlySet<string>> {
    return this.owners.allEphemerals();
  }

  /** Number of descendants of a node (getAllChildrenNumber). */
  descendantCount(path: string): number {
    // ZooKeeper counts map keys under the path, so the root's count leaves out its two keys.
    if (path === '/') return this.nodes.size - 2;
    if (path === '') return this.nodes.size - 1;
    const node = this.nodes.get(path);
    if (!node?.children) return 0;
    let n = 0;
    const prefix = path === '/' ? '/' : path + '/';
    for (const name of node.children) n += 1 + this.descendantCount(prefix + name);
    return n;
  }

  /**
   * Applies a txn. `triggers` collects the watches to fire, in order.
   * The caller must have validated the txn against the current tree.
   */
  apply(header: TxnHeader, txn: Txn, triggers: Trigger[]): ApplyResult {
    const result = this.applyOne(header, txn, triggers);
    if (header.zxid > this.lastZxid) this.lastZxid = header.zxid;
    return result;
  }

  private applyOne(header: TxnHeader, txn: Txn, triggers: Trigger[]): ApplyResult {
    switch (txn.type) {
      case 'create':
        return this.create(header, txn, triggers);
      case 'delete':
        this.delete(txn.path, header.zxid, triggers);
        return { type: 'delete' };
      case 'setData': {
        const node = this.nodes.get(txn.path)!;
        const bytesDiff = (txn.data?.length ?? 0) - node.dataLength;
        this.beforeChange?.(node);
        node.data = txn.data;
        this.quotas.resized(txn.path, bytesDiff);
        node.version = txn.version;
        node.mzxid = Number(header.zxid);
        node.mtime = header.time;
        triggers.push({ path: txn.path, type: EventType.nodeDataChanged, acl: node.acl });
        return { type: 'setData', stat: new AppliedStat(node) };
      }
      case 'setACL': {
        const node = this.nodes.get(txn.path)!;
        this.beforeChange?.(node);
        node.acl = this.acls.intern(txn.acl);
        node.aversion = txn.version;
        return { type: 'setACL', stat: new AppliedStat(node) };
      }
      case 'check':
        return { type: 'check' };
      case 'error':
        return { type: 'error', err: txn.err };
      case 'multi':
        return { type: 'multi', results: txn.txns.map((t) => this.applyOne(header, t, triggers)) };
      case 'createSession':
        return { type: 'session' };
      case 'closeSession':
        // In ZooKeeper's order (its HashSet's), which clients see in the NodeDeleted events;
        // a function of the paths and their creation order, so replicas and replays agree.
        for (const path of javaHashSetCloneOrder(this.ephemeralsOf(txn.sessionId))) {
          if (this.nodes.has(path)) this.delete(path, header.zxid, triggers);
        }
        this.owners.dropSession(txn.sessionId);
        return { type: 'session' };
    }
  }

  private create(header: TxnHeader, txn: Extract<Txn, { type: 'create' }>, triggers: Trigger[]): ApplyResult {
    const parent = this.nodes.get(parentPath(txn.path))!;
    const node = this.newNode(txn.data, this.acls.intern(txn.acl), header.zxid, header.time, txn.ephemeralOwner);
    this.attach(txn.path, node);
    this.beforeChange?.(parent);
    parent.cversion = txn.parentCVersion;
    parent.pzxid = Number(header.zxid);
    this.owners.add(txn.path, node.ephemeralOwner);
    this.quotas.created(txn.path, txn.data?.length ?? 0);
    triggers.push({ path: txn.path, type: EventType.nodeCreated, acl: node.acl });
    triggers.push({ path: parentKeyToPath(parentPath(txn.path)), type: EventType.nodeChildrenChanged, acl: parent.acl });
    return { type: 'create', path: txn.path, stat: new AppliedStat(node) };
  }

  private delete(path: string, zxid: bigint, triggers: Trigger[]): void {
    const node = this.nodes.get(path)!;
    const parent = this.nodes.get(parentPath(path))!;
    this.beforeDelete?.(path, node);
    this.nodes.delete(path);
    this.restoreParent = null;
    parent.children?.delete(childName(path));
    this.beforeChange?.(parent);
    if (zxid > parent.pzxid) parent.pzxid = Number(zxid);
    this.owners.remove(path, node.ephemeralOwner);
    this.quotas.deleted(path, node.dataLength);
    triggers.push({ path, type: EventType.nodeDeleted, acl: node.acl });
    triggers.push({ path: parentKeyToPath(parentPath(path)), type: EventType.nodeChildrenChanged, acl: parent.acl });
  }
}
