/**
 * Client-side znode path validation, the rules of ZooKeeper's PathUtils:
 * absolute, no empty, `.` or `..` segments, no trailing slash (except for a
 * sequential create, where the server appends the suffix), and none of the
 * characters ZooKeeper refuses.
 *
 * @returns undefined when valid, else the reason
 */
export function invalidPathReason(path: unknown, sequential = false): string | undefined {
  if (typeof path !== 'string') return 'path must be a string';
  if (path.length === 0) return 'path must not be empty';
  if (path.charCodeAt(0) !== 0x2f) return 'path must start with /';
  if (path.length === 1) return undefined;
  const end = sequential && path.endsWith('/') ? path.length - 1 : path.length;
  if (path.charCodeAt(end - 1) === 0x2f) return 'path must not end with /';
  let segmentStart = 1;
  for (let i = 1; i <= end; i++) {
    const c = i < end ? path.charCodeAt(i) : 0x2f;
    // Digits, letters and most punctuation: nothing to check (paths are validated on every call).
    if (c > 0x2f && c < 0x7f) continue;
    if (c === 0x2f) {
      const len = i - segmentStart;
      if (len === 0) return `empty segment at index ${i}`;
      if (len === 1 && path.charCodeAt(segmentStart) === 0x2e) return 'relative segment "."';
      if (len === 2 && path.charCodeAt(segmentStart) === 0x2e && path.charCodeAt(segmentStart + 1) === 0x2e) {
        return 'relative segment ".."';
      }
      segmentStart = i + 1;
      continue;
    }
    if (
      c === 0 ||
      (c > 0 && c < 0x20) ||
      (c >= 0x7f && c <= 0x9f) ||
      (c >= 0xd800 && c <= 0xf8ff) ||
      (c >= 0xfff0 && c <= 0xffff)
    ) {
      return `invalid character \\u${c.toString(16).padStart(4, '0')} at index ${i}`;
    }
  }
  return undefined;
}
