/**
 * What a user of an auditor sees: the {@link Auditor} interface, its
 * events and its counters (./auditor.ts is the implementation, and
 * `startAuditor` there its factory).
 */
import type { EventEmitter } from 'node:events';
import type { RetentionResult } from '../retention/retention.js';
import type { RecoveredResult } from './abandoned.js';
import type { RepairResult } from './repair.js';
import type { RefillResult } from './replicas-check.js';

/** Counters of an auditor, for metrics (cumulative since it started, except the first two). */
export interface AuditorStats {
  /** True while this candidate is the acting auditor. */
  readonly leader: boolean;
  /** Segments found with copies on a node that is not live, at the end of this auditor's last pass as leader. */
  readonly underReplicatedSegments: number;
  /** Entries copied by repairs. */
  readonly entriesCopied: number;
  /** Bytes of entry data copied by repairs. */
  readonly bytesCopied: number;
  /** Ensemble members replaced by repairs. */
  readonly membersReplaced: number;
  /** Live members found lacking entries (or holding corrupt copies) that the replicas check refilled. */
  readonly membersRefilled: number;
  /** Segments left open by a writer that was gone for the grace period, recovered (fenced and closed) by this auditor. */
  readonly segmentsRecovered: number;
  /** Repairs, recoveries and replicas checks that failed (retried at the next pass). */
  readonly repairsFailed: number;
  /** Segments deleted by retention. */
  readonly segmentsDeleted: number;
  /** Passes completed as leader. */
  readonly passes: number;
}

/** The events of an {@link Auditor}. */
export interface AuditorEvents {
  /** This candidate became the acting auditor. */
  elected: [];
  /** A lost member was replaced, its copies made. */
  repaired: [RepairResult];
  /** A live member lacked entries (missed while it was away, or corrupt there): they were copied onto it. */
  refilled: [RefillResult];
  /** A segment whose writer was gone for the grace period was recovered: fenced, and closed at its last acknowledged entry. */
  recovered: [RecoveredResult];
  /** Retention deleted segments of a log (their metadata; the nodes collect the data). */
  deleted: [RetentionResult];
}

/** A running auditor candidate: what {@link startAuditor} resolves to. */
export interface Auditor extends EventEmitter<AuditorEvents>, AsyncDisposable {
  /** The candidate's identifier in the election. */
  readonly identifier: string;
  /** The counters, as of now (a new object at each read). */
  readonly stats: AuditorStats;
  /** As leader: runs a pass now and resolves when it is done (at once when not leader). */
  audit(): Promise<void>;
  /** Leaves the election and stops the current pass. Idempotent. */
  close(): Promise<void>;
}
