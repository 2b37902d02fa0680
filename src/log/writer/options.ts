/**
 * The options of {@link openLog}, their defaults and their checks (all
 * before any I/O, BadArgumentsError).
 */
import { BadArgumentsError } from '../../errors.js';
import { defaultIdentifier } from '../../recipes/internal/index.js';
import { checkQuorums, checkRetention, DEFAULT_QUORUMS, pickRetention, type Quorums, type Retention } from '../metadata/records.js';
import { DEFAULT_EXPLICIT_CONFIRM_DELAY } from './segment-writer.js';
import { checkClientTls, type LogTlsOptions } from '../node/tls.js';

/** Options of `openLog`. */
export interface OpenLogOptions {
  /** E: storage nodes a segment is striped over. Used when the log is created; an existing log keeps its own. Default 3. */
  readonly ensembleSize?: number;
  /** W: nodes each entry is written to. Default 3. */
  readonly writeQuorum?: number;
  /** A: nodes that must have fsynced an entry before it is acknowledged. Default 2. */
  readonly ackQuorum?: number;
  /** This writer's name, stored in the segments it opens. Default `<hostname>-<pid>`. */
  readonly identifier?: string;
  /** A segment is closed and a new one opened once it holds this many entries. Default 100000. */
  readonly maxSegmentEntries?: number;
  /** ... or this many bytes of entry data. Default 64 MiB. */
  readonly maxSegmentBytes?: number;
  /** ... or, at the next append, once it is this old, in ms. Default 1 hour. */
  readonly maxSegmentAge?: number;
  /** The largest entry accepted, in bytes (a storage node's own limit is 5 MiB by default). Default 5 MiB. */
  readonly maxEntrySize?: number;
  /** How long a storage node may take to answer a request before it counts as failed, in ms. Default 10000. */
  readonly nodeTimeout?: number;
  /** How long connecting to a storage node may take, in ms. Default 5000. */
  readonly connectTimeout?: number;
  /**
   * The log's retention policy (`{ maxAge, maxBytes }`, see docs/log.md):
   * stored in the log's record, replacing a different one, and applied by
   * the auditor. Default: the log keeps the policy it has (none for a new
   * log: entries are kept for ever).
   */
  readonly retention?: Retention;
  /**
   * How long after its last acknowledgement an idle writer tells its nodes
   * the last-add-confirmed (a CONFIRM message), in ms, so that readers
   * without the writer (subscribeLog, `herd log tail`) see its newest
   * entries; under load every add carries it and nothing extra is sent.
   * 0 turns it off (readers then see an entry once a later add confirms
   * it). Default 20.
   */
  readonly explicitConfirmDelay?: number;
  /**
   * Connect to the storage nodes over TLS (nodes started with `tls`), as
   * herd-zk/rpc's lookup does: `{ ca, cert?, key?, servername? }`. A node
   * whose registration says TLS refuses a client without it, and this
   * client refuses a node without it (NodeAuthenticationError). Default:
   * plain TCP.
   */
  readonly tls?: LogTlsOptions;
}

export interface ResolvedLogOptions extends Quorums {
  readonly identifier: string;
  readonly maxSegmentEntries: number;
  readonly maxSegmentBytes: number;
  readonly maxSegmentAge: number;
  readonly maxEntrySize: number;
  readonly nodeTimeout: number;
  readonly connectTimeout: number;
  readonly retention: Retention | undefined;
  readonly explicitConfirmDelay: number;
  readonly tls: LogTlsOptions | undefined;
}

function positive(options: OpenLogOptions, key: keyof OpenLogOptions, fallback: number): number {
  const v = options[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new BadArgumentsError(`openLog: ${key} must be a positive integer, got ${String(v)}`);
  return v;
}

function nonNegative(value: number | undefined, key: string, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new BadArgumentsError(`openLog: ${key} must be a number of ms ≥ 0, got ${String(v)}`);
  return v;
}

/** The options with their defaults; throws BadArgumentsError for an invalid one. */
export function resolveLogOptions(options: OpenLogOptions = {}): ResolvedLogOptions {
  if (typeof options !== 'object' || options === null) throw new BadArgumentsError('openLog: options must be an object');
  const quorums = {
    ensembleSize: positive(options, 'ensembleSize', DEFAULT_QUORUMS.ensembleSize),
    writeQuorum: positive(options, 'writeQuorum', DEFAULT_QUORUMS.writeQuorum),
    ackQuorum: positive(options, 'ackQuorum', DEFAULT_QUORUMS.ackQuorum),
  };
  checkQuorums(quorums);
  const identifier = options.identifier ?? defaultIdentifier();
  if (typeof identifier !== 'string' || identifier.length === 0) throw new BadArgumentsError('openLog: identifier must be a non-empty string');
  return {
    ...quorums,
    identifier,
    maxSegmentEntries: positive(options, 'maxSegmentEntries', 100_000),
    maxSegmentBytes: positive(options, 'maxSegmentBytes', 64 * 1024 * 1024),
    maxSegmentAge: positive(options, 'maxSegmentAge', 3_600_000),
    maxEntrySize: positive(options, 'maxEntrySize', 5 * 1024 * 1024),
    nodeTimeout: positive(options, 'nodeTimeout', 10_000),
    connectTimeout: positive(options, 'connectTimeout', 5_000),
    retention: retentionOf(options.retention),
    explicitConfirmDelay: nonNegative(options.explicitConfirmDelay, 'explicitConfirmDelay', DEFAULT_EXPLICIT_CONFIRM_DELAY),
    tls: checkClientTls(options.tls, 'openLog'),
  };
}

function retentionOf(retention: Retention | undefined): Retention | undefined {
  if (retention === undefined) return undefined;
  try {
    checkRetention(retention);
  } catch (error) {
    throw new BadArgumentsError(`openLog: ${(error as Error).message}`, { cause: error });
  }
  return pickRetention(retention);
}
