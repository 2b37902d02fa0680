/**
 * Options of the auditor (./auditor.ts: startAuditor), their defaults and
 * their checks (BadArgumentsError, before any I/O).
 */
import { checkClientTls, type LogTlsOptions } from '../node/tls.js';
import { BadArgumentsError } from '../../errors.js';
import { defaultIdentifier } from '../../recipes/internal/index.js';

/** Options of `startAuditor`. */
export interface AuditorOptions {
  /** This candidate's name in the election. Default `<hostname>-<pid>`. */
  readonly identifier?: string;
  /** How long a node may be gone before its copies are made elsewhere, in ms. Default 30000. */
  readonly gracePeriod?: number;
  /** The longest time between two passes, in ms. Default 60000. */
  readonly auditInterval?: number;
  /**
   * How often every live member is asked to scrub what it must hold (read
   * it from disk and check each entry's CRC32C) in the replicas check, in
   * ms; 0 never. Default 86400000 (a day). Between scrubs a member is
   * checked against its index once per segment state and per node start.
   */
  readonly scrubInterval?: number;
  /** Apply the logs' retention policies. Default true. */
  readonly retention?: boolean;
  /** How long a storage node may take to answer, in ms. Default 30000. */
  readonly nodeTimeout?: number;
  /** How long connecting to a storage node may take, in ms. Default 5000. */
  readonly connectTimeout?: number;
  /** Where the auditor reports what it repaired, deleted or failed to do. Default: nothing is printed. */
  readonly logger?: (message: string) => void;
  /** Connect to the storage nodes over TLS, as openLog's `tls` (a storage node passes its own key, cert and ca). Default: plain TCP. */
  readonly tls?: LogTlsOptions;
}

/** The options with their defaults. */
export interface ResolvedAuditorOptions {
  readonly identifier: string;
  readonly gracePeriod: number;
  readonly auditInterval: number;
  readonly scrubInterval: number;
  readonly retention: boolean;
  readonly nodeTimeout: number;
  readonly connectTimeout: number;
  readonly logger: (message: string) => void;
  readonly tls: LogTlsOptions | undefined;
}

/** Checks the options and applies the defaults; throws BadArgumentsError. */
export function resolveAuditorOptions(options: AuditorOptions): ResolvedAuditorOptions {
  if (typeof options !== 'object' || options === null) throw new BadArgumentsError('startAuditor: options must be an object');
  const ms = (key: 'gracePeriod' | 'auditInterval' | 'scrubInterval' | 'nodeTimeout' | 'connectTimeout', fallback: number, min: number): number => {
    const v = options[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new BadArgumentsError(`startAuditor: ${key} must be an integer >= ${min}, got ${String(v)}`);
    return v;
  };
  const identifier = options.identifier ?? defaultIdentifier();
  if (typeof identifier !== 'string' || identifier === '') throw new BadArgumentsError('startAuditor: identifier must be a non-empty string');
  return {
    identifier,
    gracePeriod: ms('gracePeriod', 30_000, 0),
    auditInterval: ms('auditInterval', 60_000, 1),
    scrubInterval: ms('scrubInterval', 86_400_000, 0),
    retention: options.retention ?? true,
    nodeTimeout: ms('nodeTimeout', 30_000, 1),
    connectTimeout: ms('connectTimeout', 5_000, 1),
    logger: options.logger ?? (() => {}),
    tls: checkClientTls(options.tls, 'startAuditor'),
  };
}

