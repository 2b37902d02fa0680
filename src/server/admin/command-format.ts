import { readdir, readFile, stat as statFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServerConnection } from '../connection.js';
import type { ServerView } from '../server-view.js';

/** Figures and Java-style formats the admin commands share. */

/** A number as ZooKeeper prints ids and zxids: 0x and lower-case hex, negatives as their unsigned 64 bits. */
export function hex(n: bigint | number): string {
  return `0x${BigInt(n) < 0n ? (BigInt(n) & 0xffff_ffff_ffff_ffffn).toString(16) : n.toString(16)}`;
}

/** A double as Java prints it ("0.0", "9.1667"). */
export function javaDouble(n: number): string {
  return Number.isInteger(n) ? n.toFixed(1) : String(n);
}

/** Whether the connection came in on the TLS port. */
export function isSecure(conn: ServerConnection): boolean {
  return 'encrypted' in conn.socket && conn.socket.encrypted === true;
}

/** Total size of the files under a directory (ZooKeeper's getDirSize), 0 for an in-memory server. */
export async function dirSize(dir: string | undefined): Promise<number> {
  if (dir === undefined) return 0;
  let total = 0;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    try {
      const s = await statFile(join(dir, name));
      total += s.isDirectory() ? await dirSize(join(dir, name)) : s.size;
    } catch {
      // Purged meanwhile.
    }
  }
  return total;
}

let approxCache: { server: WeakRef<ServerView>; zxid: bigint; at: number; size: number } | null = null;

/**
 * zk_approximate_data_size. It walks the tree, so on a large tree (100,000
 * nodes or more) that is being written to, it is recomputed at most every 5 s.
 */
export function approximateDataSize(server: ServerView): number {
  const now = Date.now();
  const c = approxCache;
  if (c && c.server.deref() === server) {
    if (c.zxid === server.tree.lastZxid) return c.size;
    if (server.tree.nodeCount >= 100_000 && now - c.at < 5_000) return c.size;
  }
  const size = server.tree.approximateDataSize();
  approxCache = { server: new WeakRef(server), zxid: server.tree.lastZxid, at: now, size };
  return size;
}

/** Open and maximum file descriptors (Linux /proc), or undefined elsewhere. */
export async function fileDescriptors(): Promise<{ open: number; max: number } | undefined> {
  try {
    const open = (await readdir('/proc/self/fd')).length;
    const limits = await readFile('/proc/self/limits', 'utf8');
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
    const max = m === null || m[1] === 'unlimited' ? -1 : Number(m[1]);
    return { open, max };
  } catch {
    return undefined;
  }
}

/** Socket bytes read, closed connections included. */
export function bytesReceived(server: ServerView): number {
  let n = server.metrics.closedBytesReceived;
  for (const conn of server.allConnections()) n += conn.socket.bytesRead;
  return n;
}

/** Socket bytes written, closed connections included. */
export function bytesSent(server: ServerView): number {
  let n = server.metrics.closedBytesSent;
  for (const conn of server.allConnections()) n += conn.socket.bytesWritten;
  return n;
}

/** Java's Date.toString in UTC: "Wed Nov 25 18:07:22 UTC 2026". */
function javaDate(ms: number): string {
  const d = new Date(ms);
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()]!;
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()]!;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${day} ${mon} ${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}

/** ExpiryQueue.dump: "Sets (buckets)/(items):", then each bucket by time with its items. */
export function expiryText(buckets: Map<number, string[]>): string {
  const times = [...buckets.keys()].sort((a, b) => a - b);
  let items = 0;
  for (const list of buckets.values()) items += list.length;
  let out = `Sets (${buckets.size})/(${items}):\n`;
  for (const time of times) {
    const list = buckets.get(time)!;
    out += `${list.length} expire at ${javaDate(time)}:\n`;
    for (const item of list) out += `\t${item}\n`;
  }
  return out;
}

/** Long.parseLong: optional sign, decimal digits, within 64 bits signed. */
export function parseJavaLong(text: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const n = BigInt(text);
  return n >= -(1n << 63n) && n < 1n << 63n ? n : undefined;
}

