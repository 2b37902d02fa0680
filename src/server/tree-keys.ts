/**
 * How the data tree keys its nodes, as ZooKeeper's DataTree does: a node's
 * key is its path, and the root is also keyed "" (the parent key of "/a").
 */

/** The parent key of a path as ZooKeeper computes it: "" for children of the root. */
export function parentPath(path: string): string {
  return path.slice(0, path.lastIndexOf('/'));
}

/** The last component of a path (its name among its parent's children). */
export function childName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** The path a watch on a parent key is set on: "/" for the "" key. */
export function parentKeyToPath(key: string): string {
  return key === '' ? '/' : key;
}
