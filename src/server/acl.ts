/**
 * ACL and authentication rules as ZooKeeper 3.8 applies them: the digest and
 * ip providers, the fixup of an ACL a client sends with create and setACL,
 * the permission check, and the masking of digests in getACL replies.
 *
 * Pure: the caller keeps each session's {@link AuthId} list and passes it in.
 * ZooKeeper's provider registry (ip and digest by default, x509 when client
 * TLS is configured) is modelled by {@link AuthOptions}; any other scheme has
 * no provider, which is why 'world' ids other than 'anyone', 'super' entries
 * and 'sasl' entries are invalid in an ACL and never match.
 */
import { createHash } from 'node:crypto';
import type { ACL } from '../jute/records/acl.js';
import { ErrorCode } from '../jute/error-codes.js';
import { ipMatchesWith, normalizeClientIp, parseIpAcl } from './ip-address.js';

export { normalizeClientIp };

/**
 * One identity a session has authenticated as. Every session starts with
 * `{ scheme: 'ip', id: <client address> }`; auth packets add more. A session
 * holds a set: add ids with {@link mergeAuthIds} to keep them unique.
 */
export interface AuthId {
  scheme: string;
  id: string;
}

/** Server settings that change which providers exist and how they behave. */
export interface AuthOptions {
  /**
   * ZooKeeper's `zookeeper.DigestAuthenticationProvider.superDigest`:
   * `super:<base64(sha1("super:<password>"))>` (see {@link digestId}). A
   * digest auth whose id equals it also makes the session super.
   */
  superDigest?: string;
  /**
   * Accept IPv6 addresses in ip ACLs and match IPv6 clients, as ZooKeeper
   * 3.9.4+ does. False gives ZooKeeper 3.8's IPv4-only provider, where an
   * IPv6 ip ACL is InvalidACL and an IPv6 client never matches. Default true.
   */
  ipv6?: boolean;
  /** Register the x509 provider, as ZooKeeper does when client TLS auth is configured. Default false. */
  x509?: boolean;
  /** ZooKeeper's `zookeeper.X509AuthenticationProvider.superUser`: a certificate subject that is super. */
  x509SuperUser?: string;
}

/** The result of {@link fixupACL}. */
export type FixupResult = { ok: true; acl: ACL[] } | { ok: false; err: number };

interface Provider {
  /** Whether ids of this scheme stand for an authenticated user, so the 'auth' ACL expands to them. */
  readonly authenticated: boolean;
  isValid(id: string): boolean;
  matches(authId: string, aclExpr: string): boolean;
}

const digestProvider: Provider = {
  authenticated: true,
  // Java's String.split(":") drops trailing empty strings, so 'user:hash:'
  // is valid and 'user:' is not.
  isValid: (id) => javaSplitDroppingTrailingEmpty(id, ':').length === 2,
  matches: (authId, aclExpr) => authId === aclExpr,
};

function ipProvider(ipv6: boolean): Provider {
  return {
    authenticated: false,
    isValid: (id) => parseIpAcl(id, ipv6) !== null,
    matches: (authId, aclExpr) => ipMatchesWith(authId, aclExpr, ipv6),
  };
}

function x509Provider(superUser: string | undefined): Provider {
  return {
    authenticated: true,
    // ZooKeeper parses the id as an X.500 name; Herd accepts any string
    // rather than carry a DN parser (the id is only ever compared).
    isValid: () => true,
    // ZooKeeper lets the configured super user match every x509 entry.
    matches: (authId, aclExpr) => authId === aclExpr || (superUser !== undefined && authId === superUser),
  };
}

function providerFor(scheme: string, options: AuthOptions): Provider | null {
  switch (scheme) {
    case 'digest':
      return digestProvider;
    case 'ip':
      return ipProvider(options.ipv6 ?? true);
    case 'x509':
      return options.x509 === true ? x509Provider(options.x509SuperUser) : null;
    default:
      return null;
  }
}

/**
 * The digest id for a `user:password` string, as ZooKeeper's
 * `DigestAuthenticationProvider.generateDigest`:
 * `user:base64(sha1("user:password"))`. The user is everything before the
 * first ':' (the whole string when there is none); the hash covers the whole
 * string, so a password may contain ':'.
 *
 * @example digestId('super:test') === 'super:D/InIHSb7yEEbrWz8b9l71RjZJU='
 */
export function digestId(userPass: string): string {
  const colon = userPass.indexOf(':');
  const user = colon === -1 ? userPass : userPass.slice(0, colon);
  const hash = createHash('sha1').update(javaUtf8Bytes(userPass)).digest('base64');
  return `${user}:${hash}`;
}

/**
 * Handles an auth packet (opcode 100).
 *
 * - 'digest': the data is `user:password` as UTF-8. ZooKeeper never rejects
 *   it (no colon just makes the whole string the user), so this always
 *   succeeds with the digest id, preceded by `{ super, '' }` when the id
 *   equals {@link AuthOptions.superDigest}.
 * - 'ip': authenticates as the client address again (already in every
 *   session, so adding it changes nothing).
 * - anything else, including 'world', 'super', 'auth' and 'x509' (whose
 *   identity comes from the TLS handshake, see {@link x509AuthIds}): no
 *   provider answers, so the reply is AuthFailed and ZooKeeper closes the
 *   connection.
 *
 * @returns the ids to add to the session, or null for AuthFailed.
 */
export function authenticate(
  scheme: string,
  auth: Buffer,
  clientIp: string,
  options: AuthOptions = {},
): AuthId[] | null {
  switch (scheme) {
    case 'digest': {
      const id = digestId(javaUtf8Decode(auth));
      const ids: AuthId[] = [];
      if (options.superDigest !== undefined && id === options.superDigest) ids.push({ scheme: 'super', id: '' });
      ids.push({ scheme: 'digest', id });
      return ids;
    }
    case 'ip':
      return [{ scheme: 'ip', id: clientIp }];
    default:
      return null;
  }
}

/**
 * The ids a TLS client with a trusted certificate gets, as ZooKeeper's x509
 * provider adds them: the certificate subject, preceded by `{ super, subject }`
 * when it is the configured super user.
 *
 * @param subject the subject DN of the client certificate (RFC 2253 form).
 */
export function x509AuthIds(subject: string, options: AuthOptions = {}): AuthId[] {
  const ids: AuthId[] = [];
  if (options.x509SuperUser !== undefined && subject === options.x509SuperUser) ids.push({ scheme: 'super', id: subject });
  ids.push({ scheme: 'x509', id: subject });
  return ids;
}

/** Adds ids to a session's list, skipping ones it already has (ZooKeeper keeps a set). */
export function mergeAuthIds(current: readonly AuthId[], added: readonly AuthId[]): AuthId[] {
  const merged = [...current];
  for (const a of added) {
    if (!merged.some((m) => m.scheme === a.scheme && m.id === a.id)) merged.push({ scheme: a.scheme, id: a.id });
  }
  return merged;
}

/** Java's String.hashCode over UTF-16 code units. */
function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * A session's ids in the order ZooKeeper iterates them. ZooKeeper keeps them
 * in a set backed by a java.util.concurrent.ConcurrentHashMap keyed by the
 * jute Id, and the order shows: whoAmI lists the ids in it, and an `auth`
 * ACL expands into one entry per id in it (see {@link fixupACL}). That order
 * is ascending bin index (spread(Id.hashCode()) & (tableSize - 1)), then
 * insertion order within a bin, which a stable sort of a list kept in
 * insertion order reproduces (so keep applying it to {@link mergeAuthIds}'
 * result). The table starts at 16 bins and doubles once 3/4 full; past the
 * first resize Java may reorder colliding entries, but sessions rarely hold
 * 12 ids.
 */
export function zooKeeperAuthOrder(ids: readonly AuthId[]): AuthId[] {
  let tableSize = 16;
  while (ids.length >= tableSize - (tableSize >>> 2)) tableSize *= 2;
  const bin = (a: AuthId): number => {
    // jute's generated Id.hashCode(): 37 * (37 * 17 + scheme.hashCode()) + id.hashCode()
    const h = (Math.imul(37, (Math.imul(37, 17) + javaStringHash(a.scheme)) | 0) + javaStringHash(a.id)) | 0;
    return ((h ^ (h >>> 16)) & 0x7fffffff) & (tableSize - 1);
  };
  return ids
    .map((id, i) => ({ id, i, bin: bin(id) }))
    .sort((x, y) => x.bin - y.bin || x.i - y.i)
    .map((e) => e.id);
}


/**
 * Checks and expands an ACL sent with create or setACL, as ZooKeeper's
 * `PrepRequestProcessor.fixupACL`:
 *
 * - exact duplicates are dropped first; an empty list is InvalidACL;
 * - `world:anyone` is kept (any other world id is InvalidACL);
 * - an `auth` entry (its id is ignored) becomes one entry with its perms for
 *   each session id whose provider authenticates users: digest and x509, not
 *   ip, not super. None is InvalidACL. Expansion may create duplicates (an
 *   explicit digest entry plus 'auth'); ZooKeeper keeps them, so this does too;
 * - digest ids must split on ':' into exactly two parts (Java's split,
 *   trailing empty parts dropped); ip ids must be an address or address/bits;
 *   x509 ids need the x509 provider; any other scheme is InvalidACL.
 *
 * Perms are not checked: 0 or bits above ALL are stored as sent.
 */
export function fixupACL(
  acl: readonly ACL[] | null,
  authIds: readonly AuthId[],
  options: AuthOptions = {},
): FixupResult {
  const invalid: FixupResult = { ok: false, err: ErrorCode.INVALIDACL };
  const unique = removeDuplicates(acl ?? []);
  if (unique.length === 0) return invalid;
  const fixed: ACL[] = [];
  for (const entry of unique) {
    const { scheme, id } = entry.id;
    if (scheme === 'world' && id === 'anyone') {
      fixed.push(copyAcl(entry));
    } else if (scheme === 'auth') {
      let expanded = false;
      for (const authId of authIds) {
        if (providerFor(authId.scheme, options)?.authenticated === true) {
          expanded = true;
          fixed.push({ perms: entry.perms, id: { scheme: authId.scheme, id: authId.id } });
        }
      }
      if (!expanded) return invalid;
    } else {
      const provider = providerFor(scheme, options);
      if (provider === null || !provider.isValid(id)) return invalid;
      fixed.push(copyAcl(entry));
    }
  }
  return { ok: true, acl: fixed };
}

/**
 * Whether a session may do an operation needing `perm` on a node with `acl`,
 * as ZooKeeper's `ZooKeeperServer.checkACL`. An entry applies when it shares
 * any bit with `perm` (getACL asks for READ|ADMIN and is satisfied by
 * either). Allowed when: the ACL is empty, the session is super, an applying
 * entry is `world:anyone`, or an applying entry's provider matches one of the
 * session's ids of the same scheme (digest and x509: equal strings; ip: the
 * entry's address with an optional /bits prefix length).
 */
export function checkACL(
  acl: readonly ACL[],
  perm: number,
  authIds: readonly AuthId[],
  options: AuthOptions = {},
): boolean {
  if (acl.length === 0) return true;
  // world:anyone first: it answers most checks (every read of an open node) without looking at the caller's ids.
  for (let i = 0; i < acl.length; i++) {
    const entry = acl[i]!;
    if ((entry.perms & perm) !== 0 && entry.id.scheme === 'world' && entry.id.id === 'anyone') return true;
  }
  for (let i = 0; i < authIds.length; i++) if (authIds[i]!.scheme === 'super') return true;
  for (const entry of acl) {
    if ((entry.perms & perm) === 0) continue;
    const { scheme, id } = entry.id;
    if (scheme === 'world' && id === 'anyone') return true;
    const provider = providerFor(scheme, options);
    if (provider === null) continue;
    for (const authId of authIds) {
      if (authId.scheme === scheme && provider.matches(authId.id, id)) return true;
    }
  }
  return false;
}

/**
 * The ACL getACL returns to a session that has READ but not ADMIN: each
 * digest id loses its hash, as ZooKeeper's `id.replaceAll(":.*", ":x")`
 * ('user:hash' → 'user:x'; an id without ':' stays). Java's '.' stops at line
 * terminators, so the same is done here for ids that contain them.
 */
export function maskDigests(acl: readonly ACL[]): ACL[] {
  return acl.map((entry) =>
    entry.id.scheme === 'digest'
      ? { perms: entry.perms, id: { scheme: 'digest', id: entry.id.id.replace(JAVA_COLON_TO_LINE_END, ':x') } }
      : copyAcl(entry),
  );
}

/**
 * Whether a client address matches an ip ACL expression (an address, or
 * address/bits) as ZooKeeper's ip provider decides it. Addresses of
 * different families never match.
 */
export function ipMatches(clientIp: string, aclExpr: string, options: AuthOptions = {}): boolean {
  return ipMatchesWith(clientIp, aclExpr, options.ipv6 ?? true);
}

/** Whether `id` is a valid ACL id for `scheme` (what fixupACL accepts for a non-world, non-auth entry). */
export function isValidAclId(scheme: string, id: string, options: AuthOptions = {}): boolean {
  return providerFor(scheme, options)?.isValid(id) ?? false;
}

// Java's regex '.' excludes \n, \r, U+0085, U+2028 and U+2029; JavaScript's
// '.' does match U+0085, so spell the class out.
const JAVA_COLON_TO_LINE_END = /:[^\n\r\u0085\u2028\u2029]*/g;

function copyAcl(entry: ACL): ACL {
  return { perms: entry.perms, id: { scheme: entry.id.scheme, id: entry.id.id } };
}

function removeDuplicates(acl: readonly ACL[]): ACL[] {
  const unique: ACL[] = [];
  for (const a of acl) {
    if (!unique.some((u) => u.perms === a.perms && u.id.scheme === a.id.scheme && u.id.id === a.id.id)) unique.push(a);
  }
  return unique;
}

/**
 * UTF-8 as Java's `String.getBytes(UTF_8)` produces it: a lone surrogate
 * becomes '?' (Node would write U+FFFD), so digests of such strings agree.
 */
function javaUtf8Bytes(s: string): Buffer {
  return Buffer.from(s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '?'), 'utf8');
}

/**
 * UTF-8 decoding as Java's `new String(bytes, UTF_8)` does it, so a digest
 * over malformed auth bytes matches ZooKeeper's. Java and Node replace
 * malformed input alike except for an encoded surrogate (ED A0..BF, with an
 * optional continuation byte): Java makes it one U+FFFD, Node one per byte.
 */
function javaUtf8Decode(bytes: Buffer): string {
  if (!bytes.includes(0xed)) return bytes.toString('utf8');
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const b1 = bytes[i + 1];
    if (bytes[i] === 0xed && b1 !== undefined && b1 >= 0xa0 && b1 <= 0xbf) {
      out.push(0xef, 0xbf, 0xbd);
      const b2 = bytes[i + 2];
      i += b2 !== undefined && b2 >= 0x80 && b2 <= 0xbf ? 2 : 1;
    } else {
      out.push(bytes[i]);
    }
  }
  return Buffer.from(out).toString('utf8');
}

/** Java's `s.split(sep)` for a one-character literal separator. */
function javaSplitDroppingTrailingEmpty(s: string, sep: string): string[] {
  if (!s.includes(sep)) return [s];
  const parts = s.split(sep);
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}
