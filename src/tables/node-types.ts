/**
 * The types and small helpers around a tables node: its events, what each
 * node publishes as cluster member data, and the mapping of a rejected
 * entry back to the error class its origin raises.
 */
import {
  BadArgumentsError,
  type DivergedError,
  type HerdError,
  RowTooLargeError,
  SchemaViolationError,
  UnknownIndexError,
  UnknownTableError,
} from './errors.js';
import type { RejectionInfo } from './state/apply.js';
import type { Position } from './state/store.js';

/** A member of a tables cluster, as the membership events report it. */
export interface TablesMember {
  /** The member's identifier. */
  readonly identifier: string;
  /** Its weight in the quorum. */
  readonly weight: number;
}

/** The weights behind a quorum decision. */
export interface QuorumInfo {
  /** The weight of the connected members. */
  readonly connected: number;
  /** The total weight (declared, or of every member ever recorded). */
  readonly total: number;
}

/** The events of {@link Tables}. */
export interface TablesEvents {
  /** A member joined the tables cluster. */
  nodeConnected: [TablesMember];
  /** A member left (closed, or its session ended). */
  nodeDisconnected: [TablesMember];
  /** The connected weight fell to half the total or less: writes fail with QuorumLostError. */
  quorumLost: [QuorumInfo];
  /** The connected weight is more than half the total again. */
  quorumRegained: [QuorumInfo];
  /** This node's checksum differs from the primary's: reads fail until it has resynced. */
  diverged: [DivergedError];
  /** This node loaded a snapshot at this position and follows the log from there. */
  resynced: [Position];
}

/** What each node publishes in its cluster member data. */
export interface MemberData {
  weight: number;
  rpc: string;
  position: [number, number] | null;
  checksum: string;
  tail: [number, number] | null;
  /** The position of this node's latest snapshot (src/tables/snapshots), absent from nodes before snapshots. */
  snapshot?: [number, number] | null;
  /** The position of its latest snapshot on disk (with a `dataDir`). */
  durable?: [number, number] | null;
}

export const toPair = (p: Position | null): [number, number] | null => (p === null ? null : [p.segmentId, p.entryId]);
export const fromPair = (p: unknown): Position | null =>
  Array.isArray(p) && p.length === 2 && Number.isInteger(p[0]) && Number.isInteger(p[1]) ? { segmentId: p[0], entryId: p[1] } : null;
export const posKey = (p: Position): string => `${p.segmentId}:${p.entryId}`;

/** The rpc object each node serves: what other nodes ask of it. */
export interface TablesService {
  /** Appends a forwarded entry; `id` is its transaction's id, so a resend of one already in the log returns the position it has. */
  submit(bytes: Uint8Array, id?: string): Promise<Position>;
  tail(): Promise<Position>;
  snapshot(): Promise<Uint8Array>;
}

const ERRORS: Record<string, new (message: string) => HerdError> = {
  SchemaViolationError,
  RowTooLargeError,
  UnknownTableError,
  UnknownIndexError,
};
export const rejectionError = (info: RejectionInfo): HerdError => new (ERRORS[info.name] ?? BadArgumentsError)(info.message);

/** A signal that aborts when either does. */
export function anySignal(a: AbortSignal | undefined, b: AbortSignal): AbortSignal {
  return a === undefined ? b : AbortSignal.any([a, b]);
}

