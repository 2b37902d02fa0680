/**
 * zkCli's text formats, byte for byte: Stat blocks, ACL listings and
 * parsing, child lists, times as Java's `Date.toString()` prints them.
 */
import { Perms } from '../jute/enums.js';
import type { ACL } from '../jute/records/acl.js';
import type { Stat } from '../jute/records/stat.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number): string => String(n).padStart(2, '0');

/** The local time zone's short name at `date` (`UTC`, `CET`, or `GMT+2` where Intl knows no abbreviation). */
function zoneName(date: Date): string {
  const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(date).find((p) => p.type === 'timeZoneName');
  return part?.value ?? 'UTC';
}

/** Epoch ms as Java's `new Date(ms).toString()`: `Mon Dec 07 13:37:43 UTC 2026`, in the local time zone. */
export function javaDate(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${zoneName(d)} ${d.getFullYear()}`;
}

const hex = (n: bigint): string => `0x${BigInt.asUintN(64, n).toString(16)}`;

/** A Stat as zkCli prints it (`stat`, `get -s`, `ls -s`, `set -s`, `getAcl -s`): eleven `name = value` lines. */
export function formatStat(s: Stat): string {
  return [
    `cZxid = ${hex(s.czxid)}`,
    `ctime = ${javaDate(s.ctime)}`,
    `mZxid = ${hex(s.mzxid)}`,
    `mtime = ${javaDate(s.mtime)}`,
    `pZxid = ${hex(s.pzxid)}`,
    `cversion = ${s.cversion}`,
    `dataVersion = ${s.version}`,
    `aclVersion = ${s.aversion}`,
    `ephemeralOwner = ${hex(s.ephemeralOwner)}`,
    `dataLength = ${s.dataLength}`,
    `numChildren = ${s.numChildren}`,
  ].join('\n') + '\n';
}

/** A Stat for `--json`: zxids and the owner as hex strings (they exceed a JSON number), times as epoch ms. */
export function statJson(s: Stat): Record<string, string | number> {
  return {
    czxid: hex(s.czxid),
    mzxid: hex(s.mzxid),
    pzxid: hex(s.pzxid),
    ctime: s.ctime,
    mtime: s.mtime,
    version: s.version,
    cversion: s.cversion,
    aversion: s.aversion,
    ephemeralOwner: hex(s.ephemeralOwner),
    dataLength: s.dataLength,
    numChildren: s.numChildren,
  };
}

/** zkCli's letters in its order (ZKUtil.getPermString). */
const PERM_LETTERS: readonly [number, string][] = [
  [Perms.create, 'c'],
  [Perms.delete, 'd'],
  [Perms.read, 'r'],
  [Perms.write, 'w'],
  [Perms.admin, 'a'],
];

/** Permission bits as zkCli's letters, e.g. 31 → `cdrwa`. */
export function permString(perms: number): string {
  return PERM_LETTERS.filter(([bit]) => (perms & bit) !== 0)
    .map(([, c]) => c)
    .join('');
}

/** An ACL list as `getAcl` prints it: `'scheme,'id` then `: perms` per entry. */
export function formatAcl(acl: readonly ACL[]): string {
  return acl.map((a) => `'${a.id.scheme},'${a.id.id}\n: ${permString(a.perms)}\n`).join('');
}

/** An ACL list for `--json`. */
export function aclJson(acl: readonly ACL[]): { scheme: string; id: string; perms: string }[] {
  return acl.map((a) => ({ scheme: a.id.scheme, id: a.id.id, perms: permString(a.perms) }));
}

/**
 * zkCli's AclParser: `scheme:id:perms[,...]`, the id being everything
 * between the first and the last colon. Entries without that form and
 * unknown permission letters are reported through `warn` (zkCli's
 * messages) and skipped, as zkCli does.
 */
export function parseAcl(text: string, warn: (message: string) => void): ACL[] {
  const acl: ACL[] = [];
  for (const entry of text.split(',')) {
    const first = entry.indexOf(':');
    const last = entry.lastIndexOf(':');
    if (first === -1 || last === -1 || first === last) {
      warn(`${entry} does not have the form scheme:id:perm`);
      continue;
    }
    let perms = 0;
    for (const c of entry.slice(last + 1)) {
      const bit = PERM_LETTERS.find(([, letter]) => letter === c)?.[0];
      if (bit === undefined) warn(`Unknown perm type: ${c}`);
      else perms |= bit;
    }
    acl.push({ perms, id: { scheme: entry.slice(0, first), id: entry.slice(first + 1, last) } });
  }
  return acl;
}

/** Children as zkCli's `ls` prints them: sorted (Java's String order is UTF-16 order, as JavaScript's), `[a, b]`. */
export function formatChildren(children: readonly string[]): string {
  return `[${[...children].sort().join(', ')}]\n`;
}

/** Data as zkCli prints it: UTF-8 text, or `null` for a null buffer. */
export function formatData(data: Buffer | null): string {
  return `${data === null ? 'null' : data.toString('utf8')}\n`;
}

/** Data for `--json`: UTF-8 text when the bytes are valid UTF-8, base64 otherwise; null stays null. */
export function dataJson(data: Buffer | null): { text: string } | { base64: string } | null {
  if (data === null) return null;
  const text = new TextDecoder('utf-8', { fatal: false }).decode(data);
  return Buffer.from(text, 'utf8').equals(data) ? { text } : { base64: data.toString('base64') };
}
