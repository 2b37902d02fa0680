import { cp, mkdir, mkdtemp, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { writeFileDurably } from '../../../base/durable-fs.js';
import { DataNode, DataTree } from '../../data-tree.js';
import { createLogger } from '../../logger.js';
import { EphemeralOwner } from '../../txn.js';
import { recover } from '../recovery.js';
import { serializeSnapshot, writeSnapshot } from '../snapshot.js';
import { encodeZkSnapshot, zkSnapshotName, type ZkSnapshotNode } from './zk-snapshot.js';
import { recoverZooKeeper, type ZkRecoverOptions } from './zk-recover.js';
import type { ZkTree } from './zk-tree.js';

/**
 * `herd import-zk` and `herd export-zk`: ZooKeeper's data directory to a
 * Herd data directory and back. Both read their source without writing to
 * it, build the whole result in a temporary directory next to the target,
 * and rename it into place only when it is complete, so a failure leaves no
 * target behind.
 */

export interface ImportZooKeeperOptions {
  /** ZooKeeper's dataDir (or its version-2 directory). */
  from: string;
  /** ZooKeeper's dataLogDir, when the logs are not in `from`. */
  logDir?: string;
  /** The Herd data directory to create (absent or empty). */
  dataDir: string;
  /** A torn log record ends its file, as in ZooKeeper, instead of failing the import. */
  allowTornLog?: boolean;
  /** With no snapshot at all, replay the logs from an empty tree (see {@link ZkRecoverOptions.trustEmptySnapshot}). */
  trustEmptySnapshot?: boolean;
  warn?: (message: string) => void;
}

export interface ImportZooKeeperResult {
  snapshot: string | null;
  snapshotZxid: bigint;
  txnsReplayed: number;
  lastZxid: bigint;
  /** Znodes written, the root and /zookeeper's included. */
  nodes: number;
  sessions: number;
  /** The Herd snapshot written. */
  written: string;
}

/** Fails unless `dir` is absent or an empty directory. */
async function assertEmptyTarget(dir: string, flag: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR') throw new Error(`${flag} ${dir} is a file, not a directory`);
    throw err;
  }
  if (names.length > 0) throw new Error(`${flag} ${dir} is not empty (${names.length} entries): give a new or empty directory`);
}

/** Builds `target` through `build(tmp)` in a sibling temp dir, then renames it into place. */
async function buildInPlace(target: string, build: (tmp: string) => Promise<void>): Promise<void> {
  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  const tmp = await mkdtemp(join(parent, `.${basename(target)}.tmp-`));
  try {
    await build(tmp);
    // An empty target directory is replaced; assertEmptyTarget already refused a non-empty one.
    await rmdir(target).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

function toDataTree(zk: ZkTree): DataTree {
  const tree = new DataTree();
  // Map order is insertion order: a snapshot's parents-first order, then creates in log order.
  for (const [path, n] of zk.nodes) {
    for (const [name, z] of [['czxid', n.czxid], ['mzxid', n.mzxid], ['pzxid', n.pzxid]] as const) {
      if (z > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${path || '/'}: ${name} 0x${z.toString(16)} is beyond what Herd stores (2^53)`);
    }
    const owner = n.ephemeralOwner === 0n ? EphemeralOwner.none : n.ephemeralOwner;
    const node = new DataNode(n.data, n.acl, Number(n.czxid), Number(n.mzxid), n.ctime, n.mtime, n.version, n.cversion, n.aversion, owner, Number(n.pzxid));
    tree.restore(path === '' ? '/' : path, node);
  }
  return tree;
}

/** Reads ZooKeeper's files as ZooKeeper recovers them and writes a Herd data directory holding one snapshot of the result. */
export async function importZooKeeper(options: ImportZooKeeperOptions): Promise<ImportZooKeeperResult> {
  const target = resolve(options.dataDir);
  await assertEmptyTarget(target, '--data-dir');
  const recovered = await recoverZooKeeper({
    snapDir: options.from,
    ...(options.logDir !== undefined ? { logDir: options.logDir } : {}),
    allowTornLog: options.allowTornLog === true,
    trustEmptySnapshot: options.trustEmptySnapshot === true,
    ...(options.warn ? { warn: options.warn } : {}),
  });
  if (recovered.lastZxid > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`last zxid 0x${recovered.lastZxid.toString(16)} is beyond what Herd stores (2^53)`);
  const tree = toDataTree(recovered.tree);
  tree.lastZxid = recovered.lastZxid;
  const sessions = [...recovered.sessions].map(([id, timeout]) => ({ id, timeout }));
  const chunks = await serializeSnapshot(tree, recovered.lastZxid, sessions);
  let written = '';
  await buildInPlace(target, async (tmp) => {
    written = basename(await writeSnapshot(tmp, recovered.lastZxid, chunks, true));
  });
  return {
    snapshot: recovered.snapshot,
    snapshotZxid: recovered.snapshotZxid,
    txnsReplayed: recovered.txnsReplayed,
    lastZxid: recovered.lastZxid,
    nodes: recovered.tree.nodes.size,
    sessions: sessions.length,
    written: join(target, written),
  };
}

export interface ExportZooKeeperOptions {
  /** The Herd data directory to read (its server stopped). */
  dataDir: string;
  /** ZooKeeper's dataDir to create (absent or empty); the snapshot goes to `<to>/version-2/`. */
  to: string;
}

export interface ExportZooKeeperResult {
  /** The ZooKeeper snapshot written. */
  snapshot: string;
  zxid: bigint;
  nodes: number;
  sessions: number;
}

/** The tree in ZooKeeper's snapshot order (parents first, the root as ""). */
function zkNodes(tree: DataTree): ZkSnapshotNode[] {
  const out: ZkSnapshotNode[] = [];
  const stack = ['/'];
  while (stack.length > 0) {
    const path = stack.pop()!;
    const n = tree.get(path)!;
    out.push({
      path: path === '/' ? '' : path,
      data: n.data,
      acl: n.acl,
      czxid: BigInt(n.czxid),
      mzxid: BigInt(n.mzxid),
      ctime: n.ctime,
      mtime: n.mtime,
      version: n.version,
      cversion: n.cversion,
      aversion: n.aversion,
      ephemeralOwner: n.ephemeralOwner,
      pzxid: BigInt(n.pzxid),
    });
    const prefix = path === '/' ? '/' : `${path}/`;
    for (const name of n.children ?? []) stack.push(prefix + name);
  }
  return out;
}

/**
 * Reads a Herd data directory as the server recovers it (on a private copy,
 * so a torn log tail the server would cut is cut there, not in the source)
 * and writes a ZooKeeper dataDir with one snapshot of it.
 */
export async function exportZooKeeper(options: ExportZooKeeperOptions): Promise<ExportZooKeeperResult> {
  const source = resolve(options.dataDir);
  const target = resolve(options.to);
  await assertEmptyTarget(target, '--to');
  const entries = await readdir(source);
  if (!entries.some((name) => name.startsWith('snapshot.') || name.startsWith('log.'))) {
    throw new Error(`--data-dir ${source} holds no Herd snapshot or log`);
  }
  const copy = await mkdtemp(join(tmpdir(), 'herd-export-'));
  try {
    await cp(source, copy, { recursive: true });
    const recovered = await recover(copy, createLogger('silent'));
    const nodes = zkNodes(recovered.tree);
    const zxid = recovered.tree.lastZxid;
    const bytes = encodeZkSnapshot(nodes, recovered.sessions);
    const name = zkSnapshotName(zxid);
    await buildInPlace(target, async (tmp) => {
      await mkdir(join(tmp, 'version-2'));
      await writeFileDurably(join(tmp, 'version-2', name), bytes);
    });
    return { snapshot: join(target, 'version-2', name), zxid, nodes: nodes.length, sessions: recovered.sessions.size };
  } finally {
    await rm(copy, { recursive: true, force: true });
  }
}
