import { EventType, type EventTypeValue } from '../jute/enums.js';
import type { ACL } from '../jute/records/acl.js';
import type { Stat } from '../jute/records/stat.js';
import { AclInterner } from './acl-interner.js';
import { EphemeralOwner, type Txn, type TxnHeader } from './txn.js';
import { javaHashSetCloneOrder } from './java-hash-order.js';
import { QUOTA_LIMITS, QUOTA_ROOT, QUOTA_STATS, formatStatsTrack, parseStatsTrack } from './quota-stats.js';

/**
 * The in-memory tree of znodes, and the apply stage of the pipeline: it
 * consumes a prepared {@link Txn} with its header, mutates the tree, and
 * passes on the per-op results (for the reply) and the watch triggers (for
 * the watch manager). It never validates: prepare already has.
 */

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
}

/** A watch to fire: the path and the event type. */
export interface Trigger {
  path: string;
  type: EventTypeValue;
  /** The ACL a watcher needs READ on to receive it: the node's, or the parent's for child events. */
  acl: ACL[];
}

/** What applying one txn produced, for the reply. Stats are taken right after that op. */
export type ApplyResult =
  | { type: 'create'; path: string; stat: Stat }
  | { type: 'setData' | 'setACL'; stat: Stat }
  | { type: 'delete' | 'check' | 'session' }
  | { type: 'error'; err: number }
  | { type: 'multi'; results: ApplyResult[] };

const OPEN_ACL: ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const READ_ACL: ACL[] = [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }];

/** The parent key of a path as ZooKeeper computes it: "" for children of the root. */
export function parentPath(path: string): string {
  return path.slice(0, path.lastIndexOf('/'));
}

/** Watches are set on "/", never on the "" key. */
function parentKeyToPath(key: string): string {
  return key === '' ? '/' : key;
}

function childName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

// ZooKeeper's quota bookkeeping (org.apache.zookeeper.Quotas); the quota nodes' names and text are in quota-stats.ts.

/**
 * The real path a quota node's parent stands for, as ZooKeeper's path trie
 * sees it ("/zookeeper/quota/a/b" → "/a/b"), or null for the quota root.
 */
function quotaTarget(quotaParent: string): string | null {
  const parts = quotaParent.slice(QUOTA_ROOT.length).split('/').filter((p) => p.trim() !== '');
  return parts.length === 0 ? null : '/' + parts.join('/');
}

export class DataTree {
  private readonly nodes = new Map<string, DataNode>();
  /** Ephemeral paths by owning session. */
  private readonly ephemerals = new Map<bigint, Set<string>>();
  readonly containers = new Set<string>();
  readonly ttls = new Set<string>();
  /**
   * Paths with a quota, ZooKeeper's pTrie: added when a zookeeper_limits node
   * is created, removed with every path below it when one is deleted.
   */
  private readonly quotaPaths = new Set<string>();
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
    if (path.startsWith(QUOTA_ROOT) && childName(path) === QUOTA_LIMITS) {
      const target = quotaTarget(parentPath(path));
      if (target !== null) this.quotaPaths.add(target);
    }
    const owner = node.ephemeralOwner;
    if (owner === EphemeralOwner.none) return;
    if (EphemeralOwner.isContainer(owner)) this.containers.add(path);
    else if (EphemeralOwner.isTtl(owner)) this.ttls.add(path);
    else {
      let set = this.ephemerals.get(owner);
      if (!set) this.ephemerals.set(owner, (set = new Set()));
      set.add(path);
    }
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

  ephemeralsOf(sessionId: bigint): ReadonlySet<string> {
    return this.ephemerals.get(sessionId) ?? new Set();
  }

  ephemeralCount(): number {
    let n = 0;
    for (const set of this.ephemerals.values()) n += set.size;
    return n;
  }

  /** Every ephemeral path by session, for `dump`. */
  allEphemerals(): ReadonlyMap<bigint, ReadonlySet<string>> {
    return this.ephemerals;
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
        this.updateQuotaStat(txn.path, bytesDiff, 0);
        node.version = txn.version;
        node.mzxid = Number(header.zxid);
        node.mtime = header.time;
        triggers.push({ path: txn.path, type: EventType.nodeDataChanged, acl: node.acl });
        return { type: 'setData', stat: node.stat() };
      }
      case 'setACL': {
        const node = this.nodes.get(txn.path)!;
        this.beforeChange?.(node);
        node.acl = this.acls.intern(txn.acl);
        node.aversion = txn.version;
        return { type: 'setACL', stat: node.stat() };
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
        this.ephemerals.delete(txn.sessionId);
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
    const owner = txn.ephemeralOwner;
    if (EphemeralOwner.isContainer(owner)) this.containers.add(txn.path);
    else if (EphemeralOwner.isTtl(owner)) this.ttls.add(txn.path);
    else if (owner !== 0n) {
      let set = this.ephemerals.get(owner);
      if (!set) this.ephemerals.set(owner, (set = new Set()));
      set.add(txn.path);
    }
    const parentKey = parentPath(txn.path);
    if (parentKey.startsWith(QUOTA_ROOT)) {
      const target = quotaTarget(parentKey);
      const name = childName(txn.path);
      if (target !== null && name === QUOTA_LIMITS) this.quotaPaths.add(target);
      if (target !== null && name === QUOTA_STATS) this.recountQuota(target);
    }
    this.updateQuotaStat(txn.path, txn.data?.length ?? 0, 1);
    triggers.push({ path: txn.path, type: EventType.nodeCreated, acl: node.acl });
    triggers.push({ path: parentKeyToPath(parentKey), type: EventType.nodeChildrenChanged, acl: parent.acl });
    return { type: 'create', path: txn.path, stat: node.stat() };
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
    const owner = node.ephemeralOwner;
    if (EphemeralOwner.isContainer(owner)) this.containers.delete(path);
    else if (EphemeralOwner.isTtl(owner)) this.ttls.delete(path);
    else if (owner !== 0n) this.ephemerals.get(owner)?.delete(path);
    if (childName(path) === QUOTA_LIMITS && path.startsWith('/zookeeper/')) {
      const target = quotaTarget(parentPath(path));
      // ZooKeeper's PathTrie.deletePath drops the whole subtrie: quotas below go too.
      if (target !== null) {
        for (const q of this.quotaPaths) if (q === target || q.startsWith(target + '/')) this.quotaPaths.delete(q);
      }
    }
    this.updateQuotaStat(path, -node.dataLength, -1);
    triggers.push({ path, type: EventType.nodeDeleted, acl: node.acl });
    triggers.push({ path: parentKeyToPath(parentPath(path)), type: EventType.nodeChildrenChanged, acl: parent.acl });
  }

  /** The deepest path with a quota that is `path` or above it (ZooKeeper's getMaxPrefixWithQuota), if any. */
  private quotaPrefixOf(path: string): string | null {
    if (this.quotaPaths.size === 0) return null;
    for (let p = path; p.length > 0; p = parentPath(p)) {
      if (this.quotaPaths.has(p)) return p;
    }
    return null;
  }

  /**
   * A node under a quota changed: its zookeeper_stats node's count and bytes
   * move by the diffs. Like ZooKeeper, the stats node's data is replaced in
   * place (no new version or mzxid) and limits are not enforced.
   */
  private updateQuotaStat(path: string, bytesDiff: number, countDiff: number): void {
    const prefix = this.quotaPrefixOf(path);
    if (prefix === null) return;
    const statNode = this.nodes.get(`${QUOTA_ROOT}${prefix}/${QUOTA_STATS}`);
    if (!statNode) return;
    const stats = parseStatsTrack(statNode.data);
    stats.set('count', (stats.get('count') ?? -1) + countDiff);
    stats.set('bytes', (stats.get('bytes') ?? -1) + bytesDiff);
    this.beforeChange?.(statNode);
    statNode.data = formatStatsTrack(stats);
  }

  /** A zookeeper_stats node was created: it starts with the count and bytes of the whole subtree. */
  private recountQuota(target: string): void {
    const statNode = this.nodes.get(`${QUOTA_ROOT}${target}/${QUOTA_STATS}`);
    if (!statNode) return;
    let count = 0;
    let bytes = 0;
    const visit = (path: string): void => {
      const node = this.nodes.get(path);
      if (!node) return;
      count += 1;
      bytes += node.dataLength;
      if (node.children) for (const name of node.children) visit(path + '/' + name);
    };
    visit(target);
    this.beforeChange?.(statNode);
    statNode.data = formatStatsTrack(new Map([['count', count], ['bytes', bytes]]));
  }
}
