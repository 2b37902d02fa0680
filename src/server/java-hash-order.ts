/**
 * The order in which ZooKeeper (Java) iterates a HashSet<String> cloned from
 * another, as when it deletes a closing session's ephemerals (the clone of
 * the session's set, copied into the CloseSession txn's list). Clients see
 * that order in the NodeDeleted events, so Herd reproduces it: a pure
 * function of the paths and their insertion order, hence the same on every
 * replay.
 */

/** java.lang.String.hashCode over UTF-16 code units. */
function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** HashMap.hash: the high half folded into the low half. */
function spread(h: number): number {
  return (h ^ (h >>> 16)) >>> 0;
}

/** HashMap.tableSizeFor: the smallest power of two >= n (at least 1). */
function tableSizeFor(n: number): number {
  let cap = 1;
  while (cap < n) cap *= 2;
  return cap;
}

/**
 * `items` in insertion order (as Herd's Set keeps them) → the iteration order
 * of ZooKeeper's clone of the HashSet holding them. The source set's table
 * grew as needed from 16 (load factor 0.75); the clone's table is sized for
 * the current count (putMapEntries: tableSizeFor(size / 0.75 + 1)). Entries of
 * one bucket keep the order they were put in, which for the clone is the
 * source's iteration order.
 */
export function javaHashSetCloneOrder(items: Iterable<string>): string[] {
  const list = [...items];
  if (list.length === 0) return list;
  let sourceCap = 16;
  while (list.length > sourceCap * 0.75) sourceCap *= 2;
  const cloneCap = tableSizeFor(Math.floor(list.length / 0.75 + 1));
  const keyed = list.map((path, index) => {
    const h = spread(javaStringHash(path));
    return { path, index, source: h & (sourceCap - 1), clone: h & (cloneCap - 1) };
  });
  keyed.sort((a, b) => a.clone - b.clone || a.source - b.source || a.index - b.index);
  return keyed.map((k) => k.path);
}
