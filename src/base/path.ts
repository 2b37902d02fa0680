/**
 * Znode path rules shared by the client, the server and every layer above:
 * one copy of each (docs/conventions.md, section 8).
 */

/** The root znode. */
export const ROOT_PATH = '/';

const SLASH = 0x2f;
const DOT = 0x2e;

/**
 * Why a znode path is invalid, by the rules of ZooKeeper 3.8's
 * `PathUtils.validatePath`, with ZooKeeper's wording (the offending UTF-16
 * index after '@'); undefined when the path is valid.
 *
 * Rules: starts with '/'; '/' alone is fine; no trailing '/'; no empty
 * segment; no segment that is exactly '.' or '..' (other dotted names such
 * as '...', '.a' or 'a..' are allowed); no NUL; no UTF-16 code unit in
 * U+0001–U+001F, U+007F–U+009F, U+D800–U+F8FF or U+FFF0–U+FFFF. The last
 * ranges cover surrogates, so any character outside the BMP (an emoji, say)
 * is rejected, exactly as in Java, which also sees the path as UTF-16.
 *
 * With `sequential`, the path is checked as ZooKeeper checks a sequential
 * create: as if the sequence suffix were already appended, so `/parent/`
 * (children named by their suffix alone) is valid.
 *
 * The client checks every path of every call: characters between '0' and
 * '~' (digits, letters, most punctuation), a single '/' and space to '-'
 * take the fast path.
 */
export function invalidPathReason(path: string, sequential = false): string | undefined {
  const length = path.length;
  if (length === 0) return 'Path length must be > 0';
  if (path.charCodeAt(0) !== SLASH) return 'Path must start with / character';
  if (length === 1) return undefined;
  if (!sequential && path.charCodeAt(length - 1) === SLASH) return 'Path must not end with / character';
  for (let i = 1; i < length; i++) {
    const c = path.charCodeAt(i);
    if (c > SLASH && c < 0x7f) continue;
    if (c === SLASH) {
      if (path.charCodeAt(i - 1) !== SLASH) continue;
    } else if (c >= 0x20 && c < SLASH && c !== DOT) {
      continue; // space to '-'
    }
    const reason = slowCharReason(path, i, c, sequential);
    if (reason !== undefined) return `Invalid path string "${path}" caused by ${reason} @${i}`;
  }
  return undefined;
}

/** The checks of the characters the fast path does not settle: '//', '.', controls and the forbidden ranges. */
function slowCharReason(path: string, i: number, c: number, sequential: boolean): string | undefined {
  if (c === 0) return 'null character not allowed';
  const prev = path.charCodeAt(i - 1);
  if (c === SLASH) return prev === SLASH ? 'empty node name specified' : undefined;
  if (c === DOT) {
    // A dot only makes a relative path when it fills its whole segment ('.' or '..');
    // a sequential create's suffix follows the last segment, so that one never ends here.
    const next = i + 1 === path.length ? (sequential ? -1 : SLASH) : path.charCodeAt(i + 1);
    if (next !== SLASH) return undefined;
    const relative = prev === SLASH || (prev === DOT && path.charCodeAt(i - 2) === SLASH);
    return relative ? 'relative paths not allowed' : undefined;
  }
  const forbidden = c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0xd800 && c <= 0xf8ff) || c >= 0xfff0;
  return forbidden ? 'invalid character' : undefined;
}

/** `parent/child`, without doubling the root's '/'. */
export function joinPath(parent: string, child: string): string {
  return parent === ROOT_PATH ? `/${child}` : `${parent}/${child}`;
}

/**
 * The parent of a path: everything before its last '/', with '/' for a
 * top-level node, for '/' itself and for a string with no '/' at all (the
 * server refuses those before it asks). It splits without validating, as
 * ZooKeeper does before its full check: `parentPath('/a/')` is '/a' (the
 * sequential create of '/a/' relies on it).
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
