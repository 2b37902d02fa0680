/**
 * Znode path rules as ZooKeeper 3.8 applies them.
 *
 * ZooKeeper does not validate every path the same way: create and setData
 * run the full check ({@link validatePath}), delete only splits the path at
 * its last '/' and rejects NUL and the special paths ({@link parentForDelete}),
 * and reads do no check at all (a malformed path simply is not in the tree).
 * The helpers here are pure so each pipeline stage can pick the check that
 * matches ZooKeeper's for its op.
 */

/** The root znode. */
export const ROOT_PATH = '/';
/** ZooKeeper's own subtree. */
export const ZOOKEEPER_PATH = '/zookeeper';
/** Parent of the quota nodes. */
export const QUOTA_PATH = '/zookeeper/quota';
/** Node holding the ensemble configuration (readable by anyone, ACL world:anyone READ). */
export const CONFIG_PATH = '/zookeeper/config';

const SPECIAL_PATHS: ReadonlySet<string> = new Set([ROOT_PATH, ZOOKEEPER_PATH, QUOTA_PATH, CONFIG_PATH]);

/**
 * Validates a znode path the way ZooKeeper's `PathUtils.validatePath` does.
 *
 * Rules: starts with '/'; '/' alone is fine; no trailing '/'; no empty
 * segment; no segment that is exactly '.' or '..' (other dotted names such
 * as '...', '.a' or 'a..' are allowed); no NUL; no UTF-16 code unit in
 * U+0001–U+001F, U+007F–U+009F, U+D800–U+F8FF or U+FFF0–U+FFFF. The last
 * range covers surrogates, so any character outside the BMP (an emoji, say)
 * is rejected, exactly as in Java, which also sees the path as UTF-16.
 *
 * @returns null when the path is valid, else a reason (ZooKeeper's wording,
 * with the offending UTF-16 index after '@').
 */
export function validatePath(path: string): string | null {
  if (path.length === 0) return 'Path length must be > 0';
  if (path.charCodeAt(0) !== 0x2f) return 'Path must start with / character';
  if (path.length === 1) return null;
  if (path.charCodeAt(path.length - 1) === 0x2f) return 'Path must not end with / character';

  let reason: string | null = null;
  for (let i = 1; i < path.length; i++) {
    const c = path.charCodeAt(i);
    const prev = path.charCodeAt(i - 1);
    // A dot only makes a relative path when it fills its whole segment.
    const segmentEndsHere = i + 1 === path.length || path.charCodeAt(i + 1) === 0x2f;
    if (c === 0) {
      reason = `null character not allowed @${i}`;
    } else if (c === 0x2f && prev === 0x2f) {
      reason = `empty node name specified @${i}`;
    } else if (c === 0x2e && prev === 0x2e) {
      if (path.charCodeAt(i - 2) === 0x2f && segmentEndsHere) reason = `relative paths not allowed @${i}`;
    } else if (c === 0x2e) {
      if (prev === 0x2f && segmentEndsHere) reason = `relative paths not allowed @${i}`;
    } else if (isForbiddenCodeUnit(c)) {
      reason = `invalid character @${i}`;
    }
    if (reason !== null) return `Invalid path string "${path}" caused by ${reason}`;
  }
  return null;
}

function isForbiddenCodeUnit(c: number): boolean {
  return (
    (c >= 0x0001 && c <= 0x001f) ||
    (c >= 0x007f && c <= 0x009f) ||
    (c >= 0xd800 && c <= 0xf8ff) ||
    (c >= 0xfff0 && c <= 0xffff)
  );
}

/**
 * The parent of a path: everything before its last '/', with '/' for a
 * top-level node. Mirrors the split ZooKeeper does before full validation,
 * so `parentOf('/a/')` is '/a' (the sequential create of '/a/' relies on it)
 * and `parentOf('/')` is '/' (ZooKeeper maps the empty prefix to the root).
 *
 * @returns null when the path has no '/' at all.
 */
export function parentOf(path: string): string | null {
  const slash = path.lastIndexOf('/');
  if (slash === -1) return null;
  return slash === 0 ? ROOT_PATH : path.slice(0, slash);
}

/** The last segment of a path ('' for '/'; the whole string when it has no '/'). */
export function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Joins a parent path and a child name without doubling the root's '/'. */
export function joinPath(parent: string, child: string): string {
  return parent === ROOT_PATH ? `/${child}` : `${parent}/${child}`;
}

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
  if (path.includes('\0')) return null;
  return parentOf(path);
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
