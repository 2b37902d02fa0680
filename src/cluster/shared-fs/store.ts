/**
 * What the sharedFs backend keeps in the shared directory, and how it is
 * read and written. Layout under `<dir>/<cluster>/`:
 *
 * - `members/<identifier>.json`: one file per member, written only by that member
 *   (atomically, {@link writeAtomic}) when it joins, when something in it
 *   changes, and at least every `memberRefreshInterval`; deleted by the
 *   member on leave, or by any node once it is older than `memberStaleAfter`
 *   (its writer is dead or cut off from the directory). `<identifier>` is
 *   the member's identifier, URI-encoded. Content: {@link MemberRecord}
 *   (the member as `{ identifier, address, version, data, joinedAt }`).
 * - `lease/<epoch>.json`: the primary lease, one file per tenure, `<epoch>`
 *   zero-padded to 16 digits. The highest epoch is the current lease. A
 *   tenure begins by creating the next epoch's file exclusively
 *   ({@link createExclusive}); only its holder rewrites it afterwards
 *   (renewal, release). The new holder deletes the older files; the highest
 *   is never deleted, so epochs never restart. Content: {@link LeaseRecord}.
 * - `.*.tmp`: temp files of writes in progress (or left by a crash; swept
 *   once older than `memberStaleAfter`).
 *
 * Nothing but {@link ensureClusterDirs} at start creates a directory: a
 * cluster directory that disappears (unmounted, renamed, deleted) makes
 * every operation fail until it is back, instead of a fresh empty directory
 * silently restarting the epochs at 1.
 */
import { readFile as readFileCallback } from 'node:fs';
import { mkdir, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterMember, JsonValue } from '../backend.js';
import { createExclusive, errorCode, isTempName, writeAtomic } from './files.js';

/**
 * Reads a whole small file. The callback API does the open/stat/read/close
 * in one request without a FileHandle object per file: a check reads every
 * member file, and this is the bulk of an idle node's CPU time.
 */
function readFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => readFileCallback(path, 'utf8', (error, text) => (error ? reject(error) : resolve(text))));
}

/** Version of the files' JSON shape. */
export const STORE_FORMAT = 1;
export const MEMBERS_DIR = 'members';
export const LEASE_DIR = 'lease';
const EPOCH_DIGITS = 16;
const LEASE_NAME = /^(\d{16})\.json$/;

/** A member file's content. */
export interface MemberRecord {
  readonly format: number;
  readonly member: ClusterMember;
  /** Where the member receives heartbeats. */
  readonly heartbeat: { readonly host: string; readonly port: number };
  /** Random per process start: heartbeats of an earlier process with the same identifier are not counted. */
  readonly incarnation: string;
  /** Whether it runs for primary. */
  readonly candidate: boolean;
  /** Identifiers of the members it hears heartbeats from, as of `writtenAt`. */
  readonly hears: readonly string[];
  /** When the member wrote this, by its clock (epoch ms). */
  readonly writtenAt: number;
}

/** A lease file's content. */
export interface LeaseRecord {
  readonly format: number;
  /** The tenure's fencing epoch (also in the file name, which wins). */
  readonly epoch: number;
  /** The holder's member identifier ('' when unreadable). */
  readonly holder: string;
  /** The holder's incarnation. */
  readonly incarnation: string;
  /** When the tenure began, by the holder's clock. */
  readonly since: number;
  /** The holder may act as primary until `expiresAt - margin` by its clock; others wait for `expiresAt + margin` by theirs. */
  readonly expiresAt: number;
  /** The holder gave it up (after stepping down): others may take it at once. */
  readonly released: boolean;
  readonly writtenAt: number;
}

/** The directories of one cluster. */
export class ClusterStore {
  readonly root: string;
  readonly membersDir: string;
  readonly leaseDir: string;

  constructor(dir: string, cluster: string) {
    this.root = join(dir, cluster);
    this.membersDir = join(this.root, MEMBERS_DIR);
    this.leaseDir = join(this.root, LEASE_DIR);
  }

  /** Creates the cluster's directories (only at start, see the file comment). */
  async ensureClusterDirs(): Promise<void> {
    await mkdir(this.membersDir, { recursive: true });
    await mkdir(this.leaseDir, { recursive: true });
  }

  memberPath(identifier: string): string {
    return join(this.membersDir, `${encodeURIComponent(identifier)}.json`);
  }

  leasePath(epoch: number): string {
    return join(this.leaseDir, `${String(epoch).padStart(EPOCH_DIGITS, '0')}.json`);
  }

  async writeMember(record: MemberRecord): Promise<void> {
    await writeAtomic(this.memberPath(record.member.identifier), JSON.stringify(record));
  }

  /** Deletes a member's file; true when it was there. */
  async deleteMember(identifier: string): Promise<boolean> {
    try {
      await unlink(this.memberPath(identifier));
      return true;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return false;
      throw error;
    }
  }

  /** One member's file, or null when it is absent or malformed. */
  async readMember(identifier: string): Promise<MemberRecord | null> {
    try {
      const record = parseMemberRecord(await readFile(this.memberPath(identifier)));
      return record?.member.identifier === identifier ? record : null;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return null;
      throw error;
    }
  }

  /**
   * Every readable member file, by member identifier. Malformed files are skipped
   * (a foreign or future-format file is not a member); a file deleted
   * between listing and reading is simply absent. Fails when the directory
   * cannot be listed.
   */
  async readMembers(): Promise<{ members: Map<string, MemberRecord>; temps: string[] }> {
    const names = await readdir(this.membersDir);
    const members = new Map<string, MemberRecord>();
    const temps: string[] = [];
    await Promise.all(
      names.map(async (entry) => {
        if (isTempName(entry)) {
          temps.push(join(this.membersDir, entry));
          return;
        }
        if (!entry.endsWith('.json')) return;
        let text: string;
        try {
          text = await readFile(join(this.membersDir, entry));
        } catch (error) {
          if (errorCode(error) === 'ENOENT') return;
          throw error;
        }
        const record = parseMemberRecord(text);
        if (record !== null && `${encodeURIComponent(record.member.identifier)}.json` === entry) members.set(record.member.identifier, record);
      }),
    );
    return { members, temps };
  }

  /**
   * The current lease (the highest epoch), or null when no tenure ever
   * began. An unreadable highest file counts as a released lease of that
   * epoch, so the next tenure still gets a higher one.
   */
  async readLease(): Promise<{ lease: LeaseRecord | null; older: number[]; temps: string[] }> {
    // A new holder may delete the file we listed before we read it; list again then.
    for (let attempt = 0; ; attempt++) {
      const names = await readdir(this.leaseDir);
      const temps = names.filter(isTempName).map((n) => join(this.leaseDir, n));
      const epochs = names
        .map((n) => LEASE_NAME.exec(n)?.[1])
        .filter((e): e is string => e !== undefined)
        .map(Number)
        .sort((a, b) => a - b);
      if (epochs.length === 0) return { lease: null, older: [], temps };
      const epoch = epochs[epochs.length - 1]!;
      let text: string;
      try {
        text = await readFile(this.leasePath(epoch));
      } catch (error) {
        if (errorCode(error) === 'ENOENT' && attempt < 3) continue;
        throw error;
      }
      const parsed = parseLeaseRecord(text);
      const lease: LeaseRecord =
        parsed !== null && parsed.epoch === epoch
          ? parsed
          : { format: STORE_FORMAT, epoch, holder: '', incarnation: '', since: 0, expiresAt: 0, released: true, writtenAt: 0 };
      return { lease, older: epochs.slice(0, -1), temps };
    }
  }

  /** Begins tenure `record.epoch`: true when this call created its lease file. */
  async createLease(record: LeaseRecord): Promise<boolean> {
    return createExclusive(this.leasePath(record.epoch), JSON.stringify(record));
  }

  /** Rewrites the lease file of a tenure this process holds (renewal, release). */
  async writeLease(record: LeaseRecord): Promise<void> {
    await writeAtomic(this.leasePath(record.epoch), JSON.stringify(record));
  }

  /** Deletes lease files of earlier tenures (best effort). */
  async pruneLeases(epochs: readonly number[]): Promise<void> {
    await Promise.all(epochs.map((e) => unlink(this.leasePath(e)).catch(() => undefined)));
  }

  /** Deletes temp files last modified before `olderThan` (epoch ms; left by crashed writers; best effort). */
  async sweepTemps(paths: readonly string[], olderThan: number): Promise<void> {
    await Promise.all(
      paths.map(async (path) => {
        const s = await stat(path).catch(() => null);
        if (s !== null && s.mtimeMs < olderThan) await unlink(path).catch(() => undefined);
      }),
    );
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A member record from a file's text, or null when it is not one. */
export function parseMemberRecord(text: string): MemberRecord | null {
  const v = parseJson(text);
  if (!isObject(v) || v['format'] !== STORE_FORMAT) return null;
  const m = v['member'];
  const hb = v['heartbeat'];
  const hears = v['hears'];
  if (!isObject(m) || !isObject(hb) || !Array.isArray(hears)) return null;
  if (typeof m['identifier'] !== 'string' || m['identifier'] === '' || typeof m['address'] !== 'string' || typeof m['version'] !== 'string') return null;
  if (typeof m['joinedAt'] !== 'number' || !('data' in m)) return null;
  if (typeof hb['host'] !== 'string' || !Number.isInteger(hb['port'])) return null;
  if (typeof v['incarnation'] !== 'string' || typeof v['candidate'] !== 'boolean' || typeof v['writtenAt'] !== 'number') return null;
  if (!hears.every((h) => typeof h === 'string')) return null;
  return {
    format: STORE_FORMAT,
    member: { identifier: m['identifier'], address: m['address'], version: m['version'], data: m['data'] as JsonValue, joinedAt: m['joinedAt'] },
    heartbeat: { host: hb['host'], port: hb['port'] as number },
    incarnation: v['incarnation'],
    candidate: v['candidate'],
    hears: hears as string[],
    writtenAt: v['writtenAt'],
  };
}

/** A lease record from a file's text, or null when it is not one. */
export function parseLeaseRecord(text: string): LeaseRecord | null {
  const v = parseJson(text);
  if (!isObject(v) || v['format'] !== STORE_FORMAT) return null;
  const { epoch, holder, incarnation, since, expiresAt, released, writtenAt } = v;
  if (!Number.isSafeInteger(epoch) || typeof holder !== 'string' || typeof incarnation !== 'string') return null;
  if (typeof since !== 'number' || typeof expiresAt !== 'number' || typeof released !== 'boolean' || typeof writtenAt !== 'number') return null;
  return { format: STORE_FORMAT, epoch: epoch as number, holder, incarnation, since, expiresAt, released, writtenAt };
}
