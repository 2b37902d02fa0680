/**
 * Znode path rules shared by the client, the server and every layer above:
 * one copy of each (docs/conventions.md, section 8).
 */

/** The root znode. */
export const ROOT_PATH = '/';

/** `parent/child`, without doubling the root's '/'. */
export function joinPath(parent: string, child: string): string {
  return parent === ROOT_PATH ? `/${child}` : `${parent}/${child}`;
}

/**
 * The parent of an absolute path: everything before its last '/', with '/'
 * for a top-level node and for '/' itself.
 */
export function parentPath(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? ROOT_PATH : path.slice(0, slash);
}

/** The last segment of a path ('' for '/'; the whole string when it has no '/'). */
export function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** The ancestors of a path and the path itself, top-down: `/a/b` → `/a`, `/a/b`. */
export function pathPrefixes(path: string): string[] {
  const out: string[] = [];
  for (let i = path.indexOf('/', 1); i > 0; i = path.indexOf('/', i + 1)) out.push(path.slice(0, i));
  if (path !== ROOT_PATH) out.push(path);
  return out;
}
