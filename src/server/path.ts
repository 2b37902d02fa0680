import { parentPath, ROOT_PATH } from '../base/path.js';

/**
 * The server's own znode path rules, as ZooKeeper 3.8 applies them; the
 * rules every layer shares (validation, parent, join) are in src/base/path.ts.
 *
 * ZooKeeper does not validate every path the same way: create and setData
 * run the full check (`invalidPathReason`), delete only splits the path at
 * its last '/' and rejects NUL and the special paths ({@link parentForDelete}),
 * and reads do no check at all (a malformed path simply is not in the tree).
 * The helpers here are pure so each pipeline stage can pick the check that
 * matches ZooKeeper's for its op.
 */

/** ZooKeeper's own subtree. */
export const ZOOKEEPER_PATH = '/zookeeper';
/** Parent of the quota nodes. */
export const QUOTA_PATH = '/zookeeper/quota';
/** Node holding the ensemble configuration (readable by anyone, ACL world:anyone READ). */
export const CONFIG_PATH = '/zookeeper/config';

const SPECIAL_PATHS: ReadonlySet<string> = new Set([ROOT_PATH, ZOOKEEPER_PATH, QUOTA_PATH, CONFIG_PATH]);

/**
 * Whether the path is one ZooKeeper owns and never lets a client delete:
 * '/', '/zookeeper', '/zookeeper/quota', '/zookeeper/config'. Exact match
 * only; their descendants (quota nodes, for instance) are ordinary nodes.
 */
export function isSpecialPath(path: string): boolean {
  return SPECIAL_PATHS.has(path);
}

/** Whether the path is '/zookeeper' or below it. */
export function isInZookeeperSubtree(path: string): boolean {
  return path === ZOOKEEPER_PATH || path.startsWith(`${ZOOKEEPER_PATH}/`);
}

/**
 * The cheap check create runs before ACL fixup and the parent lookup
 * (ZooKeeper validates the full path only after appending a sequence
 * suffix): the path must contain '/' and no NUL.
 *
 * @returns the parent path, or null for BadArguments.
 */
export function parentForCreate(path: string): string | null {
  if (path.includes('\0') || !path.includes('/')) return null;
  return parentPath(path);
}

/**
 * The only path check delete (and deleteContainer) does: the path must
 * contain '/', no NUL, and not be a special path. Other malformed paths
 * ('/a//b', '/a/') get through and end in NoNode.
 *
 * @returns the parent path, or null for BadArguments.
 */
export function parentForDelete(path: string): string | null {
  if (isSpecialPath(path)) return null;
  return parentForCreate(path);
}
