import { OpCode } from '../../../jute/op-codes.js';
import type { ACL } from '../../../jute/records/acl.js';
import type { StatPersisted } from '../../../jute/records/stat.js';
import { EphemeralOwner } from '../../txn.js';
import type { ZkTxn, ZkTxnHeader } from './records.js';
import { ZkQuotas } from './zk-quota.js';

/**
 * ZooKeeper's DataTree as its snapshots store it and as its restore replays
 * transactions onto it: nodes keyed by path with the root under "", each
 * with its StatPersisted (cversion counts child creates, as ZooKeeper keeps
 * it). Replay follows ZooKeeper's DataTree.processTxn, including its rules
 * for fuzzy snapshots: a txn already reflected in the snapshot fails
 * (NodeExists, NoNode) and is skipped, a create or delete never moves a
 * parent's cversion or pzxid backwards, and a plain create that finds its
 * node present still raises the parent's cversion and pzxid.
 */

/**
 * A znode as ZooKeeper's DataTree holds it: its StatPersisted (cversion
 * counts child creates, as ZooKeeper persists it, and clients see it
 * doubled minus the children; ephemeralOwner is a session id or the
 * container/TTL encodings of {@link EphemeralOwner}), data, ACL, children.
 */
export interface ZkNode extends StatPersisted {
  data: Buffer | null;
  acl: ACL[];
  children: Set<string>;
}

/** KeeperException codes replay can meet. */
const NONODE = -101;
const NODEEXISTS = -110;
const RUNTIMEINCONSISTENCY = -2;

export class ZkTree {
  readonly nodes = new Map<string, ZkNode>();
  /** Ephemeral paths by owning session (ZooKeeper's `ephemerals`). */
  private readonly ephemerals = new Map<bigint, Set<string>>();
  /** The zxid of the last txn applied, or of the snapshot. */
  lastZxid = 0n;
  /** The quota stats, kept as ZooKeeper keeps them while it replays. */
  private readonly quotas = new ZkQuotas(this.nodes);

  /**
   * Recounts every quota's stats node from the tree, as ZooKeeper does once
   * it has loaded a snapshot (DataTree.setupQuota), before any log replay.
   */
  setupQuotas(): void {
    this.quotas.setup();
  }

  /**
   * The tree ZooKeeper's DataTree starts with before any snapshot: the root,
   * /zookeeper, /zookeeper/quota, and /zookeeper/config readable by anyone
   * (set by a setACL with version -1, which leaves its aversion at -1).
   */
  static initial(): ZkTree {
    const tree = new ZkTree();
    const open: ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
    const read: ACL[] = [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }];
    const empty = (acl: ACL[], aversion = 0): ZkNode => ({
      data: Buffer.alloc(0),
      acl,
      czxid: 0n,
      mzxid: 0n,
      ctime: 0,
      mtime: 0,
      version: 0,
      cversion: 0,
      aversion,
      ephemeralOwner: 0n,
      pzxid: 0n,
      children: new Set(),
    });
    tree.load('', empty(open));
    tree.load('/zookeeper', empty(open));
    tree.load('/zookeeper/quota', empty(open));
    tree.load('/zookeeper/config', empty(read, -1));
    return tree;
  }

  /** Adds a node read from a snapshot; its parent must already be there. Returns false when it is not. */
  load(path: string, node: ZkNode): boolean {
    const slash = path.lastIndexOf('/');
    if (slash !== -1) {
      const parent = this.nodes.get(path.slice(0, slash));
      if (!parent) return false;
      parent.children.add(path.slice(slash + 1));
    }
    this.nodes.set(path, node);
    this.track(path, node.ephemeralOwner);
    return true;
  }

  private track(path: string, owner: bigint): void {
    if (!EphemeralOwner.isSession(owner)) return;
    let set = this.ephemerals.get(owner);
    if (!set) this.ephemerals.set(owner, (set = new Set()));
    set.add(path);
  }

  /** Applies a logged txn as ZooKeeper's restore does; failures of already-reflected txns are ignored. */
  apply(header: ZkTxnHeader, txn: ZkTxn): void {
    this.process(header.type, header, txn);
    if (header.zxid > this.lastZxid) this.lastZxid = header.zxid;
  }

  /** Returns the KeeperException code of the op (0 for OK). */
  private process(op: number, header: ZkTxnHeader, txn: ZkTxn): number {
    const err = this.processOne(header, txn);
    // A plain create that finds its node (re-created by another session after the snapshot
    // saw the parent) still carries the parent's newer cversion and pzxid.
    if (op === OpCode.create && err === NODEEXISTS && txn.type === 'create') {
      const parent = this.nodes.get(parentOf(txn.path));
      if (!parent) return NONODE;
      this.raiseCversion(parent, txn.parentCVersion, header.zxid);
    }
    return err;
  }

  private processOne(header: ZkTxnHeader, txn: ZkTxn): number {
    switch (txn.type) {
      case 'create':
        return this.create(txn.path, txn.data, txn.acl, txn.ephemeral ? header.clientId : 0n, txn.parentCVersion, header);
      case 'createContainer':
        return this.create(txn.path, txn.data, txn.acl, EphemeralOwner.container, txn.parentCVersion, header);
      case 'createTTL':
        return this.create(txn.path, txn.data, txn.acl, EphemeralOwner.ttlMask | txn.ttl, txn.parentCVersion, header);
      case 'delete':
        return this.delete(txn.path, header.zxid);
      case 'setData': {
        const node = this.nodes.get(txn.path);
        if (!node) return NONODE;
        const bytesDiff = (txn.data?.length ?? 0) - (node.data?.length ?? 0);
        node.data = txn.data;
        this.quotas.resized(txn.path, bytesDiff);
        node.version = txn.version;
        node.mzxid = header.zxid;
        node.mtime = header.time;
        return 0;
      }
      case 'setACL': {
        const node = this.nodes.get(txn.path);
        if (!node) return NONODE;
        node.acl = txn.acl;
        node.aversion = txn.version;
        return 0;
      }
      case 'closeSession': {
        const local = this.ephemerals.get(header.clientId);
        this.ephemerals.delete(header.clientId);
        const paths = new Set([...(txn.paths ?? []), ...(local ?? [])]);
        for (const path of paths) this.delete(path, header.zxid);
        return 0;
      }
      case 'createSession':
      case 'check':
        return 0;
      case 'error':
        return txn.err;
      case 'multi': {
        // A failed multi is logged with an error txn among its sub-txns; none of its ops apply.
        const failed = txn.txns.some((t) => t.op === OpCode.error);
        let rc = 0;
        let afterError = false;
        for (const sub of txn.txns) {
          let err: number;
          if (sub.op === OpCode.error) {
            afterError = true;
            err = sub.txn.type === 'error' ? sub.txn.err : 0;
          } else if (failed) {
            err = afterError ? RUNTIMEINCONSISTENCY : 0;
          } else {
            err = this.process(sub.op, { ...header, type: sub.op }, sub.txn);
          }
          if (err !== 0 && rc === 0) rc = err;
        }
        return rc;
      }
    }
  }

  private create(path: string, data: Buffer | null, acl: ACL[], owner: bigint, parentCVersion: number, header: ZkTxnHeader): number {
    const parent = this.nodes.get(parentOf(path));
    if (!parent) return NONODE;
    const existing = this.nodes.get(path);
    if (existing) {
      // ZooKeeper sets the ACL of the node it finds before failing with NodeExists.
      existing.acl = acl;
      return NODEEXISTS;
    }
    this.raiseCversion(parent, parentCVersion, header.zxid);
    parent.children.add(path.slice(path.lastIndexOf('/') + 1));
    const z = header.zxid;
    this.nodes.set(path, {
      data,
      acl,
      czxid: z,
      mzxid: z,
      ctime: header.time,
      mtime: header.time,
      version: 0,
      cversion: 0,
      aversion: 0,
      ephemeralOwner: owner,
      pzxid: z,
      children: new Set(),
    });
    this.track(path, owner);
    this.quotas.created(path, data);
    return 0;
  }

  /**
   * Deletes the ephemerals of sessions not in `sessions`, as ZooKeeper does
   * right after loading its database (ZooKeeperServer.loadData), at the last
   * zxid and without a txn.
   */
  killDeadSessions(sessions: ReadonlyMap<bigint, number>, zxid: bigint): void {
    for (const [owner, paths] of [...this.ephemerals]) {
      if (sessions.has(owner)) continue;
      this.ephemerals.delete(owner);
      for (const path of paths) this.delete(path, zxid);
    }
  }

  /** -1 means "one more than now" (logs from before parentCVersion was logged); never lowers it. */
  private raiseCversion(parent: ZkNode, parentCVersion: number, zxid: bigint): void {
    const next = parentCVersion === -1 ? parent.cversion + 1 : parentCVersion;
    if (next > parent.cversion) {
      parent.cversion = next;
      parent.pzxid = zxid;
    }
  }

  private delete(path: string, zxid: bigint): number {
    const parent = this.nodes.get(parentOf(path));
    if (!parent) return NONODE;
    // The parent's pzxid moves even when the child is already gone (deleted inside the fuzzy window).
    parent.children.delete(path.slice(path.lastIndexOf('/') + 1));
    if (zxid > parent.pzxid) parent.pzxid = zxid;
    const node = this.nodes.get(path);
    if (!node) return NONODE;
    this.nodes.delete(path);
    if (EphemeralOwner.isSession(node.ephemeralOwner)) this.ephemerals.get(node.ephemeralOwner)?.delete(path);
    this.quotas.deleted(path, node.data);
    return 0;
  }
}

/** ZooKeeper's parent key: "" for children of the root. */
function parentOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/'));
}
