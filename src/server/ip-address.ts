/**
 * IP addresses as ZooKeeper reads them: the text Java gives for a client's
 * address, and the ip auth provider's ACL expressions (an address, or
 * address/bits) and matching. acl.ts builds its ip provider on these.
 */

/**
 * Turns a Node socket address into the text Java's `getHostAddress` gives
 * for it, so ip ids (visible through whoAmI) read as in ZooKeeper: an
 * IPv4-mapped IPv6 address becomes plain IPv4 (Java treats such a peer as
 * IPv4), and other IPv6 addresses become eight uncompressed lowercase hex
 * groups ('::1' → '0:0:0:0:0:0:0:1'), keeping any '%zone'. Text that is not
 * an IP address is returned unchanged.
 */
export function normalizeClientIp(address: string): string {
  const mapped = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i.exec(address);
  if (mapped !== null) return mapped[1];
  if (!address.includes(':')) return address;
  const percent = address.indexOf('%');
  const zone = percent === -1 ? '' : address.slice(percent);
  const bytes = parseCanonicalV6(percent === -1 ? address : address.slice(0, percent));
  if (bytes === null) return address;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return groups.join(':') + zone;
}

/** Java's `s.split(sep, 2)`: at most two parts, the second keeps the rest. */
function splitOnce(s: string, sep: string): [string] | [string, string] {
  const at = s.indexOf(sep);
  return at === -1 ? [s] : [s.slice(0, at), s.slice(at + sep.length)];
}

/**
 * Java's `Integer.parseInt(s, radix)` for ASCII digits: an optional sign,
 * at least one digit, and a result within int range. (Java also accepts
 * non-ASCII Unicode digits; Herd does not.)
 */
function javaParseInt(s: string, radix: 10 | 16): number | null {
  const pattern = radix === 10 ? /^[+-]?[0-9]+$/ : /^[+-]?[0-9a-fA-F]+$/;
  if (!pattern.test(s)) return null;
  const v = parseInt(s, radix);
  return v >= -0x80000000 && v <= 0x7fffffff ? v : null;
}

function v4Bytes(addr: string): Uint8Array | null {
  const parts = addr.split('.');
  if (parts.length !== 4) return null;
  const b = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const v = javaParseInt(parts[i], 10);
    if (v === null || v < 0 || v > 255) return null;
    b[i] = v;
  }
  return b;
}

/**
 * IPv6 text to bytes with ZooKeeper 3.9.4's rules: hex groups of 1 to 4
 * digits, at most one '::' standing for at least one zero group, no embedded
 * dotted IPv4, no '%zone'.
 */
function v6Bytes(addr: string): Uint8Array | null {
  const halves = addr.split('::');
  let head: string[];
  let tail: string[] = [];
  if (halves.length === 1) {
    head = addr.split(':');
    if (head.length !== 8) return null;
  } else if (halves.length === 2) {
    head = halves[0] === '' ? [] : halves[0].split(':');
    tail = halves[1] === '' ? [] : halves[1].split(':');
    if (head.length + tail.length >= 8) return null;
  } else {
    return null;
  }
  const b = new Uint8Array(16);
  if (!writeV6Groups(b, 0, head) || !writeV6Groups(b, 16 - tail.length * 2, tail)) return null;
  return b;
}

function writeV6Groups(b: Uint8Array, at: number, groups: readonly string[]): boolean {
  let i = at;
  for (const g of groups) {
    if (g.length === 0 || g.length > 4) return false;
    const v = javaParseInt(g, 16);
    if (v === null) return false;
    // ZooKeeper keeps the low 16 bits of the parsed int, so '-1' reads as ffff.
    b[i++] = (v >> 8) & 0xff;
    b[i++] = v & 0xff;
  }
  return true;
}

function addrBytes(addr: string, ipv6: boolean): Uint8Array | null {
  if (!ipv6) return v4Bytes(addr);
  if (addr.includes(':')) return v6Bytes(addr);
  if (addr.includes('.')) return v4Bytes(addr);
  return null;
}

/** Parses 'addr' or 'addr/bits' into the address bytes and the prefix length. */
export function parseIpAcl(expr: string, ipv6: boolean): { addr: Uint8Array; bits: number } | null {
  const [addrText, bitsText] = splitOnce(expr, '/');
  const addr = addrBytes(addrText, ipv6);
  if (addr === null) return null;
  let bits = addr.length * 8;
  if (bitsText !== undefined) {
    const v = javaParseInt(bitsText, 10);
    if (v === null || v < 0 || v > addr.length * 8) return null;
    bits = v;
  }
  return { addr, bits };
}

function maskBits(b: Uint8Array, bits: number): void {
  let keep = ~((1 << (8 - (bits % 8))) - 1);
  for (let i = Math.floor(bits / 8); i < b.length; i++) {
    b[i] &= keep;
    keep = 0;
  }
}

export function ipMatchesWith(clientIp: string, aclExpr: string, ipv6: boolean): boolean {
  const acl = parseIpAcl(aclExpr, ipv6);
  if (acl === null) return false;
  const client = addrBytes(clientIp, ipv6);
  if (client === null || client.length !== acl.addr.length) return false;
  maskBits(acl.addr, acl.bits);
  maskBits(client, acl.bits);
  return client.every((byte, i) => byte === acl.addr[i]);
}

/**
 * Parses any IPv6 text Node may report (including '::' compression and a
 * dotted IPv4 tail) for {@link normalizeClientIp}; stricter rules for ACL
 * ids live in {@link v6Bytes}.
 */
function parseCanonicalV6(addr: string): Uint8Array | null {
  let text = addr;
  const dotted = /(?<=:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (dotted !== null) {
    const q = dotted.slice(1, 5).map(Number);
    if (q.some((n) => n > 255)) return null;
    text = text.slice(0, dotted.index) + ((q[0] << 8) | q[1]).toString(16) + ':' + ((q[2] << 8) | q[3]).toString(16);
  }
  if (!/^[0-9a-fA-F:]+$/.test(text)) return null;
  return v6Bytes(text);
}
