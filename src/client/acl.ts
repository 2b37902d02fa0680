import { createHash } from 'node:crypto';
import { Perms } from '../jute/enums.js';
import type { ACL, Id } from '../jute/records/acl.js';

/** The identity of everyone (`world:anyone`). */
export const ANYONE_ID: Id = { scheme: 'world', id: 'anyone' };
/** The identities the session authenticated with (`auth:`), expanded by the server. */
export const AUTH_IDS: Id = { scheme: 'auth', id: '' };

/** Common ACLs, as ZooKeeper's ZooDefs.Ids. */
export const Acls = {
  /** Everyone may do everything: the default of every create. */
  openUnsafe: [{ perms: Perms.all, id: ANYONE_ID }] as readonly ACL[],
  /** Only the creator's authenticated identities; the session must have added auth. */
  creatorAll: [{ perms: Perms.all, id: AUTH_IDS }] as readonly ACL[],
  /** Everyone may read. */
  readUnsafe: [{ perms: Perms.read, id: ANYONE_ID }] as readonly ACL[],
} as const;

/**
 * The id ZooKeeper's digest scheme gives `user` with `password`:
 * `user:base64(sha1("user:password"))`, for ACLs such as
 * `{ perms: Perms.all, id: { scheme: 'digest', id: digestId('bob', 'secret') } }`.
 */
export function digestId(user: string, password: string): string {
  return `${user}:${createHash('sha1').update(`${user}:${password}`).digest('base64')}`;
}
